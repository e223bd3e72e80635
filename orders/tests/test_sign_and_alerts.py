"""Alerts block signing until acknowledged (warnings) or overridden with a reason (high)."""

import pytest
from django.core.exceptions import ValidationError

from clinical.models import AuditEvent, Medication
from orders import lifecycle, signing
from orders.models import Order, OrderAlert
from orders.tests.support import ACTOR, alerts_of, audit_event, check, pend

pytestmark = pytest.mark.django_db


def test_it_refuses_to_sign_while_an_alert_is_unanswered_and_changes_nothing(alice):
    order = pend(alice, "308192", dose=500)  # penicillin allergy
    medications = Medication.objects.count()
    with pytest.raises(signing.OrderSignBlocked) as caught:
        signing.orders_sign(patient=alice, actor=ACTOR)
    assert "1 alert(s) need a response before signing" in caught.value.message_dict["alerts"][0]
    assert [a.title for a in caught.value.alerts] == ["Allergy: Penicillin V"]
    order.refresh_from_db()
    assert order.status == Order.Status.PENDED and order.medication is None
    assert Medication.objects.count() == medications
    assert not AuditEvent.objects.filter(action="order.sign").exists()
    # The alert is kept, so it can be answered by id.
    assert OrderAlert.objects.get(order=order).is_open


def test_it_refuses_an_override_without_a_reason(alice):
    pend(alice, "308192", dose=500)
    [alert] = check(alice)
    with pytest.raises(ValidationError) as caught:
        signing.alert_override(alert=alert, actor=ACTOR, reason="   ")
    assert "Enter the reason for overriding" in caught.value.message_dict["reason"][0]
    alert.refresh_from_db()
    assert alert.is_open and not AuditEvent.objects.filter(action="alert.override").exists()


def test_it_refuses_to_acknowledge_a_high_severity_alert(alice):
    pend(alice, "308192", dose=500)
    [alert] = check(alice)
    with pytest.raises(ValidationError, match="override it with a reason"):
        signing.alert_acknowledge(alert=alert, actor=ACTOR)


def test_it_signs_after_an_override_and_records_who_and_why(alice):
    order = pend(alice, "308192", dose=500)
    [alert] = check(alice)
    signing.alert_override(alert=alert, actor=ACTOR, reason="Tolerated amoxicillin in 2025")
    [signed] = signing.orders_sign(patient=alice, actor=ACTOR)
    assert signed.pk == order.pk and signed.status == Order.Status.ACTIVE
    alert.refresh_from_db()
    assert (alert.status, alert.override_reason, alert.answered_by) == (
        OrderAlert.Status.OVERRIDDEN,
        "Tolerated amoxicillin in 2025",
        ACTOR,
    )
    event = audit_event(alice, "alert.override")
    assert event.details["reason"] == "Tolerated amoxicillin in 2025" and event.details["code"] == "308192"
    assert audit_event(alice, "order.sign").details["alerts"][0]["override_reason"] == "Tolerated amoxicillin in 2025"


def test_it_signs_after_a_warning_is_acknowledged(alice):
    pend(alice, "1665021", dose=1000)  # cephalosporin: cross-reactivity warning only
    [alert] = check(alice)
    signing.alert_acknowledge(alert=alert, actor=ACTOR)
    [signed] = signing.orders_sign(patient=alice, actor=ACTOR)
    assert signed.status == Order.Status.ACTIVE
    assert audit_event(alice, "alert.acknowledge").details["rule"] == "allergy_cross"


def test_it_keeps_an_answer_while_the_same_alert_fires_again(alice):
    pend(alice, "308192", dose=500)
    [alert] = check(alice)
    signing.alert_override(alert=alert, actor=ACTOR, reason="Desensitized")
    [again] = check(alice)
    assert again.pk == alert.pk and again.status == OrderAlert.Status.OVERRIDDEN


def test_it_raises_a_new_alert_when_an_edit_changes_the_reason(bob):
    order = pend(bob, "313782", dose=650, frequency="Q6H")
    assert check(bob) == []
    lifecycle.order_update(order=order, actor=ACTOR, dose=1500, frequency="ONCE")
    [alert] = check(bob)
    assert alert.rule == "dose_range" and alert.is_open
    lifecycle.order_update(order=order, actor=ACTOR, dose=500)
    assert check(bob) == []
    alert.refresh_from_db()
    assert alert.status == OrderAlert.Status.RESOLVED  # kept for the record, no longer blocking


def test_it_signs_orders_without_alerts_straight_away(bob):
    order = pend(bob, "58410-2")
    assert [o.pk for o in signing.orders_sign(patient=bob, actor=ACTOR)] == [order.pk]
    assert alerts_of(order) == []


def test_it_closes_alerts_once_the_order_is_signed(alice):
    pend(alice, "1665021", dose=1000)
    [alert] = check(alice)
    signing.alert_acknowledge(alert=alert, actor=ACTOR)
    signing.orders_sign(patient=alice, actor=ACTOR)
    alert.refresh_from_db()
    with pytest.raises(ValidationError, match="its alerts are closed"):
        signing.alert_override(alert=alert, actor=ACTOR, reason="late")
