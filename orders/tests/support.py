"""Small helpers the order tests share: pend, sign, answer alerts, add results."""

from datetime import timedelta

from django.utils import timezone

from clinical.models import AuditEvent, Observation
from clinical.tests import factories
from orders import lifecycle, signing
from orders.models import Order, OrderAlert

ACTOR = "drsmith"


def pend(patient, ref: str, **fields) -> Order:
    return lifecycle.order_pend(patient=patient, orderable=ref, actor=ACTOR, **fields)


def check(patient) -> list[OrderAlert]:
    return signing.order_alerts_check(patient=patient, actor=ACTOR)


def alerts_of(order: Order, *, rule: str | None = None) -> list[OrderAlert]:
    rows = order.alerts.exclude(status=OrderAlert.Status.RESOLVED)
    return list(rows.filter(rule=rule) if rule else rows)


def answer_all(patient, reason: str = "Benefit outweighs risk; will monitor") -> None:
    """Acknowledge every open warning and override every open high-severity alert."""
    for alert in check(patient):
        if not alert.is_open:
            continue
        if alert.is_high:
            signing.alert_override(alert=alert, actor=ACTOR, reason=reason)
        else:
            signing.alert_acknowledge(alert=alert, actor=ACTOR)


def sign(patient) -> list[Order]:
    answer_all(patient)
    return signing.orders_sign(patient=patient, actor=ACTOR)


def pend_and_sign(patient, ref: str, **fields) -> Order:
    order = pend(patient, ref, **fields)
    sign(patient)
    order.refresh_from_db()
    return order


def lab(patient, loinc: str, value: float, unit: str, *, days_ago: float = 1, display: str = "") -> Observation:
    return factories.add_observation(
        patient, loinc, display or loinc, value, unit, at=timezone.now() - timedelta(days=days_ago)
    )


def audit_actions(patient) -> list[str]:
    return list(AuditEvent.objects.filter(patient=patient).order_by("id").values_list("action", flat=True))


def audit_event(patient, action: str) -> AuditEvent:
    return AuditEvent.objects.filter(patient=patient, action=action).order_by("-id").first()
