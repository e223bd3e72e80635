"""The visit navigator (today's visit: vitals, problems addressed, orders, notes), and the banner's
Start visit / Close visit buttons. A change is a POST calling a service; a refused one comes back as
a message on the page it came from, never a 500."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinical import encounters, services
from clinical.views import chart_patient, render_chart, service_errors
from clinical.visit import visit_parts, visit_provider, visit_today
from clinical.vitals import VITAL_SIGNS

# The vitals a visit records from the navigator's form, in the order a nurse takes them.
VISIT_VITALS = ["bp_systolic", "bp_diastolic", "heart_rate", "respiratory_rate", "temperature", "spo2", "weight",
                "height", "pain"]


def _back(request, mrn: str) -> str:
    """The chart page the button was pressed on, else the navigator."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("clinical:chart_visit", kwargs={"mrn": mrn})


def _navigator(request, patient, *, entered: dict | None = None, status: int = 200):
    encounter = visit_today(patient)
    sections = []
    if encounter is not None:
        for part in visit_parts():
            action_url = reverse(part.action_url_name, kwargs={"mrn": patient.mrn}) if part.action_url_name else ""
            sections.append({"part": part, "items": part.items(encounter), "action_url": action_url})
    context = {
        "visit": encounter,
        "visit_open": encounter is not None and encounter.status == encounters.IN_PROGRESS,
        "visit_provider": visit_provider(encounter) if encounter else "",
        "sections": sections,
        "vital_fields": [(VITAL_SIGNS[key], (entered or {}).get(key, "")) for key in VISIT_VITALS],
    }
    response = render_chart(request, patient, tab="visit", template="clinical/chart_visit.html", context=context)
    response.status_code = status
    return response


@login_required
def chart_visit(request, mrn: str):
    return _navigator(request, chart_patient(mrn))


@login_required
@require_POST
def visit_start(request, mrn: str):
    patient = chart_patient(mrn)
    try:
        encounter = encounters.visit_start(patient=patient, actor=request.user.get_username(),
                                           reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, service_errors(error))
    else:
        messages.success(request, f"Started {encounter.type_display} at {timezone.localtime(encounter.start):%H:%M}.")
    return redirect(_back(request, patient.mrn))


@login_required
@require_POST
def visit_close(request, mrn: str):
    patient = chart_patient(mrn)
    try:
        encounter = encounters.visit_close(patient=patient, actor=request.user.get_username())
    except ValidationError as error:
        messages.error(request, service_errors(error))
    else:
        messages.success(request, f"Closed {encounter.type_display} at {timezone.localtime(encounter.end):%H:%M}.")
    return redirect(reverse("clinical:chart_visit", kwargs={"mrn": patient.mrn}))


@login_required
@require_POST
def visit_vitals_record(request, mrn: str):
    patient = chart_patient(mrn)
    entered = {key: request.POST.get(key, "").strip()[:20] for key in VISIT_VITALS}
    values = {key: value for key, value in entered.items() if value}
    try:
        observations = services.vitals_record(patient=patient, values=values, actor=request.user.get_username())
    except ValidationError as error:
        messages.error(request, service_errors(error))
        return _navigator(request, patient, entered=entered, status=400)
    messages.success(request, f"Recorded {len(observations)} vital sign{'s' if len(observations) != 1 else ''}.")
    return redirect(reverse("clinical:chart_visit", kwargs={"mrn": patient.mrn}))
