"""Writing the In Basket: notifications for new results, acknowledging them, routing them to the chart.

Every clinician action records an audit event (clinical.audit), so a click and an agent's semantic action
leave the same trace, and rubrics read what an episode did from those events.
"""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone

from clinical.audit import audit_record
from clinical.models import Observation, Patient
from inbasket.models import ResultNotification

# How far back from the population's reference date the golden database's results arrive in the In Basket.
GOLDEN_WINDOW_DAYS = 30
COMMENT_MAX = 1000
Kind = ResultNotification.Kind
Status = ResultNotification.Status


def notification_kind(observation: Observation) -> str:
    """Critical past the lab's critical limits (LL/HH), abnormal outside the reference range (L/H/A), else
    normal: the flags clinical.reference_ranges gives the result (critical limits: potassium, sodium, glucose,
    calcium, magnesium, hemoglobin, platelets, ...)."""
    flag = observation.flag
    if flag in (Observation.Flag.CRITICAL_LOW, Observation.Flag.CRITICAL_HIGH):
        return Kind.CRITICAL
    return Kind.ABNORMAL if flag else Kind.NORMAL


def _notification(observation: Observation) -> ResultNotification:
    return ResultNotification(patient_id=observation.patient_id, observation=observation,
                              kind=notification_kind(observation), resulted_at=observation.effective_at)


def notifications_for_results(observations: list[Observation]) -> list[ResultNotification]:
    """A new notification for each lab result just recorded (clinical.lab_results.lab_results_record's hook)."""
    rows = [_notification(o) for o in observations if o.category == Observation.Category.LABORATORY]
    if not rows:
        return []
    return ResultNotification.objects.using(observations[0]._state.db).bulk_create(rows)


def notifications_seed_recent(*, using: str, reference_date: date | None, days: int = GOLDEN_WINDOW_DAYS,
                              **_signal) -> int:
    """Notifications for every lab result of the `days` before the population's reference date (through its
    end), that has none: the In Basket a chart has at reset. Returns how many were created."""
    if reference_date is None:
        return 0
    zone = timezone.get_current_timezone()
    end = timezone.make_aware(datetime.combine(reference_date + timedelta(days=1), time.min), zone)
    results = (Observation.objects.using(using)
               .filter(category=Observation.Category.LABORATORY, effective_at__gte=end - timedelta(days=days + 1),
                       effective_at__lt=end, notification__isnull=True)
               .order_by("effective_at", "pk"))
    rows = [_notification(o) for o in results]
    ResultNotification.objects.using(using).bulk_create(rows, batch_size=500)
    return len(rows)


def _details(notification: ResultNotification, **more) -> dict:
    observation = notification.observation
    value = observation.value_num if observation.value_num is not None else observation.value_text
    return {"loinc": observation.loinc, "kind": notification.kind, "value": value, "flag": observation.flag,
            **more}


def _atomic():
    return transaction.atomic(using=router.db_for_write(Patient))


def notification_acknowledge(*, notification: ResultNotification, actor: str,
                             comment: str = "") -> ResultNotification:
    """Acknowledge a result (new or routed), with an optional comment; it leaves the open In Basket."""
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError({"comment": f"A comment is at most {COMMENT_MAX} characters."})
    if notification.status == Status.ACKNOWLEDGED:
        raise ValidationError({"notification": f"Result notification #{notification.pk} was already acknowledged "
                                               f"by {notification.acknowledged_by}."})
    with _atomic():
        notification.status = Status.ACKNOWLEDGED
        notification.acknowledged_by, notification.acknowledged_at = actor, timezone.now()
        notification.note = comment
        notification.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "note"])
        audit_record(actor=actor, action="inbasket.acknowledge", target=notification, patient=notification.patient,
                     details=_details(notification, comment=comment))
    return notification


def notification_route(*, notification: ResultNotification, actor: str) -> ResultNotification:
    """Route a result to the chart (the clinician opens it in the patient's results). A new notification
    becomes routed and still waits for its acknowledgement; an acknowledged one stays acknowledged."""
    with _atomic():
        if notification.status == Status.NEW:
            notification.status = Status.ROUTED
        notification.routed_by, notification.routed_at = actor, timezone.now()
        notification.save(update_fields=["status", "routed_by", "routed_at"])
        audit_record(actor=actor, action="inbasket.route", target=notification, patient=notification.patient,
                     details=_details(notification))
    return notification
