"""Reads: the notes list (without addenda), templates on offer, author names."""

import pytest

from clinical.models import Practitioner
from notes import selectors, services

pytestmark = pytest.mark.django_db


def titles(notes):
    return [n.title for n in notes]


def test_it_lists_notes_newest_first_without_addenda_but_counting_them(alice, alice_signed):
    services.note_addendum_add(note=alice_signed, actor="drsmith", text="Addendum text")
    notes = list(selectors.notes_for_patient(alice))
    assert titles(notes) == ["Telephone follow-up", "Diabetes follow-up", "ED visit for hypoglycemia"]
    assert [n.addendum_count for n in notes] == [0, 1, 0]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"note_type": "h_and_p"}, ["ED visit for hypoglycemia"]),
        ({"status": "draft"}, ["Telephone follow-up"]),
        ({"note_type": "progress", "status": "signed"}, ["Diabetes follow-up"]),
        ({"note_type": "discharge"}, []),
    ],
)
def test_it_filters_notes_by_type_and_status(alice, filters, expected):
    assert titles(selectors.notes_for_patient(alice, **filters)) == expected


def test_it_lists_in_a_bounded_number_of_queries(alice, alice_signed, django_assert_num_queries):
    for i in range(3):
        services.note_addendum_add(note=alice_signed, actor="drsmith", text=f"Addendum {i}")
    with django_assert_num_queries(1):
        list(selectors.notes_for_patient(alice))


def test_it_gives_addenda_oldest_first(alice_signed):
    first = services.note_addendum_add(note=alice_signed, actor="drsmith", text="First")
    second = services.note_addendum_add(note=alice_signed, actor="drjones", text="Second")
    assert list(selectors.note_addenda(alice_signed)) == [first, second]


def test_it_offers_only_active_templates_optionally_of_one_type(templates):
    templates["discharge-summary"].active = False
    templates["discharge-summary"].save()
    assert [t.key for t in selectors.note_templates()] == ["soap-progress", "history-and-physical", "procedure-note"]
    assert [t.key for t in selectors.note_templates(note_type="h_and_p")] == ["history-and-physical"]


def test_it_names_an_author_by_practitioner_then_fallback_then_username(alice):
    Practitioner.objects.filter(family_name="Smith").update(username="drsmith")
    assert selectors.clinician_display_name("drsmith", fallback="Dana") == "Dr. Dana Smith"
    assert selectors.clinician_display_name("drjones", fallback="Lee Jones") == "Lee Jones"
    assert selectors.clinician_display_name("drjones") == "drjones"
