"""The Notes tab: list with filters, a note in full, its addenda, read-only for others."""

import pytest
from django.urls import reverse

from clinical.tests.factories import ALICE_MRN
from notes import services

pytestmark = pytest.mark.django_db


def notes_page(client, **params):
    return client.get(reverse("notes:chart_notes", args=[ALICE_MRN]), params)


def detail(client, note):
    return client.get(reverse("notes:note_detail", args=[ALICE_MRN, note.pk]))


def test_it_lists_notes_newest_first_with_type_author_and_status(client_dana, alice):
    html = notes_page(client_dana).content.decode()
    order = [html.index(title) for title in ("Telephone follow-up", "Diabetes follow-up", "ED visit for hypoglycemia")]
    assert order == sorted(order)
    for text in ("History and Physical", "Dana Smith, MD", "Draft", "Signed"):
        assert text in html
    assert 'data-testid="chart-tab-notes" aria-current="page"' in html
    assert 'data-testid="notes-table"' in html and 'data-testid="note-new"' in html


def test_it_filters_the_list_by_type_and_status(client_dana, alice, alice_draft, alice_signed):
    html = notes_page(client_dana, type="progress", status="signed").content.decode()
    assert f'data-testid="note-row-{alice_signed.pk}"' in html
    assert f'data-testid="note-row-{alice_draft.pk}"' not in html and "ED visit" not in html


def test_it_says_when_no_note_matches_the_filters(client_dana, alice):
    html = notes_page(client_dana, type="discharge").content.decode()
    assert 'data-testid="notes-empty"' in html and "No notes match these filters" in html


def test_it_ignores_an_unknown_filter_with_a_warning(client_dana, alice):
    response = notes_page(client_dana, status="deleted")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Status: Select a valid choice." in html and "The filter was ignored." in html
    assert "Telephone follow-up" in html


def test_it_says_when_the_patient_has_no_notes(client_dana, bob):
    html = client_dana.get(reverse("notes:chart_notes", args=[bob.mrn])).content.decode()
    assert 'data-testid="notes-empty"' in html and "No notes on file" in html


def test_it_shows_a_signed_note_in_full_with_its_signature(client_dana, alice_signed):
    html = detail(client_dana, alice_signed).content.decode()
    assert "Increase metformin; recheck A1c in 3 months." in html
    assert 'data-testid="note-text"' in html and html.count("<h1") == 1
    assert 'data-testid="note-signature"' in html and "Electronically signed by <strong>Dana Smith, MD</strong>" in html
    assert 'data-testid="note-save"' not in html and 'data-testid="note-addendum-text"' in html


def test_it_shows_addenda_under_the_note_and_counts_them_in_the_list(client_dana, alice_signed):
    addendum = services.note_addendum_add(note=alice_signed, actor="drjones", author_name="Lee Jones, MD",
                                          text="Agree; add statin.")
    html = detail(client_dana, alice_signed).content.decode()
    assert f'data-testid="addendum-{addendum.pk}"' in html and "Agree; add statin." in html
    assert "Electronically signed by <strong>Lee Jones, MD</strong>" in html
    listing = notes_page(client_dana).content.decode()
    assert f'data-testid="note-addenda-count-{alice_signed.pk}">+1 addendum<' in listing
    addendum_page = detail(client_dana, addendum).content.decode()
    assert 'data-testid="note-parent-link"' in addendum_page and 'data-testid="note-addendum-text"' not in addendum_page


def test_it_shows_another_clinicians_draft_read_only(client_lee, alice_draft):
    html = detail(client_lee, alice_draft).content.decode()
    assert "Draft: called patient about potassium." in html
    assert 'data-testid="note-readonly-reason"' in html and "only its author can edit or sign it" in html
    assert 'data-testid="note-save"' not in html and 'data-testid="note-sign"' not in html


def test_it_does_not_show_another_patients_note(client_dana, alice_signed, bob):
    assert client_dana.get(reverse("notes:note_detail", args=[bob.mrn, alice_signed.pk])).status_code == 404


def test_it_requires_login(client, alice):
    assert notes_page(client).status_code == 302
