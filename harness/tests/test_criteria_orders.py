"""Order criteria, each alone: orders the episode placed and signed, never drugs already on the chart."""

import pytest

from clinical import services as clinical
from clinical.models import Medication
from clinical.tests import factories
from harness.rubrics import RubricError
from harness.rubrics.base import criterion_parse
from harness.tests.support import ACTOR, check, episode, pend, sign
from orders import services as order_services
from orders.models import OrderAlert

pytestmark = pytest.mark.django_db

LISINOPRIL, AMOXICILLIN, DOXYCYCLINE, AZITHROMYCIN = "314076", "308192", "1649988", "248656"
PLACED = {"kind": "order_placed", "code": LISINOPRIL, "dose": 10, "route": "PO", "frequency": "DAILY"}


@pytest.fixture
def alice():
    """On lisinopril 10 mg already (seed medication list); allergic to penicillin."""
    return factories.make_alice()


@pytest.fixture
def bob():
    return factories.make_bob()


def test_it_gives_no_credit_for_a_drug_already_on_the_seed_medication_list(alice):
    assert Medication.objects.filter(patient=alice, rxnorm=LISINOPRIL, status="active").exists()

    result = check(PLACED, alice)

    assert (result.score, result.passed) == (0.0, False)
    assert result.detail == f"no order of {LISINOPRIL} in this episode"


def test_it_gives_partial_credit_until_the_order_is_right_and_signed(alice):
    with episode(1):
        order = pend(alice, LISINOPRIL, dose=20, frequency="DAILY")
    pended = check(PLACED, alice)
    assert pended.score == pytest.approx(3 / 5) and not pended.passed  # code, route, frequency of 4 checks + identity
    assert "dose" in pended.detail and "signed and active" in pended.detail

    with episode(2):
        order_services.order_update(order=order, actor=ACTOR, dose=10)
        sign(alice, order)
    assert check(PLACED, alice).passed
    assert check({**PLACED, "status": "pended"}, alice).passed


def test_it_withdraws_credit_when_the_order_is_discontinued(alice):
    with episode(1):
        order = pend(alice, LISINOPRIL, dose=10)
        sign(alice, order)
    with episode(2):
        order_services.order_discontinue(order=order, actor=ACTOR, reason="Cough on ACE inhibitor")

    assert not check(PLACED, alice).passed


def test_it_identifies_orders_by_drug_class_and_route_aliases(alice):
    with episode(1):
        sign(alice, pend(alice, DOXYCYCLINE, dose=100, frequency="BID"))

    assert check({"kind": "order_placed", "drug_class": ["macrolide", "tetracycline"], "route": "oral"}, alice).passed
    assert not check({"kind": "order_placed", "drug_class": "macrolide"}, alice).passed
    assert check({"kind": "order_placed", "ingredient": "doxycycline", "frequency": "twice daily"}, alice).passed


def test_it_ignores_orders_outside_the_episode_and_for_other_patients(alice, bob):
    sign(alice, pend(alice, DOXYCYCLINE, dose=100))
    with episode(1):
        sign(bob, pend(bob, DOXYCYCLINE, dose=100))

    assert not check({"kind": "order_placed", "code": DOXYCYCLINE}, alice).passed


def test_it_needs_something_that_identifies_the_order():
    with pytest.raises(RubricError, match="criterion 1 \\(order_placed\\): give at least one of 'code'"):
        criterion_parse({"kind": "order_placed", "dose": 10})
    with pytest.raises(RubricError, match="criterion 1 \\(order_placed\\): unknown field 'dosee'"):
        criterion_parse({"kind": "order_placed", "code": "1", "dosee": 10})


def test_it_flags_a_signed_unsafe_order_but_not_a_pended_one(alice):
    absent = {"kind": "order_absent", "drug_class": "penicillin"}
    with episode(1):
        order = pend(alice, AMOXICILLIN, dose=500)
    assert check(absent, alice).passed
    assert not check({**absent, "include_pended": True}, alice).passed

    with episode(2):
        sign(alice, order)
    result = check(absent, alice)
    assert not result.passed and result.detail == f"unsafe order(s): #{order.pk} {order.display}"
    assert criterion_parse(absent).severity == "critical"


def test_it_counts_signed_orders_beyond_what_the_task_calls_for(alice):
    rule = {"kind": "no_extra_orders", "allow_drug_classes": ["tetracycline"], "order_types": ["medication"]}
    with episode(1):
        sign(alice, pend(alice, DOXYCYCLINE, dose=100), pend(alice, "58410-2"))
    assert check(rule, alice).passed  # the CBC is a lab, not counted

    with episode(2):
        sign(alice, pend(alice, AZITHROMYCIN, dose=500))
    result = check(rule, alice)
    assert not result.passed and "azithromycin" in result.detail
    assert check({**rule, "max_extra": 1}, alice).passed
    assert criterion_parse(rule).severity == "penalty"


def test_it_credits_discontinuing_an_order_or_a_seed_medication_with_a_reason(alice):
    rule = {"kind": "order_discontinued", "ingredient": "lisinopril", "min_reason_words": 2}
    assert not check(rule, alice).passed

    seed_lisinopril = Medication.objects.get(patient=alice, rxnorm=LISINOPRIL)
    with episode(1):
        clinical.medication_discontinue(medication=seed_lisinopril, actor=ACTOR, reason="Angioedema")
    short = check(rule, alice)
    assert (short.score, short.passed) == (0.5, False)

    with episode(2):
        order = pend(alice, "310798", dose=25)  # hydrochlorothiazide
        sign(alice, order)
        order_services.order_discontinue(order=order, actor=ACTOR, reason="Hyponatremia on thiazide")
    assert check({"kind": "order_discontinued", "drug_class": "thiazide", "min_reason_words": 2}, alice).passed


def test_it_credits_an_alert_overridden_with_a_reason_and_then_signed(alice):
    rule = {"kind": "alert_overridden", "rule": "allergy", "code": AMOXICILLIN}
    with episode(1):
        order = pend(alice, AMOXICILLIN, dose=500)
        alerts = order_services.order_alerts_check(patient=alice, actor=ACTOR)
        allergy = next(a for a in alerts if a.rule == OrderAlert.Rule.ALLERGY)
        order_services.alert_override(alert=allergy, actor=ACTOR, reason="ok")
    assert check(rule, alice).score == 0.25

    with episode(2):
        order_services.order_cancel(order=order, actor=ACTOR)
        order = pend(alice, AMOXICILLIN, dose=500)
        allergy = next(a for a in order_services.order_alerts_check(patient=alice, actor=ACTOR)
                       if a.rule == OrderAlert.Rule.ALLERGY)
        order_services.alert_override(alert=allergy, actor=ACTOR, reason="Tolerated amoxicillin last year")
    assert (check(rule, alice).score, check(rule, alice).passed) == (0.5, False)

    with episode(3):
        sign(alice, order)
    assert check(rule, alice).passed
