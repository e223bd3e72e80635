"""Order entry: the same services and reads as the chart's Orders activity.

Each handler finds the patient (and the order or alert by id on that patient's chart),
calls one orders service and reports the rows it returns; the services validate.
Signing held up by decision support is a result, not an error: see `sign_orders`.
"""

from typing import Literal

from pydantic import Field

from agentenv.actions.common import MRN_DESCRIPTION, iso, patient_for, route
from agentenv.actions.registry import Action, ActionContext, ActionError, ActionResult, Number, action
from clinical.models import Patient
from orders import lifecycle, selectors, signing
from orders.catalog import FREQUENCIES, ROUTES
from orders.details import DETAIL_FIELDS, MAX_DURATION_DAYS, OrderDetails
from orders.models import Order, Orderable, OrderAlert, OrderType, Priority

ORDER_TYPE = Literal[tuple(OrderType.values)]  # type: ignore[valid-type]
PRIORITY = Literal[tuple(Priority.values)]  # type: ignore[valid-type]
ORDER_STATUS = Literal[selectors.ORDER_STATUS_FILTERS]  # type: ignore[valid-type]
MAX_ORDERS = 200
# Lengths on the wire only bound the request; the services check each field's own limit
# (an indication's 255 characters) and say so in their own words.
SHORT_WIRE_MAX, LONG_WIRE_MAX = 1000, 4000
# Order.end_reason's length, which the UI's reason box also keeps to.
REASON_MAX = Order._meta.get_field("end_reason").max_length

ROUTE_CODES = ", ".join(f"{code} ({label})" for code, label in ROUTES.items())
FREQUENCY_CODES = ", ".join(FREQUENCIES)
ORDER_ID = "Id of the order, as place_order, apply_order_set or list_orders return it."
ALERT_ID = "Id of the alert, as sign_orders lists it under blocked_by_alerts."

# The composer's fields, described once for place_order (a value) and update_order (a change).
DETAILS = {
    "dose": "Dose per administration, in the orderable's dose unit (medications; required for them).",
    "dose_unit": "Unit of the dose; must be the orderable's dose unit (see search_orderables). Empty: that unit.",
    "route": f"Route code (medications): {ROUTE_CODES}. Empty: the orderable's default route.",
    "frequency": f"Frequency code: {FREQUENCY_CODES}. Empty: the orderable's default (medications) or none.",
    "duration_days": f"How many days the medication is given (1-{MAX_DURATION_DAYS}); none: no set end.",
    "prn": "True for an as-needed (PRN) medication; then prn_reason is required.",
    "prn_reason": "What the as-needed dose is for, e.g. pain or nausea.",
    "priority": "routine, urgent or stat.",
    "indication": "Why the order is placed, e.g. Community-acquired pneumonia.",
    "specimen": "Specimen of a lab order; empty: the lab's usual specimen.",
    "reason_for_exam": "Reason for exam (required for imaging orders).",
    "consult_question": "The question for the consultant (required for consult / referral orders).",
    "instructions": "Free-text instructions, e.g. for nursing.",
}


class SearchOrderables(Action):
    """Search the order catalog (medications, labs, imaging, consults, nursing) by name, synonym or code."""

    type: Literal["search_orderables"] = Field(description="Action type.")
    text: str = Field(min_length=1, max_length=100, description="Words of the name or a synonym, or a code.")
    order_type: ORDER_TYPE | None = Field(None, description="Only orderables of this type.")
    limit: int = Field(20, ge=1, le=selectors.SEARCH_LIMIT, description="Most orderables to return.")


class ListOrderSets(Action):
    """List the order sets (e.g. sepsis, chest pain) and the orders each one pends."""

    type: Literal["list_order_sets"] = Field(description="Action type.")


class PlaceOrder(Action):
    """Pend a new order (a draft: it takes effect when signed with sign_orders)."""

    type: Literal["place_order"] = Field(description="Action type.")
    orderable: str = Field(
        min_length=1, max_length=40, description="The orderable's key or code, as search_orderables returns it."
    )
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    dose: Number | None = Field(None, description=DETAILS["dose"])
    dose_unit: str = Field("", max_length=20, description=DETAILS["dose_unit"])
    route: str = Field("", max_length=40, description=DETAILS["route"])
    frequency: str = Field("", max_length=40, description=DETAILS["frequency"])
    duration_days: int | None = Field(None, description=DETAILS["duration_days"])
    prn: bool = Field(False, description=DETAILS["prn"])
    prn_reason: str = Field("", max_length=SHORT_WIRE_MAX, description=DETAILS["prn_reason"])
    priority: PRIORITY = Field(Priority.ROUTINE.value, description=DETAILS["priority"])
    indication: str = Field("", max_length=SHORT_WIRE_MAX, description=DETAILS["indication"])
    specimen: str = Field("", max_length=SHORT_WIRE_MAX, description=DETAILS["specimen"])
    reason_for_exam: str = Field("", max_length=SHORT_WIRE_MAX, description=DETAILS["reason_for_exam"])
    consult_question: str = Field("", max_length=LONG_WIRE_MAX, description=DETAILS["consult_question"])
    instructions: str = Field("", max_length=LONG_WIRE_MAX, description=DETAILS["instructions"])


def _change(field: str) -> str:
    return f"{DETAILS[field]} Omit to keep the current value."


class UpdateOrder(Action):
    """Change a pended order before it is signed (signed orders are discontinued and reordered instead)."""

    type: Literal["update_order"] = Field(description="Action type.")
    order_id: int = Field(ge=1, description=ORDER_ID)
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    dose: Number | None = Field(None, description=_change("dose"))
    dose_unit: str | None = Field(None, max_length=20, description=_change("dose_unit"))
    route: str | None = Field(None, max_length=40, description=_change("route"))
    frequency: str | None = Field(None, max_length=40, description=_change("frequency"))
    duration_days: int | None = Field(None, description=_change("duration_days"))
    prn: bool | None = Field(None, description=_change("prn"))
    prn_reason: str | None = Field(None, max_length=SHORT_WIRE_MAX, description=_change("prn_reason"))
    priority: PRIORITY | None = Field(None, description=_change("priority"))
    indication: str | None = Field(None, max_length=SHORT_WIRE_MAX, description=_change("indication"))
    specimen: str | None = Field(None, max_length=SHORT_WIRE_MAX, description=_change("specimen"))
    reason_for_exam: str | None = Field(None, max_length=SHORT_WIRE_MAX, description=_change("reason_for_exam"))
    consult_question: str | None = Field(None, max_length=LONG_WIRE_MAX, description=_change("consult_question"))
    instructions: str | None = Field(None, max_length=LONG_WIRE_MAX, description=_change("instructions"))


class CancelOrder(Action):
    """Remove a pended order before it is signed."""

    type: Literal["cancel_order"] = Field(description="Action type.")
    order_id: int = Field(ge=1, description=ORDER_ID)
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    reason: str = Field("", max_length=REASON_MAX, description="Why it is removed (optional).")


class ReorderOrder(Action):
    """Pend a new copy of a signed, completed or discontinued order, to change and sign."""

    type: Literal["reorder_order"] = Field(description="Action type.")
    order_id: int = Field(ge=1, description=ORDER_ID)
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class ApplyOrderSet(Action):
    """Pend every order of an order set with the set's defaults; each can be updated or cancelled before signing."""

    type: Literal["apply_order_set"] = Field(description="Action type.")
    slug: str = Field(min_length=1, max_length=40, description="The order set's slug, as list_order_sets returns it.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class SignOrders(Action):
    """Sign pended orders so they take effect. Decision support runs first: if it raises
    alerts that need an answer, nothing is signed and the result lists them under
    blocked_by_alerts; answer each (acknowledge_alert / override_alert) and sign again."""

    type: Literal["sign_orders"] = Field(description="Action type.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    order_ids: list[int] | None = Field(
        None, min_length=1, max_length=MAX_ORDERS, description="Only these pended orders; omit to sign all of them."
    )


class AcknowledgeAlert(Action):
    """Acknowledge a decision-support warning (low severity) on a pended order."""

    type: Literal["acknowledge_alert"] = Field(description="Action type.")
    alert_id: int = Field(ge=1, description=ALERT_ID)
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class OverrideAlert(Action):
    """Override a decision-support alert (needed for high severity) with the clinical reason to go ahead."""

    type: Literal["override_alert"] = Field(description="Action type.")
    alert_id: int = Field(ge=1, description=ALERT_ID)
    reason: str = Field(max_length=LONG_WIRE_MAX, description="Why the order is right despite the alert.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class DiscontinueOrder(Action):
    """Stop an active (signed) order; a medication comes off the medication list."""

    type: Literal["discontinue_order"] = Field(description="Action type.")
    order_id: int = Field(ge=1, description=ORDER_ID)
    reason: str = Field(max_length=REASON_MAX, description="Why the order is stopped.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class ListOrders(Action):
    """A patient's orders in one status (or all), with their decision-support alerts."""

    type: Literal["list_orders"] = Field(description="Action type.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    status: ORDER_STATUS = Field(
        selectors.DEFAULT_STATUS_FILTER, description="Which orders: " + ", ".join(selectors.ORDER_STATUS_FILTERS) + "."
    )
    limit: int = Field(
        50, ge=1, le=MAX_ORDERS, description="Most orders to return (newest first; pended ones oldest first)."
    )


# --- JSON of rows ---------------------------------------------------------------------------


def _orderable_json(orderable: Orderable) -> dict:
    return {
        "key": orderable.key,
        "name": orderable.name,
        "type": orderable.order_type,
        "code": orderable.code,
        "code_system": orderable.code_system,
        "dose_unit": orderable.dose_unit,
        "default_dose": orderable.default_dose,
        "default_route": orderable.default_route,
        "routes": orderable.routes,
        "default_frequency": orderable.default_frequency,
        "specimen": orderable.specimen,
    }


def _alert_json(alert: OrderAlert) -> dict:
    return {
        "id": alert.pk,
        "order_id": alert.order_id,
        "severity": alert.severity,
        "rule": alert.rule,
        "title": alert.title,
        "message": alert.message,
        "status": alert.status,
        "override_reason": alert.override_reason,
        "answered_by": alert.answered_by,
    }


def _order_json(order: Order, *, alerts: list[OrderAlert] | None = None) -> dict:
    row = {
        "id": order.pk,
        "status": order.status,
        "type": order.order_type,
        "orderable": order.orderable.key,
        "code": order.code,
        "code_system": order.code_system,
        "display": order.display,
        "summary": order.summary,
        **OrderDetails.from_order(order).as_dict(),
        "order_set": order.order_set,
        "ordered_by": order.ordered_by,
        "created_at": iso(order.created_at),
        "signed_at": iso(order.signed_at),
        "signed_by": order.signed_by,
        "ended_at": iso(order.ended_at),
        "end_reason": order.end_reason,
    }
    if alerts is not None:
        row["alerts"] = [_alert_json(alert) for alert in alerts]
    return row


# --- Finding what an id names on the patient's chart ------------------------------------------


def _order(patient: Patient, order_id: int) -> Order:
    try:
        return selectors.order_get(patient=patient, order_id=order_id)
    except Order.DoesNotExist:
        raise ActionError(
            f"No order #{order_id} on the chart of {patient.chart_name} (MRN {patient.mrn}); see list_orders."
        ) from None


def _alert(patient: Patient, alert_id: int) -> OrderAlert:
    try:
        return selectors.alert_get(patient=patient, alert_id=alert_id)
    except OrderAlert.DoesNotExist:
        raise ActionError(
            f"No alert #{alert_id} on the chart of {patient.chart_name} (MRN {patient.mrn}); "
            "sign_orders lists the alerts that need an answer."
        ) from None


def _orders_page(patient: Patient, **query) -> str:
    return route("orders:chart_orders", mrn=patient.mrn, query=query)


def _result(patient: Patient, data: dict, page: str) -> ActionResult:
    return ActionResult(data={"mrn": patient.mrn, **data}, route=page, open_mrn=patient.mrn)


# --- Handlers ---------------------------------------------------------------------------------


@action(SearchOrderables)
def search_orderables(act: SearchOrderables, context: ActionContext) -> ActionResult:
    found = selectors.orderable_search(act.text, order_type=act.order_type or "", limit=act.limit)
    # Order entry is a tab of a chart: with one open, the agent is searching there.
    page = (
        route("orders:chart_orders", mrn=context.open_mrn, query={"q": act.text, "type": act.order_type})
        if context.open_mrn
        else None
    )
    return ActionResult(data={"orderables": [_orderable_json(o) for o in found], "count": len(found)}, route=page)


@action(ListOrderSets)
def list_order_sets(act: ListOrderSets, context: ActionContext) -> ActionResult:
    sets = [
        {
            "slug": order_set.slug,
            "name": order_set.name,
            "description": order_set.description,
            "orders": [
                {"orderable": item.orderable.key, "name": item.orderable.name, "defaults": item.defaults}
                for item in order_set.items.all()
            ],
        }
        for order_set in selectors.order_sets()
    ]
    page = route("orders:chart_orders", mrn=context.open_mrn) if context.open_mrn else None
    return ActionResult(data={"order_sets": sets}, route=page)


@action(PlaceOrder)
def place_order(act: PlaceOrder, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    details = act.model_dump(include=set(DETAIL_FIELDS))
    order = lifecycle.order_pend(patient=patient, orderable=act.orderable, actor=context.actor, **details)
    return _result(patient, {"order": _order_json(order)}, _orders_page(patient))


@action(UpdateOrder)
def update_order(act: UpdateOrder, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    order = _order(patient, act.order_id)
    # Fields left out stay as they are: the service keeps every argument that is None.
    changes = act.model_dump(include=set(DETAIL_FIELDS), exclude_none=True)
    order = lifecycle.order_update(order=order, actor=context.actor, **changes)
    return _result(patient, {"order": _order_json(order)}, _orders_page(patient))


@action(CancelOrder)
def cancel_order(act: CancelOrder, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    order = lifecycle.order_cancel(order=_order(patient, act.order_id), actor=context.actor, reason=act.reason)
    return _result(patient, {"order": _order_json(order)}, _orders_page(patient))


@action(ReorderOrder)
def reorder_order(act: ReorderOrder, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    order = lifecycle.order_reorder(order=_order(patient, act.order_id), actor=context.actor)
    return _result(patient, {"order": _order_json(order), "reordered_from": act.order_id}, _orders_page(patient))


@action(ApplyOrderSet)
def apply_order_set(act: ApplyOrderSet, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    orders = lifecycle.order_set_apply(patient=patient, order_set=act.slug, actor=context.actor)
    return _result(
        patient, {"order_set": act.slug, "orders": [_order_json(order) for order in orders]}, _orders_page(patient)
    )


@action(SignOrders)
def sign_orders(act: SignOrders, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    try:
        signed = signing.orders_sign(patient=patient, actor=context.actor, orders=act.order_ids)
    except signing.OrderSignBlocked as blocked:
        # An alert is information for the agent to act on, not a mistake: a result, with
        # no penalty. Returning (not raising) also keeps the alerts the check saved,
        # which the step's savepoint would otherwise roll back, taking their ids with it.
        return _result(
            patient,
            {
                "signed": [],
                "blocked_by_alerts": [_alert_json(alert) for alert in blocked.alerts],
                "message": " ".join(blocked.messages),
            },
            route("orders:sign_review", mrn=patient.mrn),
        )
    return _result(
        patient,
        {"signed": [_order_json(order) for order in signed], "blocked_by_alerts": []},
        _orders_page(patient, status=Order.Status.ACTIVE),
    )


def _answered(patient: Patient, alert: OrderAlert) -> ActionResult:
    still_open = [_alert_json(a) for a in selectors.alerts_for_review(patient) if a.is_open]
    return _result(
        patient, {"alert": _alert_json(alert), "open_alerts": still_open}, route("orders:sign_review", mrn=patient.mrn)
    )


@action(AcknowledgeAlert)
def acknowledge_alert(act: AcknowledgeAlert, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    alert = signing.alert_acknowledge(alert=_alert(patient, act.alert_id), actor=context.actor)
    return _answered(patient, alert)


@action(OverrideAlert)
def override_alert(act: OverrideAlert, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    alert = signing.alert_override(alert=_alert(patient, act.alert_id), actor=context.actor, reason=act.reason)
    return _answered(patient, alert)


@action(DiscontinueOrder)
def discontinue_order(act: DiscontinueOrder, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    order = lifecycle.order_discontinue(order=_order(patient, act.order_id), actor=context.actor, reason=act.reason)
    return _result(patient, {"order": _order_json(order)}, _orders_page(patient))


@action(ListOrders)
def list_orders(act: ListOrders, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    orders = selectors.orders_for_patient(patient, status=act.status).prefetch_related("alerts")[: act.limit]
    rows = [
        _order_json(order, alerts=[a for a in order.alerts.all() if a.status != OrderAlert.Status.RESOLVED])
        for order in orders
    ]
    return _result(
        patient,
        {"status": act.status, "orders": rows, "count": len(rows), "counts": selectors.order_counts(patient)},
        _orders_page(patient, status=act.status),
    )
