"""Signing: the author freezes the text, the time and themselves as signer."""

import hashlib
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from clinical.models import AuditEvent
from notes import services
from notes.models import Note

pytestmark = pytest.mark.django_db

SIGNING_TIME = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def snapshot(note: Note):
    row = Note.objects.get(pk=note.pk)
    return row.title, row.text, row.status, row.signed_at, row.updated_at


def test_it_signs_a_draft_freezing_text_time_and_signer(alice_draft):
    with time_machine.travel(SIGNING_TIME, tick=False):
        services.note_sign(note=alice_draft, actor="drsmith")
    row = Note.objects.get(pk=alice_draft.pk)
    assert (row.status, row.signed_at, row.author) == ("signed", SIGNING_TIME, "drsmith")
    assert row.text == "Draft: called patient about potassium."


def test_it_audits_what_was_signed_with_its_length_and_hash(alice_draft):
    with time_machine.travel(SIGNING_TIME, tick=False):
        services.note_sign(note=alice_draft, actor="drsmith", text="K 3.1 today. Start KCl 20 mEq daily.")
    event = AuditEvent.objects.get(action="note.sign")
    text = "K 3.1 today. Start KCl 20 mEq daily."
    assert (event.actor, event.target_id, event.patient_id) == ("drsmith", str(alice_draft.pk), alice_draft.patient_id)
    assert event.details == {
        "note_type": "progress",
        "title": "Telephone follow-up",
        "text_length": len(text),
        "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "signed_at": SIGNING_TIME.isoformat(),
        "expanded": [],
        "inserted_text": [],
    }


def test_it_signs_with_final_text_and_title_in_one_step_expanding_phrases(alice_draft):
    services.note_sign(note=alice_draft, actor="drsmith", title="Potassium call", text="Meds reviewed:\n.meds")
    row = Note.objects.get(pk=alice_draft.pk)
    assert row.title == "Potassium call" and row.text.startswith("Meds reviewed:\nActive medications:\n- atorvastatin")


def test_it_expands_phrases_an_autosaved_draft_still_holds(alice_draft):
    services.note_edit(note=alice_draft, actor="drsmith", text="MRN .mrn", expand=False)
    services.note_sign(note=alice_draft, actor="drsmith")
    assert Note.objects.get(pk=alice_draft.pk).text == "MRN E1001"


def test_it_refuses_to_sign_an_empty_note_and_changes_nothing(alice_draft):
    before = snapshot(alice_draft)
    with pytest.raises(ValidationError) as error:
        services.note_sign(note=alice_draft, actor="drsmith", text="   \n ")
    assert error.value.message_dict == {"text": ["A note cannot be signed without text."]}
    assert snapshot(alice_draft) == before
    assert not AuditEvent.objects.exists()


def test_it_refuses_to_sign_someone_elses_draft(alice_draft):
    before = snapshot(alice_draft)
    with pytest.raises(PermissionDenied, match="Only the author of this draft"):
        services.note_sign(note=alice_draft, actor="drjones")
    assert snapshot(alice_draft) == before
    assert not AuditEvent.objects.exists()


def test_it_refuses_to_sign_a_note_twice(alice_signed):
    before = snapshot(alice_signed)
    with pytest.raises(ValidationError) as error:
        services.note_sign(note=alice_signed, actor="drsmith", text="Re-signed with new text")
    assert error.value.error_dict["note"][0].code == services.NOTE_SIGNED
    assert snapshot(alice_signed) == before
