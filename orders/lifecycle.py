"""Writes that move an order through its life: pend, edit, cancel, reorder, order sets, discontinue, complete.

Every service here, in orders.signing and in orders.results is keyword-only, atomic on
the chart's database (`chart_atomic`), checks its input with a message per field (a
ValidationError dict), writes an audit event in the same transaction with the codes and
details a rubric needs, and returns the model.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical.audit import audit_record
from clinical.encounters import encounter_for_charting
from clinical.models import Medication, Patient
from clinical.services import chart_atomic, medication_discontinue
from orders import selectors
from orders.details import DETAIL_FIELDS, OrderDetails
from orders.models import Order, Orderable, OrderSet, OrderType

# ValidationError codes a caller can branch on (the views answer 409 for these).
ORDER_NOT_PENDED = "order_not_pended"
ORDER_NOT_ACTIVE = "order_not_active"


def order_audit_details(order: Order, **extra) -> dict:
    """What an audit event says about an order: enough for a rubric to check it."""
    details = {
        "order_id": order.pk,
        "order_type": order.order_type,
        "code_system": order.code_system,
        "code": order.code,
        "display": order.display,
        "orderable": order.orderable.key,
        "status": order.status,
        **OrderDetails.from_order(order).for_audit(order.order_type),
    }
    if order.order_set:
        details["order_set"] = order.order_set
    return {**details, **extra}


def require_status(order: Order, status: str, done: str, code: str, hint: str = "") -> None:
    """Refuse a step the order's state does not allow, e.g. "only pended orders can be signed"."""
    if order.status != status:
        message = f"Order #{order.pk} ({order.display}) is {order.status}; only {status} orders can be {done}.{hint}"
        raise ValidationError({"order": message}, code=code)


def _detail_values(service: str, values: dict) -> dict:
    """Keyword arguments that name detail fields, as a typo in a fixed signature would be refused."""
    unknown = sorted(set(values) - set(DETAIL_FIELDS))
    if unknown:
        raise TypeError(f"{service}() got unexpected keyword argument(s) {', '.join(unknown)}")
    return values


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
    details = OrderDetails.clean(orderable, values).as_dict()
    order = Order.objects.create(
        patient=patient,
        encounter=encounter_for_charting(patient=patient, actor=actor, opened_by="order.pend"),
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
        **details,
    )
    extra = {"reordered_from": reordered_from.pk} if reordered_from else {}
    audit_record(
        actor=actor, action="order.pend", target=order, patient=patient, details=order_audit_details(order, **extra)
    )
    return order


@chart_atomic
def order_pend(*, patient: Patient, orderable: Orderable | str, actor: str, **details) -> Order:
    """Pend (draft) an order; `orderable` is an Orderable or its key or code.

    `details` are OrderDetails fields as entered (dose="500", route="oral" ...); route and
    frequency default to the orderable's; a medication needs a dose.
    """
    values = _detail_values("order_pend", details)
    return _pend(patient=patient, orderable=_resolve_orderable(orderable), actor=actor, values=values)


@chart_atomic
def order_update(*, order: Order, actor: str, **changes) -> Order:
    """Edit a pended order's OrderDetails fields; those left out or None keep their value ("" clears a text field).

    Signed orders are never edited in place: discontinue and reorder instead.
    """
    changes = _detail_values("order_update", changes)
    require_status(
        order,
        Order.Status.PENDED,
        "edited",
        ORDER_NOT_PENDED,
        " Signed orders are never edited in place: discontinue the order and reorder.",
    )
    current = OrderDetails.from_order(order)
    values = {**current.as_dict(), **{k: v for k, v in changes.items() if v is not None}}
    cleaned = OrderDetails.clean(order.orderable, values)
    changed = cleaned.changes_from(current)
    for field, value in cleaned.as_dict().items():
        setattr(order, field, value)
    order.updated_at = timezone.now()
    order.save(update_fields=[*DETAIL_FIELDS, "updated_at"])
    audit_record(
        actor=actor,
        action="order.update",
        target=order,
        patient=order.patient,
        details=order_audit_details(order, changes=changed),
    )
    return order


def _order_end(order: Order, *, status: str, actor: str, reason: str) -> None:
    """End an order (cancelled, discontinued or completed): when, by whom and why."""
    order.status = status
    order.ended_at, order.ended_by, order.end_reason = timezone.now(), actor, reason
    order.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])


@chart_atomic
def order_cancel(*, order: Order, actor: str, reason: str = "") -> Order:
    """Remove a pended order before it is signed."""
    require_status(order, Order.Status.PENDED, "cancelled", ORDER_NOT_PENDED)
    _order_end(order, status=Order.Status.CANCELLED, actor=actor, reason=reason.strip())
    audit_record(
        actor=actor,
        action="order.cancel",
        target=order,
        patient=order.patient,
        details=order_audit_details(order, reason=order.end_reason),
    )
    return order


@chart_atomic
def order_reorder(*, order: Order, actor: str) -> Order:
    """A new pended copy of a signed, completed or discontinued order, to edit and sign."""
    if order.status == Order.Status.PENDED:
        raise ValidationError({"order": f"Order #{order.pk} is still pended: edit it instead."}, code=ORDER_NOT_ACTIVE)
    values = OrderDetails.from_order(order).as_dict()
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
    require_status(order, Order.Status.ACTIVE, "discontinued", ORDER_NOT_ACTIVE)
    _order_end(order, status=Order.Status.DISCONTINUED, actor=actor, reason=reason)
    medication = order.medication
    if medication is not None and medication.status == Medication.Status.ACTIVE:
        medication_discontinue(medication=medication, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="order.discontinue",
        target=order,
        patient=order.patient,
        details=order_audit_details(order, reason=reason),
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
    require_status(order, Order.Status.ACTIVE, "completed", ORDER_NOT_ACTIVE)
    _order_end(order, status=Order.Status.COMPLETED, actor=actor, reason=note.strip())
    audit_record(
        actor=actor,
        action="order.complete",
        target=order,
        patient=order.patient,
        details=order_audit_details(order, note=order.end_reason),
    )
    return order
