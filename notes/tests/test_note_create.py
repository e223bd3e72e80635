"""Starting a note: a draft of a known type, optionally from a template, audited."""

import pytest
from django.core.exceptions import ValidationError

from clinical.models import AuditEvent, Practitioner
from clinical.tests import factories
from notes import services
from notes.models import Note

pytestmark = pytest.mark.django_db


def counts():
    return Note.objects.count(), AuditEvent.objects.count()


def test_it_creates_a_draft_by_its_author(alice):
    note = services.note_create(patient=alice, note_type="progress", author="drsmith", author_name="Dana Smith, MD",
                                text="Seen today.")
    note.refresh_from_db()
    assert (note.status, note.author, note.author_name) == ("draft", "drsmith", "Dana Smith, MD")
    assert note.text == "Seen today."
    assert (note.title, note.loinc, note.signed_at) == ("Progress Note", "11506-3", None)


def test_it_records_who_created_what_in_the_audit_trail(alice):
    note = services.note_create(patient=alice, note_type="h_and_p", author="drsmith", title="Admission H&P")
    event = AuditEvent.objects.get(action="note.create")
    assert (event.actor, event.target_type, event.target_id) == ("drsmith", "notes.note", str(note.pk))
    assert event.patient == alice
    assert event.details == {"note_type": "h_and_p", "title": "Admission H&P", "template": "", "text_length": 0,
                             "expanded": [], "inserted_text": []}


def test_it_names_the_author_after_their_practitioner_record(alice):
    Practitioner.objects.filter(family_name="Smith").update(username="drsmith")
    note = services.note_create(patient=alice, note_type="progress", author="drsmith")
    assert note.author_name == "Dr. Dana Smith"


def test_it_starts_from_a_template_with_smart_phrases_filled_in(alice, templates):
    note = services.note_create(patient=alice, note_type="progress", author="drsmith", template_key="soap-progress")
    assert (note.title, note.template_key) == ("SOAP Progress Note", "soap-progress")
    for section in ("SUBJECTIVE:", "OBJECTIVE:", "ASSESSMENT:", "PLAN:"):
        assert section in note.text
    assert "Patient: Alice Walker" in note.text and "BP 147/87 mmHg (H)" in note.text and ".vitals" not in note.text
    details = AuditEvent.objects.get(action="note.create").details
    assert details["expanded"] == ["name", "age", "mrn", "vitals", "labs", "meds", "allergies", "problems"]
    # What the author did not write (the template's lines, what the phrases filled in) is recorded, so a
    # rubric can tell it from the author's own words.
    assert "SUBJECTIVE:" in details["inserted_text"]
    assert any("BP 147/87 mmHg (H)" in line for line in details["inserted_text"])


def test_it_puts_given_text_after_the_template(alice, templates):
    note = services.note_create(patient=alice, note_type="procedure", author="drsmith",
                                template_key="procedure-note", text="Addl: patient tolerated well.")
    assert note.text.startswith("Patient: Alice Walker") and note.text.endswith("Addl: patient tolerated well.")


def test_it_refuses_an_unknown_note_type_and_writes_nothing(alice):
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.note_create(patient=alice, note_type="consult", author="drsmith")
    assert "Unknown note type 'consult'" in error.value.message_dict["note_type"][0]
    assert "progress (Progress Note)" in error.value.message_dict["note_type"][0]
    assert counts() == before


def test_it_refuses_an_unknown_template(alice, templates):
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.note_create(patient=alice, note_type="progress", author="drsmith", template_key="nope")
    assert error.value.message_dict["template"][0].startswith("Unknown note template 'nope'; available:")
    assert "soap-progress" in error.value.message_dict["template"][0]
    assert counts() == before


def test_it_refuses_a_template_of_another_note_type(alice, templates):
    with pytest.raises(ValidationError) as error:
        services.note_create(patient=alice, note_type="progress", author="drsmith", template_key="discharge-summary")
    assert error.value.message_dict["template"] == [
        "Template 'Discharge Summary' is for Discharge Summary notes, not Progress Note notes."
    ]


def test_it_refuses_a_note_without_an_author(alice):
    with pytest.raises(ValidationError) as error:
        services.note_create(patient=alice, note_type="progress", author=" ")
    assert "author" in error.value.message_dict


def test_it_refuses_a_title_that_is_too_long(alice):
    with pytest.raises(ValidationError) as error:
        services.note_create(patient=alice, note_type="progress", author="drsmith", title="x" * 201)
    assert error.value.message_dict["title"] == ["A title can have at most 200 characters (it has 201)."]


def test_it_refuses_an_encounter_of_another_patient(alice, bob):
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.note_create(patient=alice, note_type="progress", author="drsmith", encounter=bob.encounters.first())
    assert error.value.message_dict["encounter"] == ["That encounter belongs to another patient."]
    assert counts() == before


def test_it_links_the_note_to_an_encounter_of_the_patient(alice):
    visit = factories.add_encounter(alice, days_ago=0)
    note = services.note_create(patient=alice, note_type="progress", author="drsmith", encounter=visit)
    assert Note.objects.get(pk=note.pk).encounter == visit
