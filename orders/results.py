"""Resulting an active lab order: the values go on the chart through clinical.services, and the order completes."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical.audit import audit_record
from clinical.lab_results import LabResult, lab_results_record
from clinical.services import chart_atomic
from orders.lifecycle import ORDER_NOT_ACTIVE, order_audit_details, require_status
from orders.models import Order, OrderType


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
    require_status(order, Order.Status.ACTIVE, "resulted", ORDER_NOT_ACTIVE)
    components = {c["loinc"]: c for c in order.orderable.components}
    given = {code: value for code, value in (values or {}).items() if value not in (None, "")}
    if not given:
        raise ValidationError({"values": f"Enter at least one result for {order.display}."})
    unknown = sorted(set(given) - set(components))
    if unknown:
        raise ValidationError(
            {"values": f"{', '.join(unknown)} not part of {order.display}; its analytes are {', '.join(components)}."}
        )
    errors, results = {}, []
    for code, raw in given.items():
        number, text, error = _result_value(components[code], raw)
        if error:
            errors[code] = error
        component = components[code]
        results.append(LabResult(code, component["display"], component["unit"], value_num=number, value_text=text))
    if errors:
        raise ValidationError(errors)
    moment = at or timezone.now()
    if moment > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"at": "A result cannot be dated in the future."})
    panel = (order.code, order.display) if len(components) > 1 else None
    observations = lab_results_record(patient=order.patient, results=results, actor=actor, at=moment, panel=panel)
    order.results.add(*observations)
    order.status = Order.Status.COMPLETED
    order.ended_at, order.ended_by = timezone.now(), actor
    order.save(update_fields=["status", "ended_at", "ended_by"])
    reported = [
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
        patient=order.patient,
        details=order_audit_details(order, results=reported),
    )
    return order
