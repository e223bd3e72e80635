"""Editing a draft: only by its author, never once signed, smart phrases on save."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinical.models import AuditEvent
from notes import services
from notes.models import Note

pytestmark = pytest.mark.django_db


def snapshot(note: Note):
    row = Note.objects.get(pk=note.pk)
    return row.title, row.text, row.status, row.updated_at


def test_it_lets_the_author_change_title_and_text(alice_draft):
    services.note_edit(note=alice_draft, actor="drsmith", title="Potassium call", text="K 3.1; start KCl.")
    row = Note.objects.get(pk=alice_draft.pk)
    assert (row.title, row.text, row.status) == ("Potassium call", "K 3.1; start KCl.", "draft")
    assert row.updated_at > row.created_at


def test_it_stores_line_breaks_the_same_from_a_browser_form_and_from_the_api(alice_draft):
    services.note_edit(note=alice_draft, actor="drsmith", text="K 3.1\r\nStart KCl.\rRecheck AM.")
    assert Note.objects.get(pk=alice_draft.pk).text == "K 3.1\nStart KCl.\nRecheck AM."


def test_it_audits_an_edit_with_the_fields_that_changed(alice_draft):
    services.note_edit(note=alice_draft, actor="drsmith", text="K 3.1; start KCl.")
    event = AuditEvent.objects.get(action="note.edit")
    assert (event.actor, event.target_id) == ("drsmith", str(alice_draft.pk))
    assert event.details == {"note_type": "progress", "title": "Telephone follow-up", "fields": ["text"],
                             "text_length": 17, "expanded": [], "inserted_text": [], "autosave": False}


def test_it_expands_smart_phrases_when_saving(alice_draft):
    services.note_edit(note=alice_draft, actor="drsmith", text="Allergies: .allergies")
    assert Note.objects.get(pk=alice_draft.pk).text.startswith("Allergies: Peanut (substance) (Hives, moderate)")
    details = AuditEvent.objects.get(action="note.edit").details
    assert details["expanded"] == ["allergies"]
    assert details["inserted_text"] == ["Peanut (substance) (Hives, moderate); Penicillin V (Anaphylaxis, severe)"]


def test_it_autosaves_text_exactly_as_typed(alice_draft):
    services.note_edit(note=alice_draft, actor="drsmith", text="Half typed .vit", expand=False)
    services.note_edit(note=alice_draft, actor="drsmith", text="Half typed .vitals", expand=False)
    assert Note.objects.get(pk=alice_draft.pk).text == "Half typed .vitals"
    assert AuditEvent.objects.filter(action="note.edit").last().details["autosave"] is True


def test_it_records_nothing_when_nothing_changed(alice_draft):
    before = snapshot(alice_draft)
    services.note_edit(note=alice_draft, actor="drsmith", title=alice_draft.title, text=alice_draft.text)
    assert snapshot(alice_draft) == before
    assert not AuditEvent.objects.filter(action="note.edit").exists()


def test_it_refuses_someone_elses_draft_and_changes_nothing(alice_draft):
    before = snapshot(alice_draft)
    with pytest.raises(PermissionDenied, match=r"Only the author of this draft \(Dana Smith, MD\) can edit or sign it"):
        services.note_edit(note=alice_draft, actor="drjones", text="Overwritten")
    assert snapshot(alice_draft) == before
    assert not AuditEvent.objects.exists()


def test_it_refuses_to_edit_a_signed_note(alice_signed):
    before = snapshot(alice_signed)
    with pytest.raises(ValidationError) as error:
        services.note_edit(note=alice_signed, actor="drsmith", text="Changed history")
    assert error.value.error_dict["note"][0].code == services.NOTE_SIGNED
    assert "can no longer be changed; add an addendum instead" in error.value.message_dict["note"][0]
    assert snapshot(alice_signed) == before


def test_it_refuses_an_edit_of_a_note_signed_since_it_was_read(alice_draft):
    stale = Note.objects.get(pk=alice_draft.pk)
    services.note_sign(note=alice_draft, actor="drsmith")
    signed = snapshot(alice_draft)
    with pytest.raises(ValidationError) as error:
        services.note_edit(note=stale, actor="drsmith", text="Too late")
    assert error.value.error_dict["note"][0].code == services.NOTE_SIGNED
    assert snapshot(alice_draft) == signed


def test_it_refuses_a_blank_title(alice_draft):
    with pytest.raises(ValidationError) as error:
        services.note_edit(note=alice_draft, actor="drsmith", title="  ")
    assert error.value.message_dict == {"title": ["A note needs a title."]}


def test_it_refuses_text_beyond_the_limit(alice_draft):
    with pytest.raises(ValidationError) as error:
        services.note_edit(note=alice_draft, actor="drsmith", text="x" * (services.TEXT_MAX + 1))
    assert "at most 100,000 characters" in error.value.message_dict["text"][0]
