"""Writes to the chart. Views, APIs and the agent's semantic actions all call these.

Every service is keyword-only, atomic on the database the chart lives in (the main
database, or an episode's copy), validates its input with a clear message per field,
records an audit event in the same transaction, and returns the model it wrote.
"""

import functools
import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone

from clinical.audit import audit_record
from clinical.models import Allergy, CodeSystem, Condition, Immunization, Medication, Observation, Patient
from clinical.reference_ranges import flag_for, reference_range
from clinical.vitals import VITAL_SIGNS, VitalSign


def chart_atomic(func):
    """transaction.atomic on the chart's database, chosen per call.

    Plain @transaction.atomic would wrap the main database even when the router sends
    chart writes to an episode's database, leaving those writes unprotected.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction.atomic(using=router.db_for_write(Patient)):
            return func(*args, **kwargs)

    return wrapper


def _new_fhir_id() -> str:
    return str(uuid.uuid4())


def _require_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: "This field is required."})
    return value


def _not_in_future(moment: datetime | None, field: str) -> datetime:
    now = timezone.now()
    if moment is None:
        return now
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now + timezone.timedelta(minutes=5):
        raise ValidationError({field: "Cannot be in the future."})
    return moment


@chart_atomic
def patient_set_code_status(*, patient: Patient, code_status: str, actor: str) -> Patient:
    if code_status not in Patient.CodeStatus.values:
        choices = ", ".join(Patient.CodeStatus.values)
        raise ValidationError({"code_status": f"Unknown code status {code_status!r}; choose one of {choices}."})
    previous = patient.code_status
    patient.code_status = code_status
    patient.save(update_fields=["code_status"])
    audit_record(
        actor=actor,
        action="patient.code_status",
        target=patient,
        patient=patient,
        details={"from": previous, "to": code_status},
    )
    return patient


@chart_atomic
def condition_add(
    *,
    patient: Patient,
    code: str,
    display: str,
    actor: str,
    onset: datetime | None = None,
    code_system: str = CodeSystem.SNOMED,
) -> Condition:
    """Add a problem to the problem list (SNOMED CT coded)."""
    code = _require_text(code, "code")
    display = _require_text(display, "display")
    if not code.isdigit():
        raise ValidationError({"code": f"A SNOMED CT code is a number; got {code!r}."})
    duplicate = patient.conditions.filter(
        code=code, clinical_status__in=[Condition.ClinicalStatus.ACTIVE, Condition.ClinicalStatus.RECURRENCE]
    )
    if duplicate.exists():
        raise ValidationError({"code": f"{display} ({code}) is already an active problem."})
    condition = Condition.objects.create(
        fhir_id=_new_fhir_id(),
        patient=patient,
        code_system=code_system,
        code=code,
        display=display,
        clinical_status=Condition.ClinicalStatus.ACTIVE,
        category="problem-list-item",
        onset=_not_in_future(onset, "onset"),
        recorded_at=timezone.now(),
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="condition.add",
        target=condition,
        patient=patient,
        details={"code": code, "display": display},
    )
    return condition


@chart_atomic
def condition_resolve(*, condition: Condition, actor: str, abatement: datetime | None = None) -> Condition:
    if not condition.is_active:
        raise ValidationError({"condition": f"{condition.display} is not active."})
    condition.clinical_status = Condition.ClinicalStatus.RESOLVED
    condition.abatement = _not_in_future(abatement, "abatement")
    condition.save(update_fields=["clinical_status", "abatement"])
    audit_record(
        actor=actor,
        action="condition.resolve",
        target=condition,
        patient=condition.patient,
        details={"code": condition.code},
    )
    return condition


@chart_atomic
def allergy_add(
    *,
    patient: Patient,
    substance: str,
    actor: str,
    code: str = "",
    category: str = "",
    reaction: str = "",
    severity: str = "",
    criticality: str = "",
) -> Allergy:
    substance = _require_text(substance, "substance")
    if category and category not in Allergy.Category.values:
        raise ValidationError({"category": f"Unknown category {category!r}; choose one of {', '.join(Allergy.Category.values)}."})
    if severity and severity not in Allergy.Severity.values:
        raise ValidationError({"severity": f"Unknown severity {severity!r}; choose mild, moderate or severe."})
    if patient.allergies.filter(substance__iexact=substance, clinical_status="active").exists():
        raise ValidationError({"substance": f"An active allergy to {substance} is already recorded."})
    allergy = Allergy.objects.create(
        fhir_id=_new_fhir_id(),
        patient=patient,
        code=code.strip(),
        substance=substance,
        category=category,
        reaction=reaction.strip(),
        severity=severity,
        criticality=criticality,
        recorded_at=timezone.now(),
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="allergy.add",
        target=allergy,
        patient=patient,
        details={"substance": substance, "code": allergy.code, "reaction": allergy.reaction},
    )
    return allergy


@chart_atomic
def medication_discontinue(*, medication: Medication, actor: str, reason: str) -> Medication:
    """Take a medication off the active list (the order lifecycle lives in orders/)."""
    reason = _require_text(reason, "reason")
    if medication.status != Medication.Status.ACTIVE:
        raise ValidationError({"medication": f"{medication.display} is not active ({medication.status})."})
    medication.status = Medication.Status.STOPPED
    medication.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="medication.discontinue",
        target=medication,
        patient=medication.patient,
        details={"rxnorm": medication.rxnorm, "reason": reason},
    )
    return medication


def _observation_for_vital(
    *, patient: Patient, vital: VitalSign, value: float, at: datetime, actor: str, panel_code: str = ""
) -> Observation:
    if not vital.plausible_low <= value <= vital.plausible_high:
        raise ValidationError(
            {vital.key: f"{vital.label} {value:g} {vital.unit} is outside {vital.plausible_low:g}–{vital.plausible_high:g}."}
        )
    ref = reference_range(vital.loinc, sex=patient.sex) or (None, None)
    return Observation(
        fhir_id=_new_fhir_id(),
        patient=patient,
        category=Observation.Category.VITAL_SIGNS,
        loinc=vital.loinc,
        display=vital.label,
        panel_code=panel_code,
        value_num=value,
        unit=vital.unit,
        ref_low=ref[0],
        ref_high=ref[1],
        flag=flag_for(vital.loinc, value, sex=patient.sex),
        effective_at=at,
        recorded_by=actor,
    )


@chart_atomic
def vitals_record(
    *, patient: Patient, values: dict[str, float], actor: str, at: datetime | None = None
) -> list[Observation]:
    """Record a set of vital signs taken together, keyed by VitalSign.key.

    Systolic and diastolic pressure must come together: half a blood pressure is
    not a measurement.
    """
    if not values:
        raise ValidationError({"values": "Enter at least one vital sign."})
    unknown = sorted(set(values) - set(VITAL_SIGNS))
    if unknown:
        raise ValidationError({"values": f"Unknown vital sign(s): {', '.join(unknown)}; known: {', '.join(VITAL_SIGNS)}."})
    if ("bp_systolic" in values) != ("bp_diastolic" in values):
        raise ValidationError({"values": "Blood pressure needs both bp_systolic and bp_diastolic."})
    numbers = {}
    for key, raw in values.items():
        try:
            numbers[key] = float(raw)
        except (TypeError, ValueError):
            raise ValidationError({key: f"{VITAL_SIGNS[key].label} must be a number; got {raw!r}."}) from None
    if "bp_systolic" in numbers and numbers["bp_systolic"] <= numbers["bp_diastolic"]:
        raise ValidationError({"bp_systolic": "Systolic pressure must be higher than diastolic."})
    moment = _not_in_future(at, "at")
    observations = [
        _observation_for_vital(
            patient=patient,
            vital=VITAL_SIGNS[key],
            value=value,
            at=moment,
            actor=actor,
            panel_code="85354-9" if key.startswith("bp_") else "",
        )
        for key, value in numbers.items()
    ]
    Observation.objects.bulk_create(observations)
    for observation in observations:
        audit_record(
            actor=actor,
            action="observation.record",
            target=observation,
            patient=patient,
            details={"loinc": observation.loinc, "value": observation.value_num, "unit": observation.unit},
        )
    return observations


@chart_atomic
def immunization_record(
    *, patient: Patient, cvx: str, display: str, actor: str, at: datetime | None = None
) -> Immunization:
    cvx = _require_text(cvx, "cvx")
    display = _require_text(display, "display")
    if not cvx.isdigit():
        raise ValidationError({"cvx": f"A CVX code is a number; got {cvx!r}."})
    immunization = Immunization.objects.create(
        fhir_id=_new_fhir_id(),
        patient=patient,
        cvx=cvx,
        display=display,
        occurred_at=_not_in_future(at, "at"),
    )
    audit_record(
        actor=actor,
        action="immunization.record",
        target=immunization,
        patient=patient,
        details={"cvx": cvx, "display": display},
    )
    return immunization


@chart_atomic
def medication_start(
    *,
    patient: Patient,
    rxnorm: str,
    display: str,
    actor: str,
    dosage_text: str = "",
    as_needed: bool = False,
    reason: str = "",
    authored_at: datetime | None = None,
) -> Medication:
    """Put a medication on the active list (signing a medication order in orders/ calls this).

    The prescriber is the practitioner who logs in as `actor`, when there is one.
    """
    from clinical.models import Practitioner  # here, so this service is a pure addition to the module

    rxnorm = _require_text(rxnorm, "rxnorm")
    display = _require_text(display, "display")
    if not rxnorm.isdigit():
        raise ValidationError({"rxnorm": f"An RxNorm code is a number; got {rxnorm!r}."})
    medication = Medication.objects.create(
        fhir_id=_new_fhir_id(),
        patient=patient,
        rxnorm=rxnorm,
        display=display,
        status=Medication.Status.ACTIVE,
        intent="order",
        dosage_text=dosage_text.strip(),
        as_needed=as_needed,
        reason=reason.strip(),
        prescriber=Practitioner.objects.filter(username=actor).first() if actor else None,
        authored_at=_not_in_future(authored_at, "authored_at"),
    )
    audit_record(
        actor=actor,
        action="medication.start",
        target=medication,
        patient=patient,
        details={"rxnorm": rxnorm, "display": display, "dosage_text": medication.dosage_text, "as_needed": as_needed},
    )
    return medication
