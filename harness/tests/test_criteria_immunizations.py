"""Immunization criteria, each alone: vaccines recorded in the episode, never the seed history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinical import services as clinical
from clinical.tests import factories
from harness.rubrics import RubricError
from harness.rubrics.base import criterion_parse
from harness.tests.support import ACTOR, check, episode

pytestmark = pytest.mark.django_db

TDAP, TD, ZOSTER = "115", "113", "187"
GIVEN_TODAY = {"kind": "immunization_recorded", "cvx": [TDAP, TD], "days_before_recording": 0,
               "lot_number": "AC52B-031", "site": ["LD", "RD"]}


@pytest.fixture
def alice():
    return factories.make_alice()


def record(patient, cvx: str, step: int = 1, **fields):
    with episode(step):
        return clinical.immunization_record(patient=patient, cvx=cvx, actor=ACTOR, **fields)


def test_it_gives_no_credit_for_a_vaccine_recorded_outside_the_episode(alice):
    clinical.immunization_record(patient=alice, cvx=TDAP, actor=ACTOR, lot_number="AC52B031", site="LD")

    result = check(GIVEN_TODAY, alice)

    assert (result.score, result.passed) == (0.0, False)
    assert result.detail == "no vaccine with CVX 115 or 113 was recorded in this episode"


def test_it_credits_the_vaccine_given_the_day_it_was_recorded_with_its_lot_and_site(alice):
    record(alice, TDAP, lot_number="ac52b 031", site="RD")

    result = check(GIVEN_TODAY, alice)

    assert (result.score, result.passed, result.detail) == (1.0, True, "CVX 115 or 113 recorded")


def test_it_scores_the_best_record_and_names_what_is_wrong(alice):
    record(alice, TDAP, at=timezone.now() - timedelta(days=3), lot_number="AC52B031", site="LT")
    result = check(GIVEN_TODAY, alice)
    assert (result.score, result.passed) == (pytest.approx(2 / 4), False)
    assert result.detail == "CVX 115 or 113 recorded; wrong or missing: date, site"

    record(alice, TD, step=2, lot_number="AC52B031", site="LD")
    assert check(GIVEN_TODAY, alice).passed


def test_it_checks_a_date_or_the_days_before_recording(alice):
    given = timezone.localdate() - timedelta(days=12)
    record(alice, ZOSTER, at=timezone.make_aware(timezone.datetime.combine(given, timezone.datetime.min.time()))
           + timedelta(hours=12))

    assert check({"kind": "immunization_recorded", "cvx": ZOSTER, "date": given.isoformat()}, alice).passed
    assert check({"kind": "immunization_recorded", "cvx": ZOSTER, "days_before_recording": 12}, alice).passed
    late = check({"kind": "immunization_recorded", "cvx": ZOSTER, "days_before_recording": 0}, alice)
    assert (late.score, late.passed) == (0.5, False)


def test_it_refuses_a_rule_with_two_day_rules_or_a_bad_date():
    with pytest.raises(RubricError, match="not both"):
        criterion_parse({"kind": "immunization_recorded", "cvx": TDAP, "date": "2026-01-02",
                         "days_before_recording": 0})
    with pytest.raises(RubricError, match="Invalid isoformat string"):
        criterion_parse({"kind": "immunization_recorded", "cvx": TDAP, "date": "02/01/2026"})


def test_it_counts_vaccines_recorded_beyond_what_the_task_calls_for(alice):
    rule = {"kind": "no_extra_immunizations", "allow_cvx": [TDAP, TD]}
    record(alice, TDAP)
    assert check(rule, alice).passed
    assert criterion_parse(rule).severity == "penalty"

    record(alice, ZOSTER, step=2)

    result = check(rule, alice)
    assert (result.score, result.passed) == (0.0, False)
    assert result.detail == "vaccines recorded beyond what the task calls for: zoster vaccine recombinant (CVX 187)"
    assert check({**rule, "max_extra": 1}, alice).passed
