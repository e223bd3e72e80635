"""The curated drug–drug interaction table, against orders and the medication list."""

import pytest

from clinical.tests import factories
from orders.tests.support import alerts_of, check, pend, pend_and_sign

pytestmark = pytest.mark.django_db


def interaction(patient, ref, **fields):
    order = pend(patient, ref, **fields)
    check(patient)
    found = alerts_of(order, rule="interaction")
    return found[0] if found else None


def test_it_warns_of_warfarin_with_an_nsaid_as_high_severity(bob):
    pend_and_sign(bob, "855332", dose=5)
    alert = interaction(bob, "310965", dose=400)
    assert (alert.severity, alert.title) == ("high", "Interaction: Warfarin + NSAID")


def test_it_warns_of_potassium_with_an_ace_inhibitor_on_the_medication_list(alice):
    alert = interaction(alice, "8591-po", dose=20)
    assert alert.severity == "low" and "lisinopril 10 MG Oral Tablet (medication list)" in alert.message


def test_it_warns_of_spironolactone_with_an_ace_inhibitor(alice):
    assert interaction(alice, "313096", dose=25).title == "Interaction: RAAS blocker + spironolactone"


def test_it_blocks_an_ssri_with_an_maoi(bob):
    factories.add_medication(bob, "312347", "phenelzine 15 MG Oral Tablet")
    alert = interaction(bob, "312941", dose=50)
    assert alert.severity == "high" and "serotonin syndrome" in alert.message


def test_it_warns_of_clopidogrel_with_omeprazole(bob):
    pend(bob, "198051", dose=20)
    assert interaction(bob, "309362", dose=75).title == "Interaction: Clopidogrel + omeprazole"


def test_it_flags_an_ace_inhibitor_with_sacubitril_valsartan_once_not_also_as_duplication(alice):
    order = pend(alice, "1656349", dose=1)
    check(alice)
    assert [a.title for a in alerts_of(order, rule="interaction")] == [
        "Interaction: ACE inhibitor + sacubitril-valsartan"
    ]
    assert alerts_of(order, rule="duplicate_therapy") == []


def test_it_warns_of_an_opioid_with_a_benzodiazepine(bob):
    pend(bob, "197901", dose=1)
    assert interaction(bob, "1732136", dose=2).severity == "high"


def test_it_is_quiet_for_drugs_that_do_not_interact(bob):
    assert interaction(bob, "1665021", dose=1000) is None  # ceftriaxone with furosemide
