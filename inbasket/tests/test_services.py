"""Notifications arrive with results (a resulted order, the golden database's recent results), and a clinician
acknowledges them or routes them to the chart; each action leaves an audit event."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical.models import AuditEvent, Observation, Patient
from clinical.tests import factories
from inbasket import selectors, services
from inbasket.models import ResultNotification
from orders import results
from orders.tests.support import ACTOR, pend_and_sign

pytestmark = pytest.mark.django_db


def test_a_resulted_order_sends_one_notification_per_analyte_by_its_flag(bob, catalog):
    order = pend_and_sign(bob, "24321-2")
    results.order_result(order=order, actor=ACTOR, values={"2823-3": "2.2", "2951-2": "150", "2345-7": "90"})

    kinds = {n.observation.loinc: (n.kind, n.status) for n in selectors.notifications(patient=bob)}
    assert kinds == {"2823-3": ("critical", "new"), "2951-2": ("abnormal", "new"), "2345-7": ("normal", "new")}
    assert selectors.open_counts(patient=bob) == {"critical": 1, "abnormal": 1, "normal": 1}


def test_acknowledging_keeps_the_comment_audits_it_and_refuses_a_second_time(bob, catalog):
    order = pend_and_sign(bob, "2823-3")
    results.order_result(order=order, actor=ACTOR, values={"2823-3": "6.9"})
    notification = selectors.notifications(patient=bob).get()

    services.notification_acknowledge(notification=notification, actor="drsmith", comment="  Repeat ordered.  ")

    notification.refresh_from_db()
    assert (notification.status, notification.acknowledged_by, notification.note) == (
        "acknowledged", "drsmith", "Repeat ordered.")
    event = AuditEvent.objects.get(action="inbasket.acknowledge")
    assert (event.patient, event.target_id) == (bob, str(notification.pk))
    assert event.details == {"loinc": "2823-3", "kind": "critical", "value": 6.9, "flag": "HH",
                             "comment": "Repeat ordered."}
    with pytest.raises(ValidationError, match="already acknowledged by drsmith"):
        services.notification_acknowledge(notification=notification, actor="drsmith")
    with pytest.raises(ValidationError, match="at most 1000"):
        services.notification_acknowledge(notification=notification, actor="x", comment="x" * 1001)


def test_routing_marks_a_new_result_routed_and_leaves_it_open(bob, catalog):
    order = pend_and_sign(bob, "2823-3")
    results.order_result(order=order, actor=ACTOR, values={"2823-3": "3.0"})
    notification = selectors.notifications(patient=bob).get()

    services.notification_route(notification=notification, actor="drsmith")

    assert notification.status == "routed" and notification.is_open
    assert list(selectors.notifications(patient=bob, status="open")) == [notification]
    services.notification_acknowledge(notification=notification, actor="drsmith")
    services.notification_route(notification=notification, actor="drsmith")
    assert notification.status == "acknowledged"  # routing an acknowledged result does not reopen it
    assert AuditEvent.objects.filter(action="inbasket.route").count() == 2


def test_the_golden_seed_notifies_the_results_of_the_window_once(bob):
    reference = date(2026, 11, 1)
    at = timezone.make_aware(datetime(2026, 10, 31, 7, 0))
    inside = factories.add_observation(bob, "2823-3", "Potassium", 2.3, "mmol/L", at=at, flag="LL")
    factories.add_observation(bob, "2823-3", "Potassium", 4.0, "mmol/L", at=at - timedelta(days=40))
    factories.add_observation(bob, "8867-4", "Heart rate", 130, "/min", at=at, flag="HH",
                              category=Observation.Category.VITAL_SIGNS)

    assert services.notifications_seed_recent(using="default", reference_date=reference) == 1
    assert services.notifications_seed_recent(using="default", reference_date=reference) == 0
    assert services.notifications_seed_recent(using="default", reference_date=None) == 0
    notification = ResultNotification.objects.get()
    assert (notification.observation, notification.kind, notification.resulted_at) == (inside, "critical", at)


def test_selectors_filter_by_kind_status_and_analyte_and_find_patients(bob, alice):
    at = timezone.now() - timedelta(hours=2)
    for patient, loinc, flag in ((bob, "2823-3", "L"), (bob, "4548-4", "H"), (alice, "2823-3", "")):
        observation = factories.add_observation(patient, loinc, loinc, 1.0, "x", at=at, flag=flag)
        services.notifications_for_results([observation])

    assert [n.observation.loinc for n in selectors.notifications(kind="abnormal", loincs=["4548-4"])] == ["4548-4"]
    assert selectors.notifications(kind="normal").get().patient == alice
    with_a1c = Patient.objects.filter(selectors.notification_exists(kinds=["abnormal"], loincs=["4548-4"]))
    assert list(with_a1c) == [bob]
    assert not Patient.objects.filter(selectors.notification_exists(statuses=["acknowledged"])).exists()
