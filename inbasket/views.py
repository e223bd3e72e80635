"""The In Basket pages: every result notification (the workspace activity) and one patient's (a chart tab),
with Acknowledge (an optional comment) and Route to chart on each message. Thin: services do the writing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinical.views import chart_patient, render_chart
from inbasket import selectors, services
from inbasket.models import ResultNotification

PER_PAGE = 50
STATUS_FILTERS = {"open": "Open (new or routed)", "new": "New", "routed": "Routed to chart",
                  "acknowledged": "Acknowledged", "all": "All"}


def _filters(request) -> tuple[str, str, list[str]]:
    """(kind, status) from the query string; an unknown value is ignored with a warning, not an error."""
    kind, status, warnings = request.GET.get("kind", ""), request.GET.get("status", "open"), []
    if kind and kind not in selectors.KINDS:
        warnings.append(f"Unknown kind “{kind[:40]}” ignored; showing every kind.")
        kind = ""
    if status not in STATUS_FILTERS:
        warnings.append(f"Unknown status “{status[:40]}” ignored; showing open messages.")
        status = "open"
    return kind, status, warnings


def _listing(request, *, patient=None) -> dict:
    kind, status, warnings = _filters(request)
    rows = selectors.notifications(patient=patient, kind=kind or None, status=None if status == "all" else status)
    return {"page": Paginator(rows, PER_PAGE).get_page(request.GET.get("page")), "kind": kind, "status": status,
            "kinds": ResultNotification.Kind.choices, "statuses": STATUS_FILTERS.items(), "warnings": warnings,
            "counts": selectors.open_counts(patient=patient), "next": request.get_full_path()}


@login_required
def inbasket(request):
    context = {**_listing(request), "activity": "inbasket"}
    return render(request, "inbasket/inbasket.html", context)


@login_required
def chart_inbasket(request, mrn: str):
    patient = chart_patient(mrn)
    return render_chart(request, patient, tab="inbasket", template="inbasket/chart_inbasket.html",
                        context=_listing(request, patient=patient))


def _notification(notification_id: int) -> ResultNotification:
    try:
        return selectors.notification_get(notification_id)
    except ResultNotification.DoesNotExist:
        raise Http404(f"No result notification #{notification_id}") from None


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _errors(error: ValidationError) -> str:
    return " ".join(" ".join(messages_) for messages_ in error.message_dict.values())


@login_required
@require_POST
def acknowledge(request, notification_id: int):
    notification = _notification(notification_id)
    try:
        services.notification_acknowledge(notification=notification, actor=request.user.get_username(),
                                          comment=request.POST.get("comment", ""))
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, f"Acknowledged {notification.observation.display} for "
                                  f"{notification.patient.chart_name}.")
    return redirect(_back(request, reverse("inbasket:inbasket")))


def chart_route(notification: ResultNotification) -> str:
    """Where a routed result opens: its analyte's results over time in the patient's chart."""
    mrn, loinc = notification.patient.mrn, notification.observation.loinc
    try:
        return reverse("clinical:chart_result_trend", kwargs={"mrn": mrn, "loinc": loinc})
    except NoReverseMatch:  # a code no URL can carry: the results list
        return reverse("clinical:chart_results", kwargs={"mrn": mrn})


@login_required
@require_POST
def route(request, notification_id: int):
    notification = _notification(notification_id)
    services.notification_route(notification=notification, actor=request.user.get_username())
    return redirect(chart_route(notification))
