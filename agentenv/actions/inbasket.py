"""The In Basket: result notifications (critical, abnormal, normal) to list, acknowledge and route to the chart,
through the services and selectors the In Basket pages use."""

from typing import Literal

from pydantic import Field

from agentenv.actions.common import iso, observation_json, patient_for, route
from agentenv.actions.registry import Action, ActionContext, ActionError, ActionResult, action
from clinical import selectors as chart
from inbasket import selectors, services
from inbasket.models import ResultNotification

MAX_ROWS = 200
KIND_HELP = "critical (past the lab's critical limits), abnormal (outside the reference range) or normal"


class ListInbasket(Action):
    """List result notifications of the In Basket, newest result first, with their folder counts."""

    type: Literal["list_inbasket"] = Field(description="Action type.")
    mrn: str | None = Field(None, max_length=20, description="Only this patient's notifications (default: every "
                                                             "patient's).")
    kind: Literal["critical", "abnormal", "normal"] | None = Field(None, description=f"Only this kind: {KIND_HELP}.")
    status: Literal["open", "new", "routed", "acknowledged", "all"] = Field(
        "open", description="open (new or routed, not yet acknowledged), new, routed, acknowledged, or all.")
    limit: int = Field(50, ge=1, le=MAX_ROWS, description="Most notifications to return.")


class AcknowledgeResult(Action):
    """Acknowledge a result notification of the In Basket, with an optional comment (what was done about it)."""

    type: Literal["acknowledge_result"] = Field(description="Action type.")
    notification_id: int = Field(description="The notification's id, as list_inbasket lists it.")
    comment: str = Field("", max_length=services.COMMENT_MAX, description="A comment kept with the acknowledgement.")


class RouteResult(Action):
    """Route a result notification to the chart: its analyte's results over time open; it stays to acknowledge."""

    type: Literal["route_result"] = Field(description="Action type.")
    notification_id: int = Field(description="The notification's id, as list_inbasket lists it.")


def notification_json(notification: ResultNotification) -> dict:
    o = notification.observation
    return {
        "id": notification.pk, "mrn": notification.patient.mrn, "patient": notification.patient.chart_name,
        "kind": notification.kind, "status": notification.status, "loinc": o.loinc, "display": o.display,
        "value": o.value_num if o.value_num is not None else o.value_text, "unit": o.unit, "flag": o.flag,
        "reference_range": o.reference_range, "resulted_at": iso(notification.resulted_at),
        "acknowledged_by": notification.acknowledged_by or None, "acknowledged_at": iso(notification.acknowledged_at),
        "comment": notification.note,
    }


def _page(mrn: str | None, **query) -> str:
    if mrn:
        return route("inbasket:chart_inbasket", mrn=mrn, query=query)
    return route("inbasket:inbasket", query=query)


def _notification(notification_id: int) -> ResultNotification:
    try:
        return selectors.notification_get(notification_id)
    except ResultNotification.DoesNotExist:
        raise ActionError(f"No result notification #{notification_id}; list_inbasket lists them.") from None


@action(ListInbasket)
def list_inbasket(act: ListInbasket, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context) if act.mrn else None
    rows = selectors.notifications(patient=patient, kind=act.kind, status=None if act.status == "all" else act.status)
    listed = [notification_json(n) for n in rows[: act.limit]]
    mrn = patient.mrn if patient else None
    return ActionResult(
        data={"mrn": mrn, "kind": act.kind, "status": act.status, "notifications": listed, "count": len(listed),
              "total": rows.count(), "open_counts": selectors.open_counts(patient=patient)},
        route=_page(mrn, kind=act.kind, status=act.status if act.status != "open" else None),
        open_mrn=mrn,
    )


@action(AcknowledgeResult)
def acknowledge_result(act: AcknowledgeResult, context: ActionContext) -> ActionResult:
    notification = services.notification_acknowledge(notification=_notification(act.notification_id),
                                                     actor=context.actor, comment=act.comment)
    mrn = notification.patient.mrn
    return ActionResult(data={"notification": notification_json(notification),
                              "open_counts": selectors.open_counts(patient=notification.patient)},
                        route=_page(mrn), open_mrn=mrn)


@action(RouteResult)
def route_result(act: RouteResult, context: ActionContext) -> ActionResult:
    notification = services.notification_route(notification=_notification(act.notification_id), actor=context.actor)
    patient = notification.patient
    return ActionResult(data={"notification": notification_json(notification),
                              "results": [observation_json(o) for o in chart.observations_by_code(
                                  patient, loinc=notification.observation.loinc, start=None, end=None)[:20]]},
                        route=route("clinical:chart_result_trend", mrn=patient.mrn,
                                    loinc=notification.observation.loinc),
                        open_mrn=patient.mrn)
