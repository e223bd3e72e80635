"""Note templates: shipped per note type, authored in admin, sections filled from the chart."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from notes import smartphrases, standard_templates
from notes.models import Note, NoteTemplate

pytestmark = pytest.mark.django_db

SECTIONS = {
    "soap-progress": ("SUBJECTIVE:", "OBJECTIVE:", "ASSESSMENT:", "PLAN:"),
    "history-and-physical": (
        "CHIEF COMPLAINT:", "HISTORY OF PRESENT ILLNESS (HPI):", "PAST MEDICAL HISTORY (PMH):", "MEDICATIONS:",
        "ALLERGIES:", "REVIEW OF SYSTEMS (ROS):", "PHYSICAL EXAM:", "ASSESSMENT AND PLAN (A&P):",
    ),
    "discharge-summary": (
        "ADMISSION DATE:", "DISCHARGE DIAGNOSES:", "HOSPITAL COURSE:", "DISCHARGE MEDICATIONS:", "FOLLOW-UP:",
    ),
    "procedure-note": ("PROCEDURE:", "INDICATION:", "CONSENT:", "FINDINGS:", "COMPLICATIONS:"),
}


@pytest.fixture
def admin_client_in(db):
    client = Client()  # its own session, beside the clinician's
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.org", "admin-pass-123"))
    return client


def test_the_migration_ships_a_template_for_every_note_type():
    shipped = NoteTemplate.objects.filter(key__in=SECTIONS)
    assert sorted(shipped.values_list("note_type", flat=True)) == sorted(Note.NoteType.values)


@pytest.mark.parametrize("key", SECTIONS)
def test_each_template_has_its_sections_and_only_known_smart_phrases(templates, key):
    body = templates[key].body
    for section in SECTIONS[key]:
        assert section in body
    found = smartphrases.scan(body)
    assert found.unknown == () and "vitals" in found.known


def test_installing_again_keeps_what_admins_edited(templates):
    NoteTemplate.objects.filter(key="soap-progress").update(body="Edited by an admin")
    assert standard_templates.install(NoteTemplate, using="default") == 0
    assert NoteTemplate.objects.get(key="soap-progress").body == "Edited by an admin"


def test_an_admin_authors_a_template_that_is_then_offered(admin_client_in, client_dana, alice):
    response = admin_client_in.post(reverse("admin:notes_notetemplate_add"), {
        "name": "Diabetes visit", "key": "diabetes-visit", "note_type": "progress", "description": "",
        "body": "A1c trend:\n.labs", "active": "on", "sort_order": "20",
    })
    assert response.status_code == 302
    html = client_dana.get(reverse("notes:note_new", args=[alice.mrn])).content.decode()
    assert '<option value="diabetes-visit">Diabetes visit</option>' in html


def test_notes_are_read_only_in_admin(admin_client_in, alice_signed):
    assert admin_client_in.get(reverse("admin:notes_note_add")).status_code == 403
    page = admin_client_in.get(reverse("admin:notes_note_change", args=[alice_signed.pk])).content.decode()
    assert 'name="_save"' not in page and "Diabetes follow-up" in page
