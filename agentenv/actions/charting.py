"""Writing to the chart: the same services the clinician UI calls."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from agentenv.actions.common import MRN_DESCRIPTION, iso, observation_json, patient_for, route
from agentenv.actions.registry import Action, ActionContext, ActionResult, action
from clinical import services
from clinical.models import Patient
from clinical.vitals import VITAL_SIGNS

VITAL_KEYS = ", ".join(f"{v.key} ({v.unit})" for v in VITAL_SIGNS.values())


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
    values: dict[str, float] = Field(description=f"Values by vital sign: {VITAL_KEYS}.")
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
    criticality: Literal["", "low", "high", "unable-to-assess"] = Field("", description="Risk of a future severe reaction.")
    mrn: str | None = Field(None, max_length=20, description=MRN_DESCRIPTION)


@action(AddProblem)
def add_problem(act: AddProblem, context: ActionContext) -> ActionResult:
    patient = patient_for(act.mrn, context)
    condition = services.condition_add(
        patient=patient, code=act.code, display=act.display, actor=context.actor, onset=act.onset
    )
    return ActionResult(
        data={"mrn": patient.mrn, "problem": {"code": condition.code, "display": condition.display,
                                              "clinical_status": condition.clinical_status, "onset": iso(condition.onset)}},
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
