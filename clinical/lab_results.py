"""Lab results recorded on the chart (they answer an order: orders.results records them through here).

Kept apart from clinical.services, which writes everything else on the chart; the same rules hold:
atomic on the chart's database (`chart_atomic`), keyword-only, returning what it wrote.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from clinical.models import DiagnosticReport, Observation, Patient
from clinical.reference_ranges import flag_for, reference_range
from clinical.services import chart_atomic, new_fhir_id


@dataclass(frozen=True)
class LabResult:
    """One analyte's result as entered: a number in `unit`, or text for an analyte measured without one."""

    loinc: str
    display: str
    unit: str
    value_num: float | None = None
    value_text: str = ""


# Called with the observations of every lab_results_record, inside its transaction: apps above clinical that
# act on new results (the In Basket's notifications) add themselves from their AppConfig.ready().
RESULT_RECORDED_HOOKS: list[Callable[[list[Observation]], None]] = []


@chart_atomic
def lab_results_record(
    *, patient: Patient, results: list[LabResult], actor: str, at: datetime, panel: tuple[str, str] | None = None
) -> list[Observation]:
    """Record lab results resulted together: one flagged observation per analyte, and a diagnostic report
    grouping them when they are a panel (`panel`: its LOINC code and name). They show in chart review.

    No audit event here: results answer an order, and orders.results audits them with it.
    """
    observations = []
    for result in results:
        ref = reference_range(result.loinc, sex=patient.sex, unit=result.unit) or (None, None)
        number = result.value_num
        observations.append(
            Observation.objects.create(
                fhir_id=new_fhir_id(),
                patient=patient,
                category=Observation.Category.LABORATORY,
                loinc=result.loinc,
                display=result.display,
                value_num=number,
                value_text=result.value_text,
                unit=result.unit,
                ref_low=ref[0],
                ref_high=ref[1],
                flag=flag_for(result.loinc, number, sex=patient.sex, unit=result.unit) if number is not None else "",
                effective_at=at,
                recorded_by=actor,
            )
        )
    if panel is not None:
        report = DiagnosticReport.objects.create(
            fhir_id=new_fhir_id(),
            patient=patient,
            loinc=panel[0],
            display=panel[1],
            effective_at=at,
            issued_at=timezone.now(),
        )
        report.results.set(observations)
    for hook in RESULT_RECORDED_HOOKS:
        hook(observations)
    return observations
