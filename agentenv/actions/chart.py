"""Reading the chart: find a patient, open a chart, read a section, query results."""

from datetime import datetime
from typing import Literal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from pydantic import Field

from agentenv.actions.common import MRN_DESCRIPTION, iso, observation_json, patient_for, patient_header, route
from agentenv.actions.registry import Action, ActionContext, ActionError, ActionResult, action
from clinical import results_selectors, selectors
from clinical.chart_sections import chart_section
from clinical.result_panels import panel_of
from clinical.visit import visit_is_open, visit_parts, visit_provider, visit_today

MAX_ROWS = 200


class SearchPatients(Action):
    """Find patients by name ("Family, Given" or any name words), MRN, or birth date."""

    type: Literal["search_patients"] = Field(description="Action type.")
    query: str = Field(min_length=1, max_length=200, description="Name, MRN, or birth date (YYYY-MM-DD or MM/DD/YYYY).")
    limit: int = Field(20, ge=1, le=100, description="Most patients to return.")


class OpenChart(Action):
    """Open a patient's chart (the Summary page); later actions default to this patient."""

    type: Literal["open_chart"] = Field(description="Action type.")
    mrn: str = Field(min_length=1, max_length=20, description="MRN of the patient whose chart to open.")


# The chart sections this action reads: every one but orders, which the order actions read. Listed here, not
# taken from clinical.chart_sections, because the schema is built on import, before the apps have registered
# their sections; AgentenvConfig.ready() checks that each is registered, and the registry gives its page.
ReadableSection = Literal[
    "summary", "visit", "problems", "medications", "allergies", "results", "questionnaires", "vitals",
    "encounters", "immunizations", "procedures", "notes",
]


class ReadChartSection(Action):
    """Read one section of a chart, as the matching chart tab shows it. "results" holds laboratory results (each
    with its Results Review panel); questionnaire answers and screening scores (PHQ, GAD, social needs) are in
    "questionnaires". A result's "value" is the stored value, "value_shown" the value as the chart prints it."""

    type: Literal["read_chart_section"] = Field(description="Action type.")
    section: ReadableSection = Field(description="Which chart section to read.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    limit: int = Field(50, ge=1, le=MAX_ROWS, description="Most rows to return for list sections.")


class GetObservations(Action):
    """Every result of one LOINC code (lab, vital sign or score) in a time window, newest first: "value" is the
    stored value, "value_shown" the value as the chart prints it (at the lab's precision)."""

    type: Literal["get_observations"] = Field(description="Action type.")
    loinc: str = Field(min_length=1, max_length=20, description="LOINC code, e.g. 4548-4 for hemoglobin A1c.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    start: datetime | None = Field(None, description="Only results at or after this time (ISO 8601; without an "
                                                     "offset, the EHR's local time).")
    end: datetime | None = Field(None, description="Only results at or before this time (ISO 8601; without an "
                                                   "offset, the EHR's local time).")
    limit: int = Field(50, ge=1, le=MAX_ROWS, description="Most results to return.")


@action(SearchPatients)
def search_patients(act: SearchPatients, context: ActionContext) -> ActionResult:
    patients = list(selectors.patient_lookup(act.query)[: act.limit])
    rows = [
        {**patient_header(p), "active_problem_count": p.active_problem_count, "allergy_count": p.allergy_count}
        for p in patients
    ]
    return ActionResult(data={"patients": rows, "count": len(rows)}, route=route_lookup(act.query))


def route_lookup(query: str) -> str:
    return f"{reverse('clinical:patient_lookup')}?{urlencode({'q': query})}"


@action(OpenChart)
def open_chart(act: OpenChart, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    return ActionResult(
        data=_storyboard(patient),
        route=route("clinical:chart_summary", mrn=patient.mrn),
        open_mrn=patient.mrn,
    )


def _storyboard(patient) -> dict:
    """What the storyboard always shows: who the patient is and what is critical."""
    return {
        **patient_header(patient),
        "allergies": [a.substance for a in selectors.allergies_active(patient)],
        "latest_vitals": _vital_readings(selectors.vitals_latest(patient)),
    }


def _vital_readings(readings) -> list[dict]:
    return [
        {"vital": r.vital.key, "label": r.vital.label, "value": r.text, "unit": r.vital.unit, "flag": r.flag,
         "at": iso(r.at)}
        for r in readings
    ]


def _problems(rows) -> list[dict]:
    return [
        {"code": c.code, "display": c.display, "clinical_status": c.clinical_status,
         "onset": iso(c.onset), "abatement": iso(c.abatement)}
        for c in rows
    ]


def _medications(rows) -> list[dict]:
    return [
        {"id": m.pk, "rxnorm": m.rxnorm, "display": m.display, "status": m.status, "dosage": m.dosage_text,
         "as_needed": m.as_needed, "reason": m.reason, "authored_at": iso(m.authored_at),
         "ended_at": iso(m.ended_at), "end_reason": m.end_reason}
        for m in rows
    ]


def _allergies(rows) -> list[dict]:
    return [
        {"substance": a.substance, "code": a.code, "category": a.category, "clinical_status": a.clinical_status,
         "reaction": a.reaction, "severity": a.severity, "criticality": a.criticality}
        for a in rows
    ]


def _encounters(rows) -> list[dict]:
    return [
        {"class": e.encounter_class, "type": e.type_display, "reason": e.reason_display, "start": iso(e.start),
         "end": iso(e.end), "practitioner": e.practitioner.display_name if e.practitioner else None,
         "organization": e.organization.name if e.organization else None}
        for e in rows
    ]


def _visit(patient, limit: int) -> dict:
    """Today's visit as the navigator shows it: the open one, else the last started today; None if neither."""
    encounter = visit_today(patient)
    if encounter is None:
        return {"visit": None}
    header = {"id": encounter.fhir_id, "open": visit_is_open(encounter), "class": encounter.encounter_class,
              "type": encounter.type_display, "reason": encounter.reason_display, "start": iso(encounter.start),
              "end": iso(encounter.end), "provider": visit_provider(encounter)}
    parts = {
        part.name: [{"id": item.id, "text": item.text, "detail": item.detail, "status": item.status,
                     "at": iso(item.at)} for item in part.items(encounter)[:limit]]
        for part in visit_parts()
    }
    return {"visit": header, **parts}


def _section(section: str, patient, limit: int) -> dict:
    if section == "visit":
        return _visit(patient, limit)
    if section == "summary":
        return {
            **_storyboard(patient),
            "active_problems": _problems(selectors.problems_active(patient)[:limit]),
            "active_medications": _medications(selectors.medications_active(patient)[:limit]),
            "recent_encounters": _encounters(selectors.encounters_recent(patient)),
        }
    if section == "problems":
        return {"active": _problems(selectors.problems_active(patient)[:limit]),
                "resolved": _problems(selectors.problems_resolved(patient)[:limit])}
    if section == "medications":
        return {"active": _medications(selectors.medications_active(patient)[:limit]),
                "past": _medications(selectors.medications_past(patient)[:limit])}
    if section == "allergies":
        return {"allergies": _allergies(selectors.allergies_all(patient)[:limit])}
    if section == "results":
        rows = results_selectors.lab_analytes(patient)[:limit]
        return {"analytes": [
            {"loinc": r.loinc, "display": r.display, "panel": panel_of(r.loinc).label, "count": r.count,
             "latest": observation_json(r.latest), "previous": observation_json(r.previous) if r.previous else None}
            for r in rows
        ]}
    if section == "questionnaires":
        return {"questionnaires": [
            {"loinc": r.loinc, "display": r.display, "count": r.count, "latest": observation_json(r.latest),
             "previous": observation_json(r.previous) if r.previous else None}
            for r in results_selectors.questionnaires(patient)[:limit]
        ]}
    if section == "vitals":
        return {"latest": _vital_readings(selectors.vitals_latest(patient))}
    if section == "encounters":
        return {"encounters": _encounters(selectors.encounters(patient)[:limit])}
    if section == "immunizations":
        return {"immunizations": [
            {"cvx": i.cvx, "display": i.display, "status": i.status, "occurred_at": iso(i.occurred_at),
             "lot_number": i.lot_number, "site": i.site}
            for i in selectors.immunizations(patient)[:limit]
        ]}
    if section == "procedures":
        return {"procedures": [
            {"code": p.code, "display": p.display, "status": p.status, "reason": p.reason,
             "performed_start": iso(p.performed_start)}
            for p in selectors.procedures(patient)[:limit]
        ]}
    # notes
    return {"notes": [
        {"id": n.pk, "title": n.title, "type": n.note_type, "status": n.status, "author": n.author_name or n.author,
         "created_at": iso(n.created_at), "signed_at": iso(n.signed_at), "text": n.text}
        for n in selectors.notes_for_patient(patient)[:limit]
    ]}


@action(ReadChartSection)
def read_chart_section(act: ReadChartSection, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    return ActionResult(
        data={"mrn": patient.mrn, "section": act.section, **_section(act.section, patient, act.limit)},
        route=route(chart_section(act.section).url_name, mrn=patient.mrn),
        open_mrn=patient.mrn,
    )


@action(GetObservations)
def get_observations(act: GetObservations, context: ActionContext) -> ActionResult:
    if act.start and act.end and _aware(act.start) > _aware(act.end):
        raise ActionError("start must not be after end.")
    patient = patient_for(act.mrn, context)
    start, end = _aware(act.start), _aware(act.end)
    rows = selectors.observations_by_code(patient, loinc=act.loinc.strip(), start=start, end=end)
    observations = [observation_json(obs) for obs in rows[: act.limit]]
    return ActionResult(
        data={"mrn": patient.mrn, "loinc": act.loinc, "observations": observations, "count": len(observations)},
        route=route("clinical:chart_result_trend", mrn=patient.mrn, loinc=act.loinc.strip()),
        open_mrn=patient.mrn,
    )


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is read in the EHR's time zone, as the UI reads it."""
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment
