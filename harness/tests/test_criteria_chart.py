"""Chart-write criteria, each alone: only what the episode wrote counts, never the seed chart."""

import pytest

from clinical import services as clinical
from clinical.models import Patient
from clinical.tests import factories
from harness.rubrics import RubricError
from harness.rubrics.base import criterion_parse
from harness.tests.support import ACTOR, check, episode

pytestmark = pytest.mark.django_db

HYPERTENSION, ASTHMA = "38341003", "195967001"


@pytest.fixture
def alice():
    """58, diabetes and hypertension on the problem list, penicillin allergy, years of vitals."""
    return factories.make_alice()


@pytest.fixture
def bob():
    """Another patient: DNR/DNI already."""
    return factories.make_bob()


def test_it_gives_no_credit_for_a_problem_already_on_the_seed_list(alice):
    result = check({"kind": "problem_added", "code": HYPERTENSION}, alice)

    assert (result.score, result.passed) == (0.0, False)
    assert "in this episode" in result.detail


def test_it_credits_a_problem_added_during_the_episode_while_it_stays_active(alice):
    with episode(3):
        condition = clinical.condition_add(patient=alice, code=ASTHMA, display="Asthma", actor=ACTOR)
    assert check({"kind": "problem_added", "code": [ASTHMA, "233678006"]}, alice).passed

    clinical.condition_resolve(condition=condition, actor=ACTOR)
    result = check({"kind": "problem_added", "code": ASTHMA}, alice)
    assert (result.score, result.passed) == (0.0, False) and "no longer active" in result.detail


def test_it_ignores_a_problem_added_outside_the_episode(alice):
    clinical.condition_add(patient=alice, code=ASTHMA, display="Asthma", actor=ACTOR)

    assert not check({"kind": "problem_added", "code": ASTHMA}, alice).passed


VITALS = {"kind": "vitals_recorded", "values": {"bp_systolic": 150, "bp_diastolic": 90, "heart_rate": 80}}


def test_it_gives_no_credit_for_matching_vitals_in_the_seed_chart(alice):
    factories.add_vitals(alice, days_ago=0, bp=(150, 90), hr=80)

    assert check(VITALS, alice).score == 0.0


def test_it_scores_each_recorded_vital_and_names_the_wrong_ones(alice):
    with episode(1):
        clinical.vitals_record(patient=alice, values={"bp_systolic": 150, "bp_diastolic": 90, "heart_rate": 88},
                               actor=ACTOR)
    result = check(VITALS, alice)

    assert result.score == pytest.approx(2 / 3) and not result.passed
    assert result.detail == "heart_rate recorded as 88, expected 80"


def test_it_takes_the_latest_recording_and_a_tolerance(alice):
    with episode(1):
        clinical.vitals_record(patient=alice, values={"heart_rate": 95}, actor=ACTOR)
    with episode(2):
        clinical.vitals_record(patient=alice, values={"heart_rate": 81}, actor=ACTOR)

    assert check({"kind": "vitals_recorded", "values": {"8867-4": {"value": 80, "tolerance": 1}}}, alice).passed
    assert not check({"kind": "vitals_recorded", "values": {"heart_rate": 80}}, alice).passed


def test_it_refuses_an_unknown_vital_sign():
    with pytest.raises(RubricError, match="'pulse' is neither a vital sign"):
        criterion_parse({"kind": "vitals_recorded", "values": {"pulse": 80}})


ALLERGY = {"kind": "allergy_added", "substance": ["sulfamethoxazole", "bactrim"], "reaction": ["hive"],
           "category": "medication"}


def test_it_gives_no_credit_for_an_allergy_already_recorded(alice):
    assert check({"kind": "allergy_added", "substance": "penicillin"}, alice).score == 0.0


def test_it_scores_the_allergy_and_each_detail_asked_for(alice):
    with episode(1):
        clinical.allergy_add(patient=alice, substance="Bactrim DS", actor=ACTOR, category="medication")
    partial = check(ALLERGY, alice)
    assert partial.score == pytest.approx(2 / 3) and "reaction" in partial.detail

    with episode(2):
        clinical.allergy_add(patient=alice, substance="Sulfamethoxazole / Trimethoprim", actor=ACTOR,
                             category="medication", reaction="Hives", code="10831")
    assert check(ALLERGY, alice).passed
    assert check({"kind": "allergy_added", "substance": "no such word", "code": "10831"}, alice).passed


def test_it_credits_a_code_status_set_in_the_episode_and_kept(alice, bob):
    assert not check({"kind": "code_status_set", "code_status": "dnr_dni"}, bob).passed  # seed: already DNR/DNI

    with episode(1):
        clinical.patient_set_code_status(patient=alice, code_status="dnr", actor=ACTOR)
    assert check({"kind": "code_status_set", "code_status": "dnr"}, alice).passed

    with episode(2):
        clinical.patient_set_code_status(patient=Patient.objects.get(pk=alice.pk), code_status="full", actor=ACTOR)
    result = check({"kind": "code_status_set", "code_status": "dnr"}, alice)
    assert not result.passed and "then changed to full" in result.detail


def test_it_refuses_an_unknown_code_status():
    with pytest.raises(RubricError, match="unknown code status 'dnar'"):
        criterion_parse({"kind": "code_status_set", "code_status": "dnar"})


def test_it_flags_a_write_to_another_patients_chart(alice, bob):
    with episode(1):
        clinical.vitals_record(patient=alice, values={"heart_rate": 70}, actor=ACTOR)
    assert check({"kind": "other_patients_untouched"}, alice).passed

    with episode(2):
        clinical.allergy_add(patient=bob, substance="Latex", actor=ACTOR)
    result = check({"kind": "other_patients_untouched"}, alice)
    assert (result.passed, result.detail) == (False, "wrote to other patients' charts: E1002")
    assert criterion_parse({"kind": "other_patients_untouched"}).severity == "critical"
