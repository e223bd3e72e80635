"""Writes to orders. Views, the admin, the harness and agents' semantic actions call these.

Every service is keyword-only, atomic on the chart's database (`chart_atomic`), checks
its input with a message per field (a ValidationError dict), writes an audit event in
the same transaction with the codes and details a rubric needs, and returns the model.

Signing runs decision support first: alerts are saved (so they can be answered by id)
and signing is refused with `OrderSignBlocked` until each is acknowledged (warnings)
or overridden with a reason (high severity).
"""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical.audit import audit_record
from clinical.models import DiagnosticReport, Medication, Observation, Patient
from clinical.reference_ranges import flag_for, reference_range
from clinical.services import chart_atomic, medication_discontinue, medication_start
from orders import cds, selectors
from orders.catalog import FREQUENCIES, FREQUENCY_ALIASES, NON_MEDICATION_FREQUENCIES, ROUTE_ALIASES, ROUTES
from orders.models import Order, Orderable, OrderAlert, OrderSet, OrderType, Priority

# ValidationError codes a caller can branch on (the views answer 409 for these).
ORDER_NOT_PENDED = "order_not_pended"
ORDER_NOT_ACTIVE = "order_not_active"
MAX_DURATION_DAYS = 365
TEXT_LIMITS = {"indication": 255, "prn_reason": 200, "specimen": 60, "reason_for_exam": 255}


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


# --- Validating what an order says ------------------------------------------------------


def _number(raw, field: str, label: str, errors: dict) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors[field] = f"{label} must be a number; got {raw!r}."
        return None
    if value != value or value in (float("inf"), float("-inf")):
        errors[field] = f"{label} must be a finite number; got {raw!r}."
        return None
    return value


def _text(values: dict, field: str, errors: dict) -> str:
    text = str(values.get(field) or "").strip()
    limit = TEXT_LIMITS.get(field)
    if limit and len(text) > limit:
        errors[field] = f"Keep this under {limit} characters (it has {len(text)})."
    return text


def _choice(raw: str, choices, field: str, label: str, errors: dict, aliases: dict | None = None) -> str:
    """A code from `choices`, also accepting a name or abbreviation ("oral", "q.d.")."""
    value = str(raw or "").strip().upper()
    value = (aliases or {}).get(value, value)
    if value and value not in choices:
        errors[field] = f"Unknown {label} {raw!r}; choose one of {', '.join(choices)}."
    return value


def _clean_medication(orderable: Orderable, values: dict, errors: dict) -> dict:
    name = orderable.ingredient or orderable.name
    unit = orderable.dose_unit
    dose = _number(values.get("dose"), "dose", "Dose", errors)
    if dose is None and "dose" not in errors:
        errors["dose"] = f"Enter a dose for {name} (in {unit})."
    elif dose is not None and dose <= 0:
        errors["dose"] = f"Dose must be greater than zero; got {dose:g}."
    dose_unit = str(values.get("dose_unit") or "").strip() or unit
    if dose_unit != unit:
        errors["dose_unit"] = f"{name} is dosed in {unit}; got {dose_unit!r}."
    route = _choice(values.get("route") or orderable.default_route, ROUTES, "route", "route", errors, ROUTE_ALIASES)
    if route and "route" not in errors and orderable.routes and route not in orderable.routes:
        errors["route"] = (
            f"Route {route} is not available for {orderable.name}; choose {' or '.join(orderable.routes)}."
        )
    frequency = _choice(
        values.get("frequency") or orderable.default_frequency,
        FREQUENCIES,
        "frequency",
        "frequency",
        errors,
        FREQUENCY_ALIASES,
    )
    duration = values.get("duration_days")
    duration_days = None
    if duration not in (None, ""):
        try:
            duration_days = int(str(duration).strip())
        except ValueError:
            errors["duration_days"] = f"Duration must be a whole number of days; got {duration!r}."
        else:
            if not 1 <= duration_days <= MAX_DURATION_DAYS:
                errors["duration_days"] = (
                    f"Duration must be between 1 and {MAX_DURATION_DAYS} days; got {duration_days}."
                )
    prn = bool(values.get("prn"))
    prn_reason = _text(values, "prn_reason", errors) if prn else ""
    if prn and not prn_reason and "prn_reason" not in errors:
        errors["prn_reason"] = "Enter what the as-needed (PRN) dose is for, e.g. pain or nausea."
    return {
        "dose": dose,
        "dose_unit": dose_unit,
        "route": route,
        "frequency": frequency,
        "duration_days": duration_days,
        "prn": prn,
        "prn_reason": prn_reason,
    }


def _clean_other(orderable: Orderable, values: dict, errors: dict) -> dict:
    frequency = _choice(
        values.get("frequency") or "", NON_MEDICATION_FREQUENCIES, "frequency", "frequency", errors, FREQUENCY_ALIASES
    )
    cleaned = {
        "frequency": frequency,
        "specimen": _text(values, "specimen", errors)
        or (orderable.specimen if orderable.order_type == OrderType.LAB else ""),
        "reason_for_exam": _text(values, "reason_for_exam", errors),
        "consult_question": _text(values, "consult_question", errors),
    }
    if orderable.order_type == OrderType.IMAGING and not cleaned["reason_for_exam"] and "reason_for_exam" not in errors:
        errors["reason_for_exam"] = f"Enter the reason for exam for {orderable.name}."
    if orderable.order_type == OrderType.CONSULT and not cleaned["consult_question"]:
        errors["consult_question"] = (
            f"Enter the question for {orderable.attributes.get('specialty', 'the consultant')}."
        )
    return cleaned


def _clean(orderable: Orderable, values: dict) -> dict:
    """The order's fields from composer values, or a ValidationError naming every mistake."""
    errors: dict[str, str] = {}
    priority = str(values.get("priority") or Priority.ROUTINE).strip().lower()
    if priority not in Priority.values:
        errors["priority"] = f"Unknown priority {values.get('priority')!r}; choose routine, urgent or stat."
    cleaned = {
        "priority": priority,
        "indication": _text(values, "indication", errors),
        "instructions": str(values.get("instructions") or "").strip(),
        # Fields of the other order types stay empty.
        "dose": None,
        "dose_unit": "",
        "route": "",
        "frequency": "",
        "duration_days": None,
        "prn": False,
        "prn_reason": "",
        "specimen": "",
        "reason_for_exam": "",
        "consult_question": "",
    }
    if orderable.order_type == OrderType.MEDICATION:
        cleaned.update(_clean_medication(orderable, values, errors))
    else:
        cleaned.update(_clean_other(orderable, values, errors))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _resolve_orderable(orderable: Orderable | str) -> Orderable:
    if isinstance(orderable, Orderable):
        return orderable
    try:
        found = selectors.orderable_get(str(orderable))
    except Orderable.DoesNotExist:
        raise ValidationError(
            {"orderable": f"Unknown orderable {orderable!r}: search the catalog by name, synonym or code."}
        ) from None
    except Orderable.MultipleObjectsReturned as ambiguous:
        raise ValidationError({"orderable": str(ambiguous)}) from None
    if not found.active:
        raise ValidationError({"orderable": f"{found.name} is no longer orderable."})
    return found


def _order_details(order: Order, **extra) -> dict:
    """What an audit event says about an order: enough for a rubric to check it."""
    details = {
        "order_id": order.pk,
        "order_type": order.order_type,
        "code_system": order.code_system,
        "code": order.code,
        "display": order.display,
        "orderable": order.orderable.key,
        "status": order.status,
        "priority": order.priority,
    }
    if order.order_type == OrderType.MEDICATION:
        details.update(
            dose=order.dose,
            dose_unit=order.dose_unit,
            route=order.route,
            frequency=order.frequency,
            duration_days=order.duration_days,
            prn=order.prn,
            prn_reason=order.prn_reason,
        )
    for field in ("indication", "specimen", "reason_for_exam", "consult_question", "instructions", "order_set"):
        if getattr(order, field):
            details[field] = getattr(order, field)
    if order.order_type != OrderType.MEDICATION and order.frequency:
        details["frequency"] = order.frequency
    return {**details, **extra}


def _require_status(order: Order, status: str, done: str, code: str, hint: str = "") -> None:
    """Refuse a step the order's state does not allow, e.g. "only pended orders can be signed"."""
    if order.status != status:
        message = f"Order #{order.pk} ({order.display}) is {order.status}; only {status} orders can be {done}.{hint}"
        raise ValidationError({"order": message}, code=code)


# --- Pending, editing, cancelling -------------------------------------------------------


def _pend(
    *,
    patient: Patient,
    orderable: Orderable,
    actor: str,
    values: dict,
    order_set: str = "",
    reordered_from: Order | None = None,
) -> Order:
    now = timezone.now()
    order = Order.objects.create(
        patient=patient,
        orderable=orderable,
        order_type=orderable.order_type,
        code_system=orderable.code_system,
        code=orderable.code,
        display=orderable.name,
        status=Order.Status.PENDED,
        order_set=order_set,
        reordered_from=reordered_from,
        ordered_by=actor,
        created_at=now,
        updated_at=now,
        **_clean(orderable, values),
    )
    extra = {"reordered_from": reordered_from.pk} if reordered_from else {}
    audit_record(
        actor=actor, action="order.pend", target=order, patient=patient, details=_order_details(order, **extra)
    )
    return order


@chart_atomic
def order_pend(
    *,
    patient: Patient,
    orderable: Orderable | str,
    actor: str,
    dose: float | str | None = None,
    dose_unit: str = "",
    route: str = "",
    frequency: str = "",
    duration_days: int | str | None = None,
    prn: bool = False,
    prn_reason: str = "",
    priority: str = Priority.ROUTINE,
    indication: str = "",
    specimen: str = "",
    reason_for_exam: str = "",
    consult_question: str = "",
    instructions: str = "",
) -> Order:
    """Pend (draft) an order; `orderable` is an Orderable or its key or code.

    Route and frequency default to the orderable's; a medication needs a dose.
    """
    values = {
        "dose": dose,
        "dose_unit": dose_unit,
        "route": route,
        "frequency": frequency,
        "duration_days": duration_days,
        "prn": prn,
        "prn_reason": prn_reason,
        "priority": priority,
        "indication": indication,
        "specimen": specimen,
        "reason_for_exam": reason_for_exam,
        "consult_question": consult_question,
        "instructions": instructions,
    }
    return _pend(patient=patient, orderable=_resolve_orderable(orderable), actor=actor, values=values)


EDITABLE_FIELDS = (
    "dose",
    "dose_unit",
    "route",
    "frequency",
    "duration_days",
    "prn",
    "prn_reason",
    "priority",
    "indication",
    "specimen",
    "reason_for_exam",
    "consult_question",
    "instructions",
)


@chart_atomic
def order_update(
    *,
    order: Order,
    actor: str,
    dose: float | str | None = None,
    dose_unit: str | None = None,
    route: str | None = None,
    frequency: str | None = None,
    duration_days: int | str | None = None,
    prn: bool | None = None,
    prn_reason: str | None = None,
    priority: str | None = None,
    indication: str | None = None,
    specimen: str | None = None,
    reason_for_exam: str | None = None,
    consult_question: str | None = None,
    instructions: str | None = None,
) -> Order:
    """Edit a pended order; arguments left None keep their value ("" clears a text field).

    Signed orders are never edited in place: discontinue and reorder instead.
    """
    _require_status(
        order,
        Order.Status.PENDED,
        "edited",
        ORDER_NOT_PENDED,
        " Signed orders are never edited in place: discontinue the order and reorder.",
    )
    changes = {
        "dose": dose,
        "dose_unit": dose_unit,
        "route": route,
        "frequency": frequency,
        "duration_days": duration_days,
        "prn": prn,
        "prn_reason": prn_reason,
        "priority": priority,
        "indication": indication,
        "specimen": specimen,
        "reason_for_exam": reason_for_exam,
        "consult_question": consult_question,
        "instructions": instructions,
    }
    current = {field: getattr(order, field) for field in EDITABLE_FIELDS}
    values = {**current, **{k: v for k, v in changes.items() if v is not None}}
    cleaned = _clean(order.orderable, values)
    changed = {
        field: {"from": current[field], "to": cleaned[field]} for field in cleaned if cleaned[field] != current[field]
    }
    for field, value in cleaned.items():
        setattr(order, field, value)
    order.updated_at = timezone.now()
    order.save(update_fields=[*cleaned, "updated_at"])
    audit_record(
        actor=actor,
        action="order.update",
        target=order,
        patient=order.patient,
        details=_order_details(order, changes=changed),
    )
    return order


@chart_atomic
def order_cancel(*, order: Order, actor: str, reason: str = "") -> Order:
    """Remove a pended order before it is signed."""
    _require_status(order, Order.Status.PENDED, "cancelled", ORDER_NOT_PENDED)
    order.status = Order.Status.CANCELLED
    order.ended_at = timezone.now()
    order.ended_by = actor
    order.end_reason = reason.strip()
    order.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    audit_record(
        actor=actor,
        action="order.cancel",
        target=order,
        patient=order.patient,
        details=_order_details(order, reason=order.end_reason),
    )
    return order


@chart_atomic
def order_reorder(*, order: Order, actor: str) -> Order:
    """A new pended copy of a signed, completed or discontinued order, to edit and sign."""
    if order.status == Order.Status.PENDED:
        raise ValidationError({"order": f"Order #{order.pk} is still pended: edit it instead."}, code=ORDER_NOT_ACTIVE)
    values = {field: getattr(order, field) for field in EDITABLE_FIELDS}
    return _pend(patient=order.patient, orderable=order.orderable, actor=actor, values=values, reordered_from=order)


@chart_atomic
def order_set_apply(*, patient: Patient, order_set: OrderSet | str, actor: str) -> list[Order]:
    """Pend every order of a set with the set's defaults; each can be edited before signing."""
    if not isinstance(order_set, OrderSet):
        try:
            order_set = selectors.order_set_get(str(order_set))
        except OrderSet.DoesNotExist:
            known = ", ".join(selectors.order_sets().values_list("slug", flat=True))
            raise ValidationError({"order_set": f"Unknown order set {order_set!r}; known: {known}."}) from None
    orders = [
        _pend(
            patient=patient, orderable=item.orderable, actor=actor, values=dict(item.defaults), order_set=order_set.slug
        )
        for item in order_set.items.select_related("orderable").order_by("position")
    ]
    audit_record(
        actor=actor,
        action="order_set.apply",
        target=order_set,
        patient=patient,
        details={"order_set": order_set.slug, "name": order_set.name, "order_ids": [o.pk for o in orders]},
    )
    return orders


# --- Decision support and signing ---------------------------------------------------------


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
        _require_status(order, Order.Status.PENDED, "signed", ORDER_NOT_PENDED)
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
            details=_order_details(order, alerts=answered, medication_id=order.medication_id),
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


# --- After signing --------------------------------------------------------------------------


def medication_owning_order(medication: Medication) -> str:
    """Why a medication-list entry must not be stopped from the list: an active order started it (a guard of
    clinical.services.medication_stop; "" when no order owns it)."""
    order = Order.objects.filter(medication=medication, status=Order.Status.ACTIVE).order_by("pk").first()
    if order is None:
        return ""
    return (f"{medication.display} was started by order #{order.pk}: discontinue that order, which takes it off "
            "the medication list.")


@chart_atomic
def order_discontinue(*, order: Order, actor: str, reason: str) -> Order:
    """Stop an active order (with a reason); a medication order comes off the medication list."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for discontinuing this order."})
    _require_status(order, Order.Status.ACTIVE, "discontinued", ORDER_NOT_ACTIVE)
    order.status = Order.Status.DISCONTINUED
    order.ended_at, order.ended_by, order.end_reason = timezone.now(), actor, reason
    order.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    medication = order.medication
    if medication is not None and medication.status == Medication.Status.ACTIVE:
        medication_discontinue(medication=medication, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="order.discontinue",
        target=order,
        patient=order.patient,
        details=_order_details(order, reason=reason),
    )
    return order


@chart_atomic
def order_complete(*, order: Order, actor: str, note: str = "") -> Order:
    """Mark an active imaging, consult or nursing order done (labs complete by resulting)."""
    if order.order_type in (OrderType.LAB, OrderType.MEDICATION):
        how = "enter its results" if order.order_type == OrderType.LAB else "discontinue it when it is stopped"
        raise ValidationError(
            {"order": f"A {order.get_order_type_display().lower()} order is not completed by hand: {how}."}
        )
    _require_status(order, Order.Status.ACTIVE, "completed", ORDER_NOT_ACTIVE)
    order.status = Order.Status.COMPLETED
    order.ended_at, order.ended_by, order.end_reason = timezone.now(), actor, note.strip()
    order.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    audit_record(
        actor=actor,
        action="order.complete",
        target=order,
        patient=order.patient,
        details=_order_details(order, note=order.end_reason),
    )
    return order


def _result_value(component: dict, raw) -> tuple[float | None, str, str | None]:
    """(number, text, error) for one entered result: numeric analytes need a number."""
    text = str(raw).strip() if raw is not None else ""
    if not component.get("unit"):
        return None, text, None if text else "Enter a result."
    try:
        return float(text), "", None
    except ValueError:
        return None, "", f"{component['display']} is measured in {component['unit']}: enter a number, not {raw!r}."


@chart_atomic
def order_result(*, order: Order, actor: str, values: dict[str, float | str], at: datetime | None = None) -> Order:
    """Result an active lab order: one observation per analyte (flagged), then completed.

    `values` maps each analyte's LOINC code (the order's components) to its value;
    analytes left out are not reported. Results show in chart review (Results).
    """
    if order.order_type != OrderType.LAB:
        raise ValidationError({"order": f"Only lab orders are resulted; order #{order.pk} is {order.order_type}."})
    _require_status(order, Order.Status.ACTIVE, "resulted", ORDER_NOT_ACTIVE)
    components = {c["loinc"]: c for c in order.orderable.components}
    given = {code: value for code, value in (values or {}).items() if value not in (None, "")}
    if not given:
        raise ValidationError({"values": f"Enter at least one result for {order.display}."})
    unknown = sorted(set(given) - set(components))
    if unknown:
        raise ValidationError(
            {"values": f"{', '.join(unknown)} not part of {order.display}; its analytes are {', '.join(components)}."}
        )
    errors, parsed = {}, {}
    for code, raw in given.items():
        number, text, error = _result_value(components[code], raw)
        if error:
            errors[code] = error
        parsed[code] = (number, text)
    if errors:
        raise ValidationError(errors)
    moment = at or timezone.now()
    if moment > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"at": "A result cannot be dated in the future."})
    patient = order.patient
    observations = []
    for code, (number, text) in parsed.items():
        unit = components[code]["unit"]
        ref = reference_range(code, sex=patient.sex, unit=unit) or (None, None)
        observations.append(
            Observation.objects.create(
                fhir_id=str(uuid.uuid4()),
                patient=patient,
                category=Observation.Category.LABORATORY,
                loinc=code,
                display=components[code]["display"],
                value_num=number,
                value_text=text,
                unit=unit,
                ref_low=ref[0],
                ref_high=ref[1],
                flag=flag_for(code, number, sex=patient.sex, unit=unit) if number is not None else "",
                effective_at=moment,
                recorded_by=actor,
            )
        )
    order.results.add(*observations)
    if len(components) > 1:
        report = DiagnosticReport.objects.create(
            fhir_id=str(uuid.uuid4()),
            patient=patient,
            loinc=order.code,
            display=order.display,
            effective_at=moment,
            issued_at=timezone.now(),
        )
        report.results.set(observations)
    order.status = Order.Status.COMPLETED
    order.ended_at, order.ended_by = timezone.now(), actor
    order.save(update_fields=["status", "ended_at", "ended_by"])
    results = [
        {
            "loinc": o.loinc,
            "value": o.value_num if o.value_num is not None else o.value_text,
            "unit": o.unit,
            "flag": o.flag,
        }
        for o in observations
    ]
    audit_record(
        actor=actor,
        action="order.result",
        target=order,
        patient=patient,
        details=_order_details(order, results=results),
    )
    return order
