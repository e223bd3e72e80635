"""Medication-list criteria, each alone: drugs the patient was taking stopped in the episode, the others kept."""

import pytest

from clinical import services as clinical
from clinical.models import Medication
from clinical.tests import factories
from harness.rubrics import RubricError
from harness.rubrics.base import criterion_parse
from harness.tests.support import ACTOR, check, episode, pend, sign
from orders import lifecycle

pytestmark = pytest.mark.django_db

LISINOPRIL, METFORMIN, HYDROCHLOROTHIAZIDE = "314076", "860975", "310798"
STOPPED = {"kind": "medication_discontinued", "drug_class": "ace-inhibitor", "min_reason_words": 2}


@pytest.fixture
def alice():
    """On metformin, lisinopril 10 mg (renewed once) and atorvastatin; a finished amoxicillin course."""
    alice = factories.make_alice()
    factories.add_medication(alice, LISINOPRIL, "lisinopril 10 MG Oral Tablet", dosage_text="1 tablet daily")
    return alice


def stop(patient, rxnorm: str, reason: str, step: int = 1) -> list[Medication]:
    entry = Medication.objects.filter(patient=patient, rxnorm=rxnorm).order_by("-pk").first()
    with episode(step):
        return clinical.medication_stop(medication=entry, actor=ACTOR, reason=reason)


def test_it_gives_no_credit_for_a_drug_stopped_before_the_episode(alice):
    stop_outside = Medication.objects.filter(patient=alice, rxnorm=LISINOPRIL).first()
    clinical.medication_stop(medication=stop_outside, actor=ACTOR, reason="Angioedema of the lips")

    result = check(STOPPED, alice)

    assert (result.score, result.passed) == (0.0, False)
    assert result.detail == "no ace-inhibitor on the medication list was stopped in this episode"


def test_it_credits_a_home_drug_stopped_with_a_reason_by_class_ingredient_or_code(alice):
    stop(alice, LISINOPRIL, "Angioedema of the lips")

    for rule in (STOPPED, {"kind": "medication_discontinued", "ingredient": "LISINOPRIL"},
                 {"kind": "medication_discontinued", "code": [LISINOPRIL, "311353"]}):
        result = check(rule, alice)
        assert (result.score, result.passed) == (1.0, True), rule
    assert check(STOPPED, alice).detail == "lisinopril 10 MG Oral Tablet stopped"
    assert not check({"kind": "medication_discontinued", "drug_class": "statin"}, alice).passed


def test_it_gives_half_credit_for_a_reason_too_short(alice):
    stop(alice, LISINOPRIL, "Angioedema")

    result = check(STOPPED, alice)

    assert (result.score, result.passed) == (0.5, False) and "without a reason of 2+ words" in result.detail


def test_it_gives_half_credit_while_a_drug_of_the_class_stays_active(alice):
    factories.add_medication(alice, "858817", "enalapril maleate 10 MG Oral Tablet")
    stop(alice, LISINOPRIL, "Angioedema of the lips")

    result = check(STOPPED, alice)

    assert (result.score, result.passed) == (0.5, False)
    assert result.detail.endswith("still on the active list: enalapril maleate 10 MG Oral Tablet")


def test_it_leaves_a_drug_the_episode_ordered_to_order_discontinued(alice):
    with episode(1):
        order = pend(alice, HYDROCHLOROTHIAZIDE, dose=25)
        sign(alice, order)
        lifecycle.order_discontinue(order=order, actor=ACTOR, reason="Low sodium on the thiazide")

    assert not check({"kind": "medication_discontinued", "drug_class": "thiazide"}, alice).passed
    assert check({"kind": "medications_kept"}, alice).passed


def test_it_keeps_other_medications_unless_allowed(alice):
    kept = {"kind": "medications_kept", "allow_drug_class": "ace-inhibitor"}
    stop(alice, LISINOPRIL, "Angioedema of the lips")
    assert check(kept, alice).passed
    assert criterion_parse(kept).severity == "penalty"

    stop(alice, METFORMIN, "Patient request", step=2)

    result = check(kept, alice)
    assert (result.score, result.passed) == (0.0, False)
    assert result.detail == "stopped medications the task did not call for: metFORMIN 500 MG Oral Tablet, " \
                            "Extended Release"
    assert check({**kept, "allow_ingredient": ["metformin"]}, alice).passed
    assert not check({"kind": "medications_kept", "severity": "critical"}, alice).passed


def test_it_refuses_a_drug_rule_that_names_no_drug():
    with pytest.raises(RubricError, match="give at least one of 'code', 'drug_class' or 'ingredient'"):
        criterion_parse({"kind": "medication_discontinued", "min_reason_words": 2})
