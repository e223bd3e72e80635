"""Writes to the chart. Views, APIs and the agent's semantic actions all call these.

Every service is keyword-only, atomic on the database the chart lives in (the main
database, or an episode's copy), validates its input with a clear message per field,
records an audit event in the same transaction, and returns the model it wrote.
"""

import functools
import uuid
from collections.abc import Callable
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone

from clinical.audit import audit_record
from clinical.encounters import encounter_for_charting
from clinical.models import (
    Allergy,
    CodeSystem,
    Condition,
    Immunization,
    Medication,
    Observation,
    Patient,
)
from clinical.reference_ranges import flag_for, reference_range
from clinical.selectors import ACTIVE_MEDICATION_STATUSES
from clinical.vaccines import SITES, VACCINES
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


def new_fhir_id() -> str:
    return str(uuid.uuid4())


def _require_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: "This field is required."})
    return value


def _not_in_future(moment: datetime | None, field: str, patient: Patient | None = None) -> datetime:
    """The moment (now if None), refused if it is in the future or, given the patient, before their birth
    (a vital sign dated year 1 is a typo, not history)."""
    now = timezone.now()
    if moment is None:
        return now
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now + timezone.timedelta(minutes=5):
        raise ValidationError({field: "Cannot be in the future."})
    if patient is not None and timezone.localtime(moment).date() < patient.birth_date:
        raise ValidationError({field: f"Cannot be before the patient's birth date ({patient.birth_date:%m/%d/%Y})."})
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
    onset = _not_in_future(onset, "onset", patient)
    condition = Condition.objects.create(
        fhir_id=new_fhir_id(),
        patient=patient,
        encounter=encounter_for_charting(patient=patient, actor=actor, opened_by="condition.add"),
        code_system=code_system,
        code=code,
        display=display,
        clinical_status=Condition.ClinicalStatus.ACTIVE,
        category="problem-list-item",
        onset=onset,
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
    condition.abatement = _not_in_future(abatement, "abatement", condition.patient)
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
        raise ValidationError(
            {"category": f"Unknown category {category!r}; choose one of {', '.join(Allergy.Category.values)}."})
    if severity and severity not in Allergy.Severity.values:
        raise ValidationError({"severity": f"Unknown severity {severity!r}; choose mild, moderate or severe."})
    if patient.allergies.filter(substance__iexact=substance, clinical_status="active").exists():
        raise ValidationError({"substance": f"An active allergy to {substance} is already recorded."})
    allergy = Allergy.objects.create(
        fhir_id=new_fhir_id(),
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


def _medication_end(medication: Medication, *, actor: str, reason: str, at: datetime) -> None:
    medication.status = Medication.Status.STOPPED
    medication.ended_at, medication.end_reason = at, reason[:255]
    medication.save(update_fields=["status", "ended_at", "end_reason"])
    audit_record(
        actor=actor,
        action="medication.discontinue",
        target=medication,
        patient=medication.patient,
        details={"rxnorm": medication.rxnorm, "display": medication.display, "reason": reason},
    )


@chart_atomic
def medication_discontinue(*, medication: Medication, actor: str, reason: str) -> Medication:
    """Take one medication-list entry off the active list (signing and discontinuing orders,
    in orders/, call this for the entry an order started)."""
    reason = _require_text(reason, "reason")
    if medication.status != Medication.Status.ACTIVE:
        raise ValidationError({"medication": f"{medication.display} is not active ({medication.status})."})
    _medication_end(medication, actor=actor, reason=reason, at=timezone.now())
    return medication


# Apps built on the chart may own medication-list entries (orders/: the entry a signed order
# started, which stops when its order is discontinued). They register a guard here, since
# clinical does not import them: guard(entry) says why the entry must not be stopped from
# the list, or "" if it may be.
MEDICATION_STOP_GUARDS: list[Callable[[Medication], str]] = []


def _owned_elsewhere(medication: Medication) -> str:
    return next((why for why in (guard(medication) for guard in MEDICATION_STOP_GUARDS) if why), "")


@chart_atomic
def medication_stop(*, medication: Medication, actor: str, reason: str) -> list[Medication]:
    """Stop a drug the patient takes, from the medication list (a home medication of the
    imported chart, say), with the reason; returns the entries stopped.

    The list shows a drug once, as its newest prescription; the renewals behind it (the
    same RxNorm code, still active or on hold) are the same therapy and stop with it, or
    the drug would stay on the active list. An entry another app owns is left to it.
    """
    reason = _require_text(reason, "reason")
    if medication.status not in ACTIVE_MEDICATION_STATUSES:
        when = f" on {timezone.localtime(medication.ended_at):%m/%d/%Y}" if medication.ended_at else ""
        raise ValidationError(
            {"medication": f"{medication.display} is already {medication.get_status_display().lower()}{when}."}
        )
    if why := _owned_elsewhere(medication):
        raise ValidationError({"medication": why})
    entries = (
        Medication.objects.select_for_update()
        .filter(patient_id=medication.patient_id, rxnorm=medication.rxnorm, status__in=ACTIVE_MEDICATION_STATUSES)
        .order_by("pk")
    )
    stopped = [entry for entry in entries if entry.pk == medication.pk or not _owned_elsewhere(entry)]
    now = timezone.now()
    for entry in stopped:
        _medication_end(entry, actor=actor, reason=reason, at=now)
    return stopped


def _observation_for_vital(
    *, patient: Patient, vital: VitalSign, value: float, at: datetime, actor: str, panel_code: str = ""
) -> Observation:
    if not vital.plausible_low <= value <= vital.plausible_high:
        raise ValidationError(
            {vital.key: f"{vital.label} {value:g} {vital.unit} is outside "
                        f"{vital.plausible_low:g}–{vital.plausible_high:g}."}
        )
    ref = reference_range(vital.loinc, sex=patient.sex) or (None, None)
    return Observation(
        fhir_id=new_fhir_id(),
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
        raise ValidationError(
            {"values": f"Unknown vital sign(s): {', '.join(unknown)}; known: {', '.join(VITAL_SIGNS)}."})
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
    moment = _not_in_future(at, "at", patient)
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
    encounter = encounter_for_charting(patient=patient, actor=actor, opened_by="observation.record")
    for observation in observations:
        observation.encounter = encounter
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


def _moment_of(at: datetime | date | None) -> datetime | None:
    """A day given without a time is read at noon in the EHR's time zone; today is now, so it is
    never in the future."""
    if at is None or isinstance(at, datetime):
        return at
    if at == timezone.localdate():
        return None
    return timezone.make_aware(datetime.combine(at, time(12)))


@chart_atomic
def immunization_record(
    *,
    patient: Patient,
    cvx: str,
    actor: str,
    at: datetime | date | None = None,
    display: str = "",
    lot_number: str = "",
    site: str = "",
) -> Immunization:
    """Record a vaccine given (now, or at `at`, a moment or a day): a CVX code of
    clinical.vaccines, whose description the record takes unless `display` names the
    product more exactly."""
    cvx = _require_text(cvx, "cvx")
    if not cvx.isdigit():
        raise ValidationError({"cvx": f"A CVX code is a number; got {cvx!r}."})
    vaccine = VACCINES.get(cvx)
    if vaccine is None:
        known = ", ".join(f"{v.cvx} ({v.display})" for v in VACCINES.values())
        raise ValidationError({"cvx": f"CVX {cvx} is not a vaccine this EHR records; choose one of: {known}."})
    site = (site or "").strip().upper()
    if site and site not in SITES:
        raise ValidationError({"site": f"Unknown site {site!r}; choose one of "
                                       + ", ".join(f"{code} ({label})" for code, label in SITES.items()) + "."})
    lot_number = (lot_number or "").strip()
    if len(lot_number) > 40:
        raise ValidationError({"lot_number": "A lot number has at most 40 characters."})
    occurred_at = _not_in_future(_moment_of(at), "at", patient)
    immunization = Immunization.objects.create(
        fhir_id=new_fhir_id(),
        patient=patient,
        cvx=cvx,
        display=(display or "").strip() or vaccine.display,
        occurred_at=occurred_at,
        lot_number=lot_number,
        site=site,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="immunization.record",
        target=immunization,
        patient=patient,
        details={"cvx": cvx, "display": immunization.display, "occurred_at": occurred_at.isoformat(),
                 "lot_number": lot_number, "site": site},
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
        fhir_id=new_fhir_id(),
        patient=patient,
        rxnorm=rxnorm,
        display=display,
        status=Medication.Status.ACTIVE,
        intent="order",
        dosage_text=dosage_text.strip(),
        as_needed=as_needed,
        reason=reason.strip(),
        prescriber=Practitioner.objects.filter(username=actor).first() if actor else None,
        authored_at=_not_in_future(authored_at, "authored_at", patient),
    )
    audit_record(
        actor=actor,
        action="medication.start",
        target=medication,
        patient=patient,
        details={"rxnorm": rxnorm, "display": display, "dosage_text": medication.dosage_text, "as_needed": as_needed},
    )
    return medication
