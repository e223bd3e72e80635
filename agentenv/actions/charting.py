"""Writing to the chart: the same services the clinician UI calls."""

from datetime import date as Date
from datetime import datetime
from typing import Literal

from pydantic import Field

from agentenv.actions.common import MRN_DESCRIPTION, iso, observation_json, patient_for, route
from agentenv.actions.registry import Action, ActionContext, ActionError, ActionResult, Number, action
from clinical import services
from clinical.models import Patient
from clinical.vaccines import SITES, VACCINES
from clinical.vitals import VITAL_SIGNS

VITAL_KEYS = ", ".join(f"{v.key} ({v.unit})" for v in VITAL_SIGNS.values())
VACCINE_CODES = "; ".join(f"{v.cvx} {v.display}" for v in VACCINES.values())


class AddProblem(Action):
    """Add a problem to the problem list."""

    type: Literal["add_problem"] = Field(description="Action type.")
    code: str = Field(min_length=1, max_length=32, description="SNOMED CT concept id, e.g. 44054006.")
    display: str = Field(min_length=1, max_length=255, description="Problem name, e.g. Diabetes mellitus type 2.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    onset: datetime | None = Field(None, description="When the problem began (ISO 8601); defaults to now.")


class RecordVitals(Action):
    """Record vital signs taken together (blood pressure needs both components)."""

    type: Literal["record_vitals"] = Field(description="Action type.")
    values: dict[str, Number] = Field(description=f"Values by vital sign: {VITAL_KEYS}.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)
    at: datetime | None = Field(None, description="When they were taken (ISO 8601); defaults to now.")


class SetCodeStatus(Action):
    """Set the patient's code status."""

    type: Literal["set_code_status"] = Field(description="Action type.")
    code_status: Literal[tuple(Patient.CodeStatus.values)] = Field(  # type: ignore[valid-type]
        description="; ".join(f"{value} = {label}" for value, label in Patient.CodeStatus.choices) + "."
    )
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class AddAllergy(Action):
    """Record an allergy or intolerance."""

    type: Literal["add_allergy"] = Field(description="Action type.")
    substance: str = Field(min_length=1, max_length=200, description="What the patient reacts to, e.g. Penicillin V.")
    code: str = Field("", max_length=32, description="SNOMED CT or RxNorm code of the substance, if known.")
    category: Literal["", "food", "medication", "environment", "biologic"] = Field("", description="Kind of substance.")
    reaction: str = Field("", max_length=200, description="The reaction, e.g. Hives.")
    severity: Literal["", "mild", "moderate", "severe"] = Field("", description="Severity of the reaction.")
    criticality: Literal["", "low", "high", "unable-to-assess"] = Field(
        "", description="Risk of a future severe reaction.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class DiscontinueMedication(Action):
    """Stop a drug on the medication list (a home medication), with the reason; its renewals stop with it."""

    type: Literal["discontinue_medication"] = Field(description="Action type.")
    medication_id: int = Field(description="The medication's id, as read_chart_section medications lists it.")
    reason: str = Field(max_length=255, description="Why it is stopped, e.g. Angioedema.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


class RecordImmunization(Action):
    """Record a vaccine given, by CVX code, on the immunization history."""

    type: Literal["record_immunization"] = Field(description="Action type.")
    cvx: str = Field(min_length=1, max_length=10, description=f"CVX code of the vaccine: {VACCINE_CODES}.")
    date: Date | None = Field(None, description="The day it was given (YYYY-MM-DD); defaults to now.")
    lot_number: str = Field("", max_length=40, description="The vaccine lot number, if known.")
    site: Literal[("", *SITES)] = Field(  # type: ignore[valid-type]
        "", description="Injection site: " + ", ".join(f"{code} = {label}" for code, label in SITES.items()) + "."
    )
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


@action(AddProblem)
def add_problem(act: AddProblem, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    condition = services.condition_add(
        patient=patient, code=act.code, display=act.display, actor=context.actor, onset=act.onset
    )
    return ActionResult(
        data={"mrn": patient.mrn, "problem": {"code": condition.code, "display": condition.display,
                                              "clinical_status": condition.clinical_status,
                                              "onset": iso(condition.onset)}},
        route=route("clinical:chart_problems", mrn=patient.mrn),
        open_mrn=patient.mrn,
    )


@action(RecordVitals)
def record_vitals(act: RecordVitals, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    observations = services.vitals_record(patient=patient, values=act.values, actor=context.actor, at=act.at)
    return ActionResult(
        data={"mrn": patient.mrn, "recorded": [observation_json(obs) for obs in observations]},
        route=route("clinical:chart_vitals", mrn=patient.mrn),
        open_mrn=patient.mrn,
    )


@action(SetCodeStatus)
def set_code_status(act: SetCodeStatus, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    previous = patient.code_status
    patient = services.patient_set_code_status(patient=patient, code_status=act.code_status, actor=context.actor)
    return ActionResult(
        data={"mrn": patient.mrn, "code_status": patient.code_status, "previous": previous},
        route=route("clinical:chart_summary", mrn=patient.mrn),
        open_mrn=patient.mrn,
    )


@action(AddAllergy)
def add_allergy(act: AddAllergy, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    allergy = services.allergy_add(
        patient=patient, substance=act.substance, actor=context.actor, code=act.code, category=act.category,
        reaction=act.reaction, severity=act.severity, criticality=act.criticality,
    )
    return ActionResult(
        data={"mrn": patient.mrn, "allergy": {"substance": allergy.substance, "code": allergy.code,
                                              "reaction": allergy.reaction, "severity": allergy.severity}},
        route=route("clinical:chart_allergies", mrn=patient.mrn),
        open_mrn=patient.mrn,
    )


@action(DiscontinueMedication)
def discontinue_medication(act: DiscontinueMedication, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    medication = patient.medications.filter(pk=act.medication_id).first()
    if medication is None:
        raise ActionError(f"No medication #{act.medication_id} on the medication list of MRN {patient.mrn}: "
                          "read_chart_section medications lists each drug with its id.")
    stopped = services.medication_stop(medication=medication, actor=context.actor, reason=act.reason)
    entry = next(m for m in stopped if m.pk == medication.pk)
    return ActionResult(
        data={"mrn": patient.mrn, "medication": {"id": entry.pk, "rxnorm": entry.rxnorm, "display": entry.display,
                                                 "status": entry.status, "ended_at": iso(entry.ended_at),
                                                 "end_reason": entry.end_reason},
              "entries_stopped": len(stopped)},
        route=route("clinical:chart_medications", mrn=patient.mrn),
        open_mrn=patient.mrn,
    )


@action(RecordImmunization)
def record_immunization(act: RecordImmunization, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    immunization = services.immunization_record(
        patient=patient, cvx=act.cvx.strip(), actor=context.actor, at=act.date,
        lot_number=act.lot_number, site=act.site,
    )
    return ActionResult(
        data={"mrn": patient.mrn, "immunization": {
            "cvx": immunization.cvx, "display": immunization.display, "occurred_at": iso(immunization.occurred_at),
            "lot_number": immunization.lot_number, "site": immunization.site}},
        route=route("clinical:chart_immunizations", mrn=patient.mrn),
        open_mrn=patient.mrn,
    )
