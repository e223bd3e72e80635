"""Addenda: signed text appended to a signed note, which itself never changes."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinical.models import AuditEvent
from notes import services
from notes.models import Note

pytestmark = pytest.mark.django_db

ALICE_ALLERGIES = "Peanut (substance) (Hives, moderate); Penicillin V (Anaphylaxis, severe)"


def snapshot(note: Note):
    row = Note.objects.get(pk=note.pk)
    return row.title, row.text, row.status, row.signed_at, row.updated_at


def test_it_appends_a_signed_addendum_and_leaves_the_note_unchanged(alice_signed):
    before = snapshot(alice_signed)
    addendum = services.note_addendum_add(note=alice_signed, actor="drsmith", text="A1c lab error; repeat 7.9%.")
    addendum.refresh_from_db()
    assert snapshot(alice_signed) == before
    assert (addendum.parent, addendum.patient, addendum.status) == (alice_signed, alice_signed.patient, "signed")
    assert (addendum.author, addendum.note_type) == ("drsmith", "progress")
    assert addendum.title == "Addendum to Diabetes follow-up"
    assert addendum.signed_at is not None and addendum.text == "A1c lab error; repeat 7.9%."
    assert list(alice_signed.addenda.all()) == [addendum]


def test_it_audits_the_addendum_with_its_parent_and_hash(alice_signed):
    addendum = services.note_addendum_add(note=alice_signed, actor="drsmith", text="Corrected dose.")
    event = AuditEvent.objects.get(action="note.addendum")
    assert (event.actor, event.target_id) == ("drsmith", str(addendum.pk))
    assert event.details["parent_id"] == alice_signed.pk
    assert event.details["text_sha256"] == hashlib.sha256(b"Corrected dose.").hexdigest()
    assert event.details["text_length"] == len("Corrected dose.")


def test_it_lets_another_clinician_add_an_addendum_signed_by_them(alice_signed):
    addendum = services.note_addendum_add(note=alice_signed, actor="drjones", author_name="Lee Jones, MD",
                                          text="Agree with plan.")
    assert (addendum.author, addendum.author_name) == ("drjones", "Lee Jones, MD")


def test_it_expands_smart_phrases_in_an_addendum(alice_signed):
    addendum = services.note_addendum_add(note=alice_signed, actor="drsmith", text="Allergies rechecked: .allergies")
    assert addendum.text == f"Allergies rechecked: {ALICE_ALLERGIES}"


@pytest.mark.parametrize(
    ("which", "text", "field", "message"),
    [
        ("draft", "More", "note", "Only a signed note can have addenda; edit the draft instead."),
        ("signed", "  ", "text", "An addendum needs text."),
        ("addendum", "More", "note", "This is an addendum; add a new addendum to the original note instead."),
    ],
)
def test_it_refuses_bad_addenda_and_writes_nothing(alice_draft, alice_signed, which, text, field, message):
    first = services.note_addendum_add(note=alice_signed, actor="drsmith", text="First.")
    target = {"draft": alice_draft, "signed": alice_signed, "addendum": first}[which]
    notes, events = Note.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.note_addendum_add(note=target, actor="drsmith", text=text)
    assert error.value.message_dict == {field: [message]}
    assert (Note.objects.count(), AuditEvent.objects.count()) == (notes, events)


def test_the_database_rejects_a_draft_addendum(alice_signed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Note.objects.create(patient=alice_signed.patient, parent=alice_signed, title="Sneaky", status="draft")
