import pytest
from django.urls import reverse

from clinical.tests import factories
from clinical.tests.factories import ALICE_MRN
from notes.models import Note

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client):
    client.force_login(factories.make_user(password=None))
    return client


@pytest.fixture
def alice():
    return factories.make_alice()


def test_it_lists_notes_newest_first_with_type_author_and_status(client_in, alice):
    html = client_in.get(reverse("notes:chart_notes", args=[ALICE_MRN])).content.decode()
    order = [html.index(title) for title in ("Telephone follow-up", "Diabetes follow-up", "ED visit for hypoglycemia")]
    assert order == sorted(order)
    for text in ("History and Physical", "Dana Smith, MD", "Draft", "Signed"):
        assert text in html
    assert 'data-testid="chart-tab-notes" aria-current="page"' in html


def test_it_shows_a_note_in_full(client_in, alice):
    note = Note.objects.get(title="Diabetes follow-up")
    html = client_in.get(reverse("notes:note_detail", args=[ALICE_MRN, note.pk])).content.decode()
    assert "Increase metformin; recheck A1c in 3 months." in html
    assert 'data-testid="note-text"' in html and html.count("<h1") == 1


def test_it_does_not_show_another_patients_note(client_in, alice):
    bob = factories.make_bob()
    note = Note.objects.get(title="Diabetes follow-up")
    assert client_in.get(reverse("notes:note_detail", args=[bob.mrn, note.pk])).status_code == 404


def test_it_requires_login(client, alice):
    assert client.get(reverse("notes:chart_notes", args=[ALICE_MRN])).status_code == 302
