"""The chart's own resource types: from fhirclient R4 resources to clinical rows, and their import order.

Each builder turns one resource into a row, or raises Skip with the reason it cannot be
charted. Observations and the reports that group them are built in observations.py.
"""

import hashlib
from itertools import count

from fhirclient.models.allergyintolerance import AllergyIntolerance
from fhirclient.models.condition import Condition
from fhirclient.models.diagnosticreport import DiagnosticReport
from fhirclient.models.encounter import Encounter
from fhirclient.models.immunization import Immunization
from fhirclient.models.medicationrequest import MedicationRequest
from fhirclient.models.observation import Observation
from fhirclient.models.organization import Organization
from fhirclient.models.patient import Patient
from fhirclient.models.practitioner import Practitioner
from fhirclient.models.procedure import Procedure

from clinical import models as m
from seeddata.fhir import elements as el
from seeddata.fhir.observations import import_observations, import_reports
from seeddata.fhir.references import NPI_SYSTEM
from seeddata.fhir.registry import FhirImportError, ImportContext, Skip
from seeddata.fhir.writing import MALFORMED, import_rows, upsert

CodeSystem = m.CodeSystem
# TextChoices.values builds a new list on every access: read them once.
SEXES = frozenset(m.Patient.Sex.values)
ENCOUNTER_CLASSES = frozenset(m.Encounter.EncounterClass.values)
MR_TYPE = "MR"
MRN_MAX_LENGTH = 12

# --- directory: organizations and practitioners ---------------------------------------


def _organization(resource: Organization, ctx: ImportContext) -> m.Organization:
    address = el.first(resource.address)
    return m.Organization(
        fhir_id=resource.id,
        name=resource.name or "",
        city=(address.city or "") if address else "",
        state=(address.state or "") if address else "",
        phone=el.phone(resource.telecom),
    )


def _practitioner(resource: Practitioner, ctx: ImportContext) -> m.Practitioner:
    prefix, given, family = el.human_name(resource.name)
    npi = next((i.value for i in resource.identifier or [] if i.system == NPI_SYSTEM and i.value), "")
    return m.Practitioner(fhir_id=resource.id, npi=npi, prefix=prefix, given_name=given, family_name=family)


def import_organizations(resources: list[Organization], ctx: ImportContext) -> None:
    import_rows(ctx, m.Organization, resources, _organization)


def import_practitioners(resources: list[Practitioner], ctx: ImportContext) -> None:
    # A clinician's login and specialty are set in the EHR, not by Synthea.
    import_rows(ctx, m.Practitioner, resources, _practitioner, keep=("username", "specialty"))


# --- the patient -------------------------------------------------------------------------

_MARITAL = {
    "A": "Annulled", "D": "Divorced", "I": "Interlocutory", "L": "Legally Separated", "M": "Married",
    "P": "Polygamous", "S": "Never Married", "T": "Domestic partner", "U": "Unmarried", "W": "Widowed",
}


def _extension_text(resource: Patient, suffix: str) -> str:
    for extension in resource.extension or []:
        if extension.url.endswith(suffix):
            return next((e.valueString for e in extension.extension or [] if e.url == "text"), "") or ""
    return ""


def _language(resource: Patient) -> str:
    communication = el.first(resource.communication)
    # "English (United States)" -> "English": the chart shows the language, not the locale.
    return el.text(communication.language).split(" (")[0] if communication else ""


def _mrn_taken(mrn: str, fhir_id: str, using: str) -> bool:
    return m.Patient.objects.using(using).filter(mrn=mrn).exclude(fhir_id=fhir_id).exists()


def _derived_mrn(seed: str, salt: int) -> str:
    digest = hashlib.sha256(f"{seed}#{salt}".encode()).hexdigest()
    return str(10_000_000 + int(digest, 16) % 90_000_000)


def patient_mrn(resource: Patient, using: str) -> str:
    """The MR identifier when it is short, else 8 stable digits derived from it (Synthea's are UUIDs)."""
    value = next(
        (i.value for i in resource.identifier or [] if i.value and el.code(i.type) == MR_TYPE), ""
    )
    if value and len(value) <= MRN_MAX_LENGTH and not _mrn_taken(value, resource.id, using):
        return value
    for salt in count():
        candidate = _derived_mrn(value or resource.id, salt)
        if not _mrn_taken(candidate, resource.id, using):
            return candidate


def _patient(resource: Patient, ctx: ImportContext) -> m.Patient:
    prefix, given, family = el.human_name(resource.name)
    address = next((a for a in resource.address or [] if a.use == "home"), el.first(resource.address))
    birth_date = el.day(resource.birthDate)
    if birth_date is None:
        raise Skip("no birth date")
    return m.Patient(
        fhir_id=resource.id,
        mrn=patient_mrn(resource, ctx.using),
        prefix=prefix,
        given_name=given,
        family_name=family,
        birth_date=birth_date,
        deceased_at=el.when(resource.deceasedDateTime),
        sex=resource.gender if resource.gender in SEXES else m.Patient.Sex.UNKNOWN,
        address_line=", ".join(address.line or []) if address else "",
        city=(address.city or "") if address else "",
        state=(address.state or "") if address else "",
        postal_code=(address.postalCode or "") if address else "",
        phone=el.phone(resource.telecom),
        language=_language(resource),
        marital_status=_MARITAL.get(el.code(resource.maritalStatus), el.text(resource.maritalStatus)),
        race=_extension_text(resource, "us-core-race"),
        ethnicity=_extension_text(resource, "us-core-ethnicity"),
        pcp_id=ctx.pk(m.Practitioner, el.first(resource.generalPractitioner)),
    )


def import_patient(resource: Patient, ctx: ImportContext) -> m.Patient:
    try:
        patient = _patient(resource, ctx)
    except Skip as skip:
        raise FhirImportError(f"Patient/{resource.id}: {skip}") from None
    except FhirImportError:
        raise
    except MALFORMED as error:
        raise FhirImportError(f"Patient/{resource.id}: an element of a shape R4 does not allow ({error})") from None
    # The code status and primary care provider may have been set in the EHR since.
    upsert(m.Patient, [patient], using=ctx.using, keep=("code_status", "pcp"), shortened=ctx.result.shortened)
    ctx.result.add_imported("Patient")
    return patient


def assign_pcp(ctx: ImportContext) -> None:
    """Without a generalPractitioner, the PCP is whoever saw the patient last in clinic."""
    latest = (
        m.Encounter.objects.using(ctx.using)
        .filter(patient=ctx.patient, practitioner__isnull=False, encounter_class__in=["AMB", "WELL"])
        .order_by("-start")
        .values_list("practitioner_id", flat=True)
        .first()
    )
    if latest:
        m.Patient.objects.using(ctx.using).filter(pk=ctx.patient.pk, pcp__isnull=True).update(pcp_id=latest)


# --- encounters and the problem, allergy and medication lists ---------------------------


def _encounter(resource: Encounter, ctx: ImportContext) -> m.Encounter:
    ctx.require_own_subject(resource, resource.subject)
    began = el.start(resource.period)
    if began is None:
        raise Skip("no start time")
    kind = el.first(resource.type)
    reason = el.first(resource.reasonCode)
    encounter_class = resource.class_fhir.code if resource.class_fhir else ""
    practitioners = (ctx.pk(m.Practitioner, p.individual) for p in resource.participant or [])
    return m.Encounter(
        fhir_id=resource.id,
        patient_id=ctx.patient.pk,
        status=resource.status or "",
        encounter_class=encounter_class if encounter_class in ENCOUNTER_CLASSES else "OTH",
        type_code=el.code(kind, CodeSystem.SNOMED),
        type_display=el.text(kind, CodeSystem.SNOMED),
        reason_code=el.code(reason, CodeSystem.SNOMED),
        reason_display=el.text(reason, CodeSystem.SNOMED),
        start=began,
        end=el.end(resource.period),
        practitioner_id=next((pk for pk in practitioners if pk), None),
        organization_id=ctx.pk(m.Organization, resource.serviceProvider),
    )


def _condition(resource: Condition, ctx: ImportContext) -> m.Condition:
    ctx.require_own_subject(resource, resource.subject)
    if not el.code(resource.code):
        raise Skip("no code")
    return m.Condition(
        fhir_id=resource.id,
        patient_id=ctx.patient.pk,
        encounter_id=ctx.pk(m.Encounter, resource.encounter),
        code_system=el.coding(resource.code, CodeSystem.SNOMED).system or "",
        code=el.code(resource.code, CodeSystem.SNOMED),
        display=el.text(resource.code, CodeSystem.SNOMED),
        clinical_status=el.code(resource.clinicalStatus) or "active",
        verification_status=el.code(resource.verificationStatus) or "confirmed",
        category=el.code(el.first(resource.category)) or "encounter-diagnosis",
        onset=el.when(resource.onsetDateTime) or el.start(resource.onsetPeriod),
        abatement=el.when(resource.abatementDateTime) or el.start(resource.abatementPeriod),
        recorded_at=el.when(resource.recordedDate),
    )


def _allergy(resource: AllergyIntolerance, ctx: ImportContext) -> m.Allergy:
    ctx.require_own_subject(resource, resource.patient)
    substance = el.text(resource.code, CodeSystem.SNOMED)
    if not substance:
        raise Skip("no substance")
    reaction = el.first(resource.reaction)
    return m.Allergy(
        fhir_id=resource.id,
        patient_id=ctx.patient.pk,
        code_system=(el.coding(resource.code, CodeSystem.SNOMED).system or "") if el.code(resource.code) else "",
        code=el.code(resource.code, CodeSystem.SNOMED),
        substance=substance,
        category=el.first(resource.category) or "",
        allergy_type=resource.type or "allergy",
        criticality=resource.criticality or "",
        clinical_status=el.code(resource.clinicalStatus) or "active",
        reaction=el.text(el.first(reaction.manifestation)) if reaction else "",
        severity=(reaction.severity or "") if reaction else "",
        recorded_at=el.when(resource.recordedDate) or el.when(resource.onsetDateTime),
    )


def _reason(ctx: ImportContext, codes, references) -> str:
    """A reason as text: a coded reason, else the display of the Condition it points at."""
    if codes:
        return el.text(codes[0], CodeSystem.SNOMED)
    for reference in references or []:
        raw = ctx.resolver.raw(reference)
        if raw:
            concept = raw.get("code") or {}
            return concept.get("text") or next((c.get("display", "") for c in concept.get("coding", [])), "")
        if reference.display:
            return reference.display
    return ""


def _medication_code(resource: MedicationRequest, ctx: ImportContext) -> tuple[str, str]:
    if resource.medicationCodeableConcept:
        concept = resource.medicationCodeableConcept
        return el.code(concept, CodeSystem.RXNORM), el.text(concept, CodeSystem.RXNORM)
    raw = ctx.resolver.raw(resource.medicationReference) or {}
    codings = [c for c in (raw.get("code") or {}).get("coding", []) if c.get("code")]
    coding = next((c for c in codings if c.get("system") == CodeSystem.RXNORM), codings[0] if codings else {})
    return coding.get("code", ""), (raw.get("code") or {}).get("text") or coding.get("display", "")


_PERIOD_UNITS = {"s": "second", "min": "minute", "h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year"}


def _dosage_text(dosage) -> str:
    """Synthea codes its dosages; the chart prints them, e.g. "1 dose, 2 times per day"."""
    if dosage is None:
        return ""
    if dosage.text:
        return dosage.text
    parts = []
    dose = el.first(dosage.doseAndRate)
    if dose and dose.doseQuantity and dose.doseQuantity.value is not None:
        quantity = dose.doseQuantity
        parts.append(f"{quantity.value:g} {quantity.unit or 'dose'}")
    repeat = dosage.timing.repeat if dosage.timing else None
    if repeat and repeat.frequency and repeat.period:
        unit = _PERIOD_UNITS.get(repeat.periodUnit, repeat.periodUnit or "")
        every = f"per {unit}" if repeat.period == 1 else f"every {repeat.period:g} {unit}s"
        parts.append(f"{repeat.frequency} time{'s' if repeat.frequency > 1 else ''} {every}")
    if dosage.asNeededBoolean:
        parts.append("as needed")
    return ", ".join(parts)


def _medication(resource: MedicationRequest, ctx: ImportContext) -> m.Medication:
    ctx.require_own_subject(resource, resource.subject)
    rxnorm, display = _medication_code(resource, ctx)
    if not rxnorm:
        raise Skip("no medication code")
    dosage = el.first(resource.dosageInstruction)
    return m.Medication(
        fhir_id=resource.id,
        patient_id=ctx.patient.pk,
        encounter_id=ctx.pk(m.Encounter, resource.encounter),
        rxnorm=rxnorm,
        display=display or rxnorm,
        status=resource.status or "active",
        intent=resource.intent or "order",
        dosage_text=_dosage_text(dosage),
        as_needed=bool(dosage and dosage.asNeededBoolean),
        reason=_reason(ctx, resource.reasonCode, resource.reasonReference),
        prescriber_id=ctx.pk(m.Practitioner, resource.requester),
        authored_at=el.when(resource.authoredOn),
    )


# --- immunizations and procedures -------------------------------------------------


def _immunization(resource: Immunization, ctx: ImportContext) -> m.Immunization:
    ctx.require_own_subject(resource, resource.patient)
    if not el.code(resource.vaccineCode):
        raise Skip("no code")
    occurred = el.when(resource.occurrenceDateTime)
    if occurred is None:
        raise Skip("no occurrence time")
    return m.Immunization(
        fhir_id=resource.id,
        patient_id=ctx.patient.pk,
        encounter_id=ctx.pk(m.Encounter, resource.encounter),
        cvx=el.code(resource.vaccineCode, CodeSystem.CVX),
        display=el.text(resource.vaccineCode, CodeSystem.CVX),
        status=resource.status or "completed",
        occurred_at=occurred,
    )


def _procedure(resource: Procedure, ctx: ImportContext) -> m.Procedure:
    ctx.require_own_subject(resource, resource.subject)
    if not el.code(resource.code):
        raise Skip("no code")
    performed = el.when(resource.performedDateTime) or el.start(resource.performedPeriod)
    if performed is None:
        raise Skip("no performed time")
    return m.Procedure(
        fhir_id=resource.id,
        patient_id=ctx.patient.pk,
        encounter_id=ctx.pk(m.Encounter, resource.encounter),
        code_system=el.coding(resource.code, CodeSystem.SNOMED).system or "",
        code=el.code(resource.code, CodeSystem.SNOMED),
        display=el.text(resource.code, CodeSystem.SNOMED),
        status=resource.status or "completed",
        reason=_reason(ctx, resource.reasonCode, resource.reasonReference),
        performed_start=performed,
        performed_end=el.end(resource.performedPeriod),
    )


def _simple(model, build):
    def stage(resources, ctx: ImportContext) -> None:
        import_rows(ctx, model, resources, build)

    return stage


# Directory resources, imported before the patient (who may name a PCP among them).
DIRECTORY_STAGES = {
    "Organization": (Organization, import_organizations),
    "Practitioner": (Practitioner, import_practitioners),
}

# The patient's chart, in dependency order: encounters first, reports after their results.
CHART_STAGES = {
    "Encounter": (Encounter, _simple(m.Encounter, _encounter)),
    "Condition": (Condition, _simple(m.Condition, _condition)),
    "AllergyIntolerance": (AllergyIntolerance, _simple(m.Allergy, _allergy)),
    "MedicationRequest": (MedicationRequest, _simple(m.Medication, _medication)),
    "Observation": (Observation, import_observations),
    "Immunization": (Immunization, _simple(m.Immunization, _immunization)),
    "Procedure": (Procedure, _simple(m.Procedure, _procedure)),
    "DiagnosticReport": (DiagnosticReport, import_reports),
}

PATIENT_CLASS = Patient
