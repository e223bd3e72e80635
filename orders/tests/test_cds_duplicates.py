"""Duplicate orders (same drug or test) and duplicate therapy (same therapeutic class)."""

import pytest

from clinical.tests import factories
from orders.tests.support import alerts_of, check, pend, pend_and_sign

pytestmark = pytest.mark.django_db


def test_it_flags_the_same_drug_already_on_the_medication_list(alice):
    order = pend(alice, "617311", dose=40)  # atorvastatin 40; alice takes atorvastatin 80
    check(alice)
    [alert] = alerts_of(order, rule="duplicate_order")
    assert alert.severity == "low"
    assert "atorvastatin 80 MG Oral Tablet (medication list)" in alert.message


def test_it_flags_the_same_drug_pended_twice_on_both_orders(bob):
    first, second = pend(bob, "1665021", dose=1000), pend(bob, "1665046", dose=2000)
    check(bob)
    assert len(alerts_of(first, rule="duplicate_order")) == len(alerts_of(second, rule="duplicate_order")) == 1


def test_it_flags_a_test_already_active(bob):
    pend_and_sign(bob, "58410-2")
    repeat = pend(bob, "58410-2")
    check(bob)
    [alert] = alerts_of(repeat, rule="duplicate_order")
    assert "already ordered (active order" in alert.message


def test_it_flags_two_drugs_of_one_class_as_duplicate_therapy(alice):
    order = pend(alice, "859751", dose=20)  # rosuvastatin while on atorvastatin
    check(alice)
    [alert] = alerts_of(order, rule="duplicate_therapy")
    assert alert.severity == "low" and "statins" in alert.message


def test_it_makes_two_anticoagulants_a_high_severity_duplication(bob):
    pend_and_sign(bob, "854235", dose=30)
    heparin = pend(bob, "1659263", dose=5000)
    check(bob)
    [alert] = alerts_of(heparin, rule="duplicate_therapy")
    assert alert.severity == "high" and "anticoagulant" in alert.title


def test_it_recognises_a_medication_list_entry_the_catalog_does_not_code_by_its_name(bob):
    factories.add_medication(bob, "999999", "Warfarin Sodium 3 MG Oral Tablet")
    order = pend(bob, "1364445", dose=5)  # apixaban
    check(bob)
    assert alerts_of(order, rule="duplicate_therapy")[0].details["other_label"] == "Warfarin Sodium 3 MG Oral Tablet"


def test_it_does_not_count_a_stopped_order_or_medication(bob):
    factories.add_medication(bob, "617310", "atorvastatin 20 MG Oral Tablet", status="stopped")
    order = pend(bob, "617311", dose=40)
    check(bob)
    assert alerts_of(order) == []
