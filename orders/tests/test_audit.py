"""Every write leaves an audit event with what a rubric needs: codes, dose, route, reasons."""

import pytest

from orders import lifecycle, signing
from orders.tests.support import ACTOR, audit_actions, audit_event, check, pend

pytestmark = pytest.mark.django_db


def test_it_audits_the_whole_life_of_a_medication_order(alice):
    order = pend(alice, "308192", dose=500, frequency="TID", duration_days=7, priority="urgent")
    [alert] = check(alice)
    signing.alert_override(alert=alert, actor=ACTOR, reason="Low-risk history")
    signing.orders_sign(patient=alice, actor=ACTOR)
    order.refresh_from_db()
    lifecycle.order_discontinue(order=order, actor=ACTOR, reason="Course changed")
    assert audit_actions(alice) == [
        "encounter.start",  # the first order opens the patient's visit
        "order.pend",
        "alert.fire",
        "alert.override",
        "medication.start",
        "order.sign",
        "medication.discontinue",
        "order.discontinue",
    ]
    pended = audit_event(alice, "order.pend")
    assert (pended.actor, pended.target_type, pended.target_id) == (ACTOR, "orders.order", str(order.pk))
    assert {
        k: pended.details[k]
        for k in (
            "code",
            "code_system",
            "dose",
            "dose_unit",
            "route",
            "frequency",
            "duration_days",
            "priority",
            "status",
        )
    } == {
        "code": "308192",
        "code_system": "http://www.nlm.nih.gov/research/umls/rxnorm",
        "dose": 500.0,
        "dose_unit": "mg",
        "route": "PO",
        "frequency": "TID",
        "duration_days": 7,
        "priority": "urgent",
        "status": "pended",
    }
    assert audit_event(alice, "order.sign").details["status"] == "active"
    assert audit_event(alice, "order.discontinue").details["reason"] == "Course changed"
    fired = audit_event(alice, "alert.fire").details
    assert (fired["rule"], fired["severity"], fired["substance"]) == ("allergy", "high", "Penicillin V")


def test_it_audits_edits_with_what_changed_and_cancellations(bob):
    order = pend(bob, "1665021", dose=1000)
    lifecycle.order_update(order=order, actor=ACTOR, dose=2000)
    lifecycle.order_cancel(order=order, actor=ACTOR, reason="Wrong patient")
    assert audit_event(bob, "order.update").details["changes"] == {"dose": {"from": 1000.0, "to": 2000.0}}
    cancelled = audit_event(bob, "order.cancel").details
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "Wrong patient")


def test_it_audits_non_medication_details(bob):
    pend(bob, "399208008", reason_for_exam="Dyspnea", priority="stat")
    details = audit_event(bob, "order.pend").details
    assert (details["code_system"], details["reason_for_exam"], details["priority"]) == (
        "http://snomed.info/sct",
        "Dyspnea",
        "stat",
    )
    assert "dose" not in details
