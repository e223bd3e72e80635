"""Resulting an active lab order: one observation per analyte on the chart, and the order completes."""

import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinical.audit import audit_record
from clinical.models import DiagnosticReport, Observation
from clinical.reference_ranges import flag_for, reference_range
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
