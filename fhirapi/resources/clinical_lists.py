"""The chart's lists: Condition, AllergyIntolerance, Procedure, Immunization, Encounter."""

from fhirclient.models.allergyintolerance import AllergyIntolerance as FHIRAllergy
from fhirclient.models.condition import Condition as FHIRCondition
from fhirclient.models.encounter import Encounter as FHIREncounter
from fhirclient.models.immunization import Immunization as FHIRImmunization
from fhirclient.models.procedure import Procedure as FHIRProcedure

from clinical.models import Allergy, CodeSystem, Condition, Encounter, Immunization, Procedure
from clinical.vaccines import SITES
from fhirapi.resources.base import (
    CATEGORY_SYSTEMS,
    ID_PARAMETER,
    ResourceType,
    by_fhir_id,
    coding,
    compact,
    concept,
    encounter_ref,
    instant,
    patient_parameter,
    patient_ref,
)
from fhirapi.search import Parameter, coded, date_match, plain_token

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"


def _status(system: str, code: str) -> dict:
    return {"coding": [coding(TERMINOLOGY + system, code)]}


# --- Condition ------------------------------------------------------------------------------------------


def _conditions():
    return Condition.objects.select_related("patient", "encounter")


def _condition(row: Condition) -> dict:
    return compact({
        "resourceType": "Condition",
        "id": row.fhir_id,
        "clinicalStatus": _status("condition-clinical", row.clinical_status),
        "verificationStatus": _status("condition-ver-status", row.verification_status),
        "category": [{"coding": [coding(CATEGORY_SYSTEMS["Condition"], row.category)]}] if row.category else [],
        "code": concept(row.code_system, row.code, row.display),
        "subject": patient_ref(row.patient),
        **encounter_ref(row),
        "onsetDateTime": instant(row.onset),
        "abatementDateTime": instant(row.abatement),
        "recordedDate": instant(row.recorded_at),
    })


CONDITION = ResourceType(
    name="Condition", model=FHIRCondition, rows=_conditions, serialise=_condition, get=by_fhir_id(_conditions),
    parameters={
        "_id": ID_PARAMETER,
        **patient_parameter(),
        "category": Parameter("token", "problem-list-item | encounter-diagnosis.",
                              plain_token("category", system=CATEGORY_SYSTEMS["Condition"])),
        "clinical-status": Parameter("token", "active | recurrence | inactive | resolved.",
                                     plain_token("clinical_status")),
        "code": Parameter("token", "SNOMED CT code: http://snomed.info/sct|<code> or <code>.",
                          coded("code_system", "code")),
    },
    ordering=("-onset", "-id"), date_field="onset", documentation="Problems and encounter diagnoses (SNOMED CT).",
)


# --- AllergyIntolerance ---------------------------------------------------------------------------------


def _allergies():
    return Allergy.objects.select_related("patient")


def _allergy(row: Allergy) -> dict:
    reaction = compact({"manifestation": [{"text": row.reaction}], "severity": row.severity}) if row.reaction else {}
    return compact({
        "resourceType": "AllergyIntolerance",
        "id": row.fhir_id,
        "clinicalStatus": _status("allergyintolerance-clinical", row.clinical_status),
        "type": row.allergy_type if row.allergy_type in ("allergy", "intolerance") else None,
        "category": [row.category] if row.category else [],
        "criticality": row.criticality,
        "code": concept(row.code_system, row.code, row.substance),
        "patient": patient_ref(row.patient),
        "recordedDate": instant(row.recorded_at),
        "reaction": [reaction] if reaction else [],
    })


ALLERGY = ResourceType(
    name="AllergyIntolerance", model=FHIRAllergy, rows=_allergies, serialise=_allergy, get=by_fhir_id(_allergies),
    parameters={
        "_id": ID_PARAMETER,
        **patient_parameter(),
        "clinical-status": Parameter("token", "active | inactive | resolved.", plain_token("clinical_status")),
    },
    ordering=("substance", "id"), documentation="Allergies and intolerances.",
)


# --- Procedure ------------------------------------------------------------------------------------------


def _procedures():
    return Procedure.objects.select_related("patient", "encounter")


def _procedure(row: Procedure) -> dict:
    return compact({
        "resourceType": "Procedure",
        "id": row.fhir_id,
        "status": row.status,
        "code": concept(row.code_system, row.code, row.display),
        "subject": patient_ref(row.patient),
        **encounter_ref(row),
        "performedPeriod": compact({"start": instant(row.performed_start), "end": instant(row.performed_end)}),
        "reasonCode": [{"text": row.reason}] if row.reason else [],
    })


PROCEDURE = ResourceType(
    name="Procedure", model=FHIRProcedure, rows=_procedures, serialise=_procedure, get=by_fhir_id(_procedures),
    parameters={
        "_id": ID_PARAMETER,
        **patient_parameter(),
        "code": Parameter("token", "SNOMED CT code: http://snomed.info/sct|<code> or <code>.",
                          coded("code_system", "code")),
        "date": Parameter("date", "When it was performed (its start), with the prefixes eq, ne, gt, lt, ge, le.",
                          date_match("performed_start")),
    },
    ordering=("-performed_start", "-id"), date_field="performed_start", documentation="Procedures (SNOMED CT).",
)


# --- Immunization ---------------------------------------------------------------------------------------


def _immunizations():
    return Immunization.objects.select_related("patient", "encounter")


def _immunization(row: Immunization) -> dict:
    return compact({
        "resourceType": "Immunization",
        "id": row.fhir_id,
        "status": row.status,
        "vaccineCode": concept(CodeSystem.CVX, row.cvx, row.display),
        "patient": patient_ref(row.patient),
        **encounter_ref(row),
        "occurrenceDateTime": instant(row.occurred_at),
        "lotNumber": row.lot_number,
        "site": {"text": SITES[row.site]} if row.site in SITES else None,
        "primarySource": True,
    })


IMMUNIZATION = ResourceType(
    name="Immunization", model=FHIRImmunization, rows=_immunizations, serialise=_immunization,
    get=by_fhir_id(_immunizations),
    parameters={
        "_id": ID_PARAMETER,
        **patient_parameter(),
        "vaccine-code": Parameter("token", "CVX code.", coded(None, "cvx", fixed_system=CodeSystem.CVX)),
        "date": Parameter("date", "When it was given, with the prefixes eq, ne, gt, lt, ge, le.",
                          date_match("occurred_at")),
    },
    ordering=("-occurred_at", "-id"), date_field="occurred_at", documentation="Vaccines given (CVX).",
)


# --- Encounter ------------------------------------------------------------------------------------------


def _encounters():
    return Encounter.objects.select_related("patient", "practitioner", "organization")


def _encounter(row: Encounter) -> dict:
    return compact({
        "resourceType": "Encounter",
        "id": row.fhir_id,
        "status": row.status,
        "class": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", row.encounter_class,
                        row.get_encounter_class_display()),
        "type": [concept(CodeSystem.SNOMED, row.type_code, row.type_display)] if row.type_display else [],
        "subject": patient_ref(row.patient),
        "participant": [{"individual": {"display": row.practitioner.display_name}}] if row.practitioner else [],
        "period": compact({"start": instant(row.start), "end": instant(row.end)}),
        "reasonCode": [concept(CodeSystem.SNOMED, row.reason_code, row.reason_display)] if row.reason_display else [],
        "serviceProvider": {"display": row.organization.name} if row.organization else None,
    })


ENCOUNTER = ResourceType(
    name="Encounter", model=FHIREncounter, rows=_encounters, serialise=_encounter, get=by_fhir_id(_encounters),
    parameters={
        "_id": ID_PARAMETER,
        **patient_parameter(),
        "date": Parameter("date", "When it started, with the prefixes eq, ne, gt, lt, ge, le.", date_match("start")),
        "class": Parameter("token", "AMB | EMER | IMP | WELL | URG | VR | HH | OTH.", plain_token("encounter_class")),
    },
    ordering=("-start", "-id"), date_field="start", documentation="Visits and stays.",
)

TYPES = [CONDITION, ALLERGY, PROCEDURE, IMMUNIZATION, ENCOUNTER]
