"""Signing pended orders, with decision support first.

Alerts are saved (so they can be answered by id) and signing is refused with
`OrderSignBlocked` until each is acknowledged (warnings) or overridden with a reason
(high severity). Signing a medication order starts it on the medication list.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical.audit import audit_record
from clinical.models import Patient
from clinical.services import chart_atomic, medication_start
from orders import cds, selectors
from orders.lifecycle import ORDER_NOT_PENDED, order_audit_details, require_status
from orders.models import Order, OrderAlert, OrderType


class OrderSignBlocked(ValidationError):
    """Signing refused: these alerts need a response first. Nothing was signed."""

    def __init__(self, alerts: list[OrderAlert]):
        self.alerts = alerts
        titles = "; ".join(f"#{a.pk} {a.title}" for a in alerts)
        super().__init__(
            {
                "alerts": f"{len(alerts)} alert(s) need a response before signing: {titles}. Acknowledge warnings; "
                "override high-severity alerts with a reason."
            },
            code="alerts_unanswered",
        )


def _pended_orders(patient: Patient, orders: Iterable[Order | int] | None) -> list[Order]:
    if orders is None:
        chosen = list(selectors.orders_pended(patient))
    else:
        ids = [o.pk if isinstance(o, Order) else o for o in orders]
        found = {o.pk: o for o in Order.objects.select_related("orderable").filter(pk__in=ids)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise ValidationError({"orders": f"No order #{', #'.join(missing)}."})
        chosen = [found[i] for i in ids]
    for order in chosen:
        if order.patient_id != patient.pk:
            raise ValidationError({"orders": f"Order #{order.pk} belongs to another patient."})
        require_status(order, Order.Status.PENDED, "signed", ORDER_NOT_PENDED)
    if not chosen:
        raise ValidationError({"orders": "There are no pended orders to sign."})
    return chosen


def _sync_alerts(order: Order, specs: list[cds.AlertSpec], actor: str) -> list[OrderAlert]:
    """Make the order's saved alerts match what the rules say now.

    An alert that fires again for the same reason (same fingerprint) keeps its answer,
    unless it became high-severity after being merely acknowledged; alerts that no
    longer fire are marked resolved, never deleted, so the history stays.
    """
    existing = {alert.fingerprint: alert for alert in order.alerts.all()}
    current = []
    for spec in specs:
        alert = existing.pop(spec.fingerprint, None)
        fired = alert is None or alert.status == OrderAlert.Status.RESOLVED
        if alert is None:
            alert = OrderAlert(order=order, fingerprint=spec.fingerprint)
        escalated = alert.status == OrderAlert.Status.ACKNOWLEDGED and spec.severity == OrderAlert.Severity.HIGH
        if fired or escalated:
            alert.status = OrderAlert.Status.OPEN
            alert.override_reason, alert.answered_by, alert.answered_at = "", "", None
        described = (alert.rule, alert.severity, alert.title, alert.message, alert.details)
        alert.rule, alert.severity, alert.title = spec.rule, spec.severity, spec.title
        alert.message, alert.details = spec.message, spec.details
        if fired or escalated or described != (spec.rule, spec.severity, spec.title, spec.message, spec.details):
            alert.save()
        if fired or escalated:
            audit_record(
                actor=actor,
                action="alert.fire",
                target=alert,
                patient=order.patient,
                details=_alert_details(alert),
            )
        current.append(alert)
    for stale in existing.values():
        if stale.status != OrderAlert.Status.RESOLVED:
            stale.status = OrderAlert.Status.RESOLVED
            stale.save(update_fields=["status"])
            audit_record(
                actor=actor, action="alert.resolve", target=stale, patient=order.patient, details=_alert_details(stale)
            )
    return current


def _alert_details(alert: OrderAlert, **extra) -> dict:
    order = alert.order
    return {
        "alert_id": alert.pk,
        "order_id": order.pk,
        "code": order.code,
        "display": order.display,
        "rule": alert.rule,
        "severity": alert.severity,
        "title": alert.title,
        "status": alert.status,
        **alert.details,
        **extra,
    }


def _check(patient: Patient, orders: list[Order], actor: str) -> list[OrderAlert]:
    context = selectors.cds_context(patient)
    alerts = []
    for order in orders:
        alerts += _sync_alerts(order, cds.evaluate(selectors.cds_pending_order(order), context), actor)
    return alerts


@chart_atomic
def order_alerts_check(
    *, patient: Patient, actor: str, orders: Iterable[Order | int] | None = None
) -> list[OrderAlert]:
    """Run decision support on pended orders (all of the patient's by default) and save the alerts.

    Returns the current alerts, answered or not; `orders_sign` calls this first.
    """
    return _check(patient, _pended_orders(patient, orders), actor)


@chart_atomic
def _sign_answered(*, patient: Patient, actor: str, orders: Iterable[Order | int] | None) -> list[Order]:
    chosen = _pended_orders(patient, orders)
    # Checked again inside the transaction: the chart may have changed since the caller's check.
    unanswered = [alert for alert in _check(patient, chosen, actor) if alert.is_open]
    if unanswered:
        raise OrderSignBlocked(unanswered)
    now = timezone.now()
    for order in chosen:
        order.status = Order.Status.ACTIVE
        order.signed_at, order.signed_by, order.updated_at = now, actor, now
        if order.order_type == OrderType.MEDICATION:
            order.medication = medication_start(
                patient=patient,
                rxnorm=order.code,
                display=order.display,
                actor=actor,
                dosage_text=order.summary,
                as_needed=order.prn,
                reason=order.indication or order.prn_reason,
                authored_at=now,
            )
        order.save(update_fields=["status", "signed_at", "signed_by", "updated_at", "medication"])
        answered = [
            {
                "alert_id": a.pk,
                "rule": a.rule,
                "severity": a.severity,
                "status": a.status,
                "override_reason": a.override_reason,
            }
            for a in order.alerts.exclude(status=OrderAlert.Status.RESOLVED)
        ]
        audit_record(
            actor=actor,
            action="order.sign",
            target=order,
            patient=patient,
            details=order_audit_details(order, alerts=answered, medication_id=order.medication_id),
        )
    return chosen


def orders_sign(*, patient: Patient, actor: str, orders: Iterable[Order | int] | None = None) -> list[Order]:
    """Sign pended orders (all of the patient's by default, or these orders or ids): they become active.

    Decision support runs first and its alerts are saved; if any is unanswered this
    raises OrderSignBlocked (a ValidationError listing them) and signs nothing. Signing
    a medication order puts the drug on the active medication list.
    """
    orders = list(orders) if orders is not None else None  # read twice: by the check and by the signing
    alerts = order_alerts_check(patient=patient, actor=actor, orders=orders)
    unanswered = [alert for alert in alerts if alert.is_open]
    if unanswered:
        raise OrderSignBlocked(unanswered)
    return _sign_answered(patient=patient, actor=actor, orders=orders)


def _require_answerable(alert: OrderAlert) -> None:
    if alert.order.status != Order.Status.PENDED:
        raise ValidationError({"alert": f"Order #{alert.order_id} is {alert.order.status}; its alerts are closed."})
    if alert.status == OrderAlert.Status.RESOLVED:
        raise ValidationError({"alert": f"Alert #{alert.pk} no longer applies; check the orders again."})


@chart_atomic
def alert_acknowledge(*, alert: OrderAlert, actor: str) -> OrderAlert:
    """Acknowledge a warning (low severity). High-severity alerts need an override reason."""
    _require_answerable(alert)
    if alert.is_high:
        raise ValidationError(
            {"reason": f"Alert #{alert.pk} ({alert.title}) is high severity: override it with a reason."}
        )
    if alert.status != OrderAlert.Status.OPEN:
        raise ValidationError({"alert": f"Alert #{alert.pk} is already {alert.status}."})
    alert.status = OrderAlert.Status.ACKNOWLEDGED
    alert.answered_by, alert.answered_at = actor, timezone.now()
    alert.save(update_fields=["status", "answered_by", "answered_at"])
    audit_record(
        actor=actor,
        action="alert.acknowledge",
        target=alert,
        patient=alert.order.patient,
        details=_alert_details(alert),
    )
    return alert


@chart_atomic
def alert_override(*, alert: OrderAlert, actor: str, reason: str) -> OrderAlert:
    """Override an alert with the clinical reason for going ahead anyway."""
    _require_answerable(alert)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Enter the reason for overriding alert #{alert.pk} ({alert.title})."})
    if alert.status == OrderAlert.Status.OVERRIDDEN:
        raise ValidationError({"alert": f"Alert #{alert.pk} is already overridden."})
    alert.status = OrderAlert.Status.OVERRIDDEN
    alert.override_reason = reason
    alert.answered_by, alert.answered_at = actor, timezone.now()
    alert.save(update_fields=["status", "override_reason", "answered_by", "answered_at"])
    audit_record(
        actor=actor,
        action="alert.override",
        target=alert,
        patient=alert.order.patient,
        details=_alert_details(alert, reason=reason),
    )
    return alert
