"""The open visit: the encounter a clinician charts in.

A patient's open encounter is their Encounter whose status is "in-progress"; there is at most one.
"Start visit" opens one dated now, "Close visit" finishes it. A clinical action taken with no visit open
(recording vitals, adding a problem, pending an order, starting a note) opens one first, so everything
charted in the EHR belongs to a visit, whoever calls the service (a view, an agent's action, a FHIR write)
and without their naming it. Imported encounters (Synthea's) are all finished: they are history, never open.
"""

import functools
import uuid

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone

from clinical.audit import audit_record
from clinical.models import Encounter, Patient, Practitioner

IN_PROGRESS = "in-progress"
FINISHED = "finished"
VISIT_TYPE = "Office visit"
VISIT_CLASSES = {Encounter.EncounterClass.AMBULATORY, Encounter.EncounterClass.VIRTUAL,
                 Encounter.EncounterClass.URGENT, Encounter.EncounterClass.EMERGENCY,
                 Encounter.EncounterClass.INPATIENT, Encounter.EncounterClass.WELLNESS}

# ValidationError codes a caller can branch on (the views answer 409 for these).
VISIT_ALREADY_OPEN = "visit_already_open"
NO_OPEN_VISIT = "no_open_visit"


def _chart_atomic(func):
    """clinical.services.chart_atomic, repeated here because services imports this module."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction.atomic(using=router.db_for_write(Patient)):
            return func(*args, **kwargs)

    return wrapper


def encounter_open(patient: Patient) -> Encounter | None:
    """The patient's open visit, or None."""
    return (
        Encounter.objects.filter(patient=patient, status=IN_PROGRESS)
        .select_related("practitioner")
        .order_by("-start", "-pk")
        .first()
    )


def _open(*, patient: Patient, actor: str, encounter_class: str, type_display: str, reason: str,
          opened_by: str) -> Encounter:
    encounter = Encounter.objects.create(
        fhir_id=str(uuid.uuid4()),
        patient=patient,
        status=IN_PROGRESS,
        encounter_class=encounter_class,
        type_display=type_display,
        reason_display=reason,
        start=timezone.now(),
        practitioner=Practitioner.objects.filter(username=actor).first() if actor else None,
    )
    details = {"class": encounter_class, "type": type_display, "reason": reason}
    if opened_by:
        details["opened_by"] = opened_by
    audit_record(actor=actor, action="encounter.start", target=encounter, patient=patient, details=details)
    return encounter


@_chart_atomic
def visit_start(
    *, patient: Patient, actor: str, encounter_class: str = Encounter.EncounterClass.AMBULATORY,
    type_display: str = VISIT_TYPE, reason: str = "",
) -> Encounter:
    """Open a visit for the patient, dated now; refused while one is open."""
    if encounter_class not in VISIT_CLASSES:
        choices = ", ".join(sorted(VISIT_CLASSES))
        raise ValidationError({"encounter_class": f"Unknown visit class {encounter_class!r}; choose one of {choices}."})
    type_display = (type_display or "").strip()[:200] or VISIT_TYPE
    # Locking the patient row makes two concurrent starts open one visit, not two.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    current = encounter_open(patient)
    if current is not None:
        started = timezone.localtime(current.start)
        raise ValidationError(
            {"visit": ValidationError(f"A visit is already open ({current.type_display}, started "
                                      f"{started:%m/%d/%Y %H:%M}); close it first.", code=VISIT_ALREADY_OPEN)}
        )
    return _open(patient=patient, actor=actor, encounter_class=encounter_class, type_display=type_display,
                 reason=(reason or "").strip()[:200], opened_by="")


@_chart_atomic
def visit_close(*, patient: Patient, actor: str) -> Encounter:
    """Finish the patient's open visit, ended now."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    encounter = encounter_open(patient)
    if encounter is None:
        raise ValidationError({"visit": ValidationError("This patient has no open visit to close.",
                                                        code=NO_OPEN_VISIT)})
    encounter.status, encounter.end = FINISHED, timezone.now()
    encounter.save(update_fields=["status", "end"])
    audit_record(actor=actor, action="encounter.close", target=encounter, patient=patient,
                 details={"class": encounter.encounter_class, "type": encounter.type_display,
                          "start": encounter.start.isoformat(), "end": encounter.end.isoformat()})
    return encounter


@_chart_atomic
def encounter_for_charting(*, patient: Patient, actor: str, opened_by: str) -> Encounter:
    """The visit a clinical action belongs to: the open one, or one opened now for it.

    Services call this inside their own transaction, so a refused action opens no visit."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    return encounter_open(patient) or _open(
        patient=patient, actor=actor, encounter_class=Encounter.EncounterClass.AMBULATORY,
        type_display=VISIT_TYPE, reason="", opened_by=opened_by,
    )
