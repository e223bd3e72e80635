"""Reading the In Basket: the pages, the semantic actions, task selectors and rubrics read it here."""

from django.db.models import Exists, OuterRef, QuerySet

from clinical.models import Patient
from inbasket.models import ResultNotification

KINDS = tuple(ResultNotification.Kind.values)
STATUSES = tuple(ResultNotification.Status.values)
OPEN = (ResultNotification.Status.NEW, ResultNotification.Status.ROUTED)


def notifications(*, patient: Patient | None = None, kind: str | None = None, status: str | None = None,
                  loincs: list[str] | None = None) -> QuerySet[ResultNotification]:
    """Notifications, newest result first; `status` "open" means new or routed (not yet acknowledged)."""
    rows = ResultNotification.objects.select_related("patient", "observation")
    if patient is not None:
        rows = rows.filter(patient=patient)
    if kind:
        rows = rows.filter(kind=kind)
    if status == "open":
        rows = rows.filter(status__in=OPEN)
    elif status:
        rows = rows.filter(status=status)
    if loincs:
        rows = rows.filter(observation__loinc__in=loincs)
    return rows.order_by("-resulted_at", "-pk")


def notification_get(notification_id: int) -> ResultNotification:
    """Raises ResultNotification.DoesNotExist."""
    return ResultNotification.objects.select_related("patient", "observation").get(pk=notification_id)


def notifications_by_id(ids: list[int]) -> list[ResultNotification]:
    """These notifications, in the order of `ids` (missing ones left out)."""
    found = {n.pk: n for n in ResultNotification.objects.select_related("observation").filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def open_counts(*, patient: Patient | None = None) -> dict[str, int]:
    """How many open notifications of each kind (the In Basket's folder counts)."""
    rows = notifications(patient=patient, status="open")
    return {kind: rows.filter(kind=kind).count() for kind in KINDS}


def notification_exists(*, kinds: list[str] | None = None, statuses: list[str] | None = None,
                        loincs: list[str] | None = None) -> Exists:
    """For a query of patients: one has a notification of these kinds, statuses and analytes."""
    rows = ResultNotification.objects.filter(patient=OuterRef("pk"))
    if kinds:
        rows = rows.filter(kind__in=kinds)
    if statuses:
        rows = rows.filter(status__in=statuses)
    if loincs:
        rows = rows.filter(observation__loinc__in=loincs)
    return Exists(rows)
