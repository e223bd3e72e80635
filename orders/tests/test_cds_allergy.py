"""Drug–allergy checking by substance and drug class, with cross-reactivity warnings."""

import pytest

from clinical.tests import factories
from orders.tests.support import alerts_of, check, pend

pytestmark = pytest.mark.django_db


def only_alert(patient, ref, **fields):
    order = pend(patient, ref, **fields)
    check(patient)
    return alerts_of(order, rule="allergy") + alerts_of(order, rule="allergy_cross")


def test_it_fires_a_high_alert_for_amoxicillin_in_a_penicillin_allergy(alice):
    [alert] = only_alert(alice, "308192", dose=500)
    assert (alert.rule, alert.severity) == ("allergy", "high")
    assert alert.title == "Allergy: Penicillin V"
    assert "Anaphylaxis" in alert.message and "amoxicillin" in alert.message


def test_it_fires_for_other_penicillins_by_class(alice):
    [alert] = only_alert(alice, "1659149", dose=4.5)
    assert alert.severity == "high" and alert.details["drug_class"] == "penicillin"


def test_it_warns_of_cross_reactivity_for_a_cephalosporin(alice):
    [alert] = only_alert(alice, "1665021", dose=1000)
    assert (alert.rule, alert.severity) == ("allergy_cross", "low")
    assert "cephalosporin" in alert.message


def test_it_matches_the_populations_rxnorm_coded_penicillin_allergy(bob):
    factories.add_allergy(
        bob,
        "Penicillin V",
        code="7984",
        category="medication",
        code_system="http://www.nlm.nih.gov/research/umls/rxnorm",
    )
    [alert] = only_alert(bob, "834061", dose=250)
    assert alert.severity == "high"


def test_it_warns_for_an_nsaid_in_an_aspirin_allergy_and_blocks_aspirin(bob):
    factories.add_allergy(bob, "Aspirin", code="1191", category="medication")
    [nsaid] = only_alert(bob, "310965", dose=400)
    assert (nsaid.rule, nsaid.severity) == ("allergy_cross", "low")
    [aspirin] = only_alert(bob, "243670", dose=81)
    assert (aspirin.rule, aspirin.severity) == ("allergy", "high")


def test_it_treats_an_ace_inhibitor_allergy_as_a_class_and_flags_sacubitril(bob):
    factories.add_allergy(bob, "Lisinopril", code="29046", category="medication", reaction="Angioedema")
    assert only_alert(bob, "858817", dose=10)[0].severity == "high"  # enalapril
    assert only_alert(bob, "1656349", dose=1)[0].severity == "high"  # sacubitril-valsartan
    assert only_alert(bob, "979492", dose=50)[0].severity == "low"  # losartan


def test_it_fires_when_the_allergy_is_free_text_naming_the_drug(bob):
    factories.add_allergy(bob, "Vancomycin (red man syndrome)")
    [alert] = only_alert(bob, "1807513", dose=1000)
    assert alert.severity == "high"


def test_it_stays_quiet_for_food_allergies_and_unrelated_drugs(alice):
    assert only_alert(alice, "1807513", dose=1000) == []  # vancomycin; alice: penicillin + peanut


def test_it_ignores_inactive_allergies(bob):
    factories.add_allergy(bob, "Penicillin V", code="7984", clinical_status="resolved")
    assert only_alert(bob, "308192", dose=500) == []
