"""The clinician UI: patient list, lookup, chart review, and a few chart entries
(stopping a medication, recording a vaccine).

Views parse the request, call selectors and render; every chart page shares the
storyboard and activity tabs through `render_chart`, which the notes app uses too.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinical import charts, results_selectors, selectors, services
from clinical.chart_sections import chart_section, chart_sections
from clinical.display_precision import display_decimals
from clinical.forms import ImmunizationRecordForm, MedicationDiscontinueForm, PatientListFilterForm
from clinical.models import Patient
from clinical.result_panels import is_questionnaire
from clinical.visit import visit_banner

PATIENTS_PER_PAGE = 50


@login_required
def home(request):
    return redirect("clinical:patient_list")


# --- Patient list and lookup ----------------------------------------------------------


def _parse_sort(raw: str) -> tuple[str, bool, str]:
    """(sort key, descending, warning) from ?sort=name or ?sort=-name."""
    key = raw.removeprefix("-")
    if not raw or key in selectors.PATIENT_SORTS:
        return key or selectors.DEFAULT_PATIENT_SORT, raw.startswith("-"), ""
    return selectors.DEFAULT_PATIENT_SORT, False, f"Unknown sort “{raw}” ignored; sorted by name."


def _filter_warnings(form: PatientListFilterForm) -> list[str]:
    return [
        f"{form.fields[name].label}: {' '.join(errors)} The filter was ignored." for name, errors in form.errors.items()
    ]


@login_required
def patient_list(request):
    form = PatientListFilterForm(request.GET)
    filters = form.valid_filters()
    sort, descending, sort_warning = _parse_sort(request.GET.get("sort", ""))
    patients = selectors.patient_list(
        query=filters.get("q", ""),
        sex=filters.get("sex", ""),
        age_group=filters.get("age", ""),
        problem=filters.get("problem", ""),
        pcp=filters.get("pcp"),
        sort=sort,
        descending=descending,
    )
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    warnings = _filter_warnings(form) + ([sort_warning] if sort_warning else [])
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "descending": descending,
        "filtered": bool(filters),
        "warnings": warnings,
        "activity": "patients",
    }
    return render(request, "clinical/patient_list.html", context)


@login_required
def patient_lookup(request):
    query = request.GET.get("q", "").strip()[:100]
    patients = list(selectors.patient_lookup(query)) if query else []
    if len(patients) == 1:
        return redirect("clinical:chart_summary", mrn=patients[0].mrn)
    context = {
        "query": query,
        "patients": patients,
        "as_birth_date": selectors.parse_birth_date(query) if query else None,
        "limit": selectors.LOOKUP_LIMIT,
        "activity": "lookup",
    }
    return render(request, "clinical/patient_lookup.html", context)


# --- The chart ------------------------------------------------------------------------


def chart_patient(mrn: str) -> Patient:
    try:
        return selectors.patient_get(mrn=mrn)
    except Patient.DoesNotExist:
        raise Http404(f"No patient with MRN {mrn}") from None


def render_chart(request, patient: Patient, *, tab: str, template: str, context: dict | None = None):
    """Render a chart activity inside the storyboard, workspace tab and activity tabs."""
    tabs = [(section, reverse(section.url_name, kwargs={"mrn": patient.mrn})) for section in chart_sections()]
    chart = {
        "patient": patient,
        "tab": tab,
        "tab_label": chart_section(tab).label,
        "tabs": tabs,
        "storyboard_allergies": list(selectors.allergies_active(patient)),
        "storyboard_vitals": selectors.vitals_latest(patient),
        "visit_banner": visit_banner(patient),
        "activity": "chart",
    }
    return render(request, template, {**chart, **(context or {})})


@login_required
def chart_summary(request, mrn: str):
    patient = chart_patient(mrn)
    context = {
        "problems": selectors.problems_active(patient),
        "medications": selectors.medications_active(patient),
        "abnormal_labs": selectors.labs_recent_abnormal(patient),
        "encounters": selectors.encounters_recent(patient),
    }
    return render_chart(request, patient, tab="summary", template="clinical/chart_summary.html", context=context)


@login_required
def chart_problems(request, mrn: str):
    patient = chart_patient(mrn)
    context = {
        "active": selectors.problems_active(patient),
        "social": selectors.problems_social(patient),
        "resolved": selectors.problems_resolved(patient),
    }
    return render_chart(request, patient, tab="problems", template="clinical/chart_problems.html", context=context)


@login_required
def chart_medications(request, mrn: str):
    patient = chart_patient(mrn)
    context = {"active": selectors.medications_active(patient), "past": selectors.medications_past(patient)}
    return render_chart(
        request, patient, tab="medications", template="clinical/chart_medications.html", context=context
    )


@login_required
def chart_allergies(request, mrn: str):
    patient = chart_patient(mrn)
    context = {"allergies": selectors.allergies_all(patient)}
    return render_chart(request, patient, tab="allergies", template="clinical/chart_allergies.html", context=context)


@login_required
def chart_results(request, mrn: str):
    patient = chart_patient(mrn)
    text = request.GET.get("q", "").strip()[:100]
    page = request.GET.get("page", "1")
    page = int(page) if page.isdigit() else 1  # a mistyped page shows the newest, not an error
    context = {"panels": results_selectors.results_review(patient, text=text, page=page), "q": text}
    return render_chart(request, patient, tab="results", template="clinical/chart_results.html", context=context)


@login_required
def chart_questionnaires(request, mrn: str):
    patient = chart_patient(mrn)
    context = {"rows": results_selectors.questionnaires(patient)}
    return render_chart(
        request, patient, tab="questionnaires", template="clinical/chart_questionnaires.html", context=context
    )


def _numeric_points(observations) -> list[charts.Point]:
    return [
        charts.Point(obs.effective_at, obs.value_num, obs.flag) for obs in observations if obs.value_num is not None
    ]


@login_required
def chart_result_trend(request, mrn: str, loinc: str):
    patient = chart_patient(mrn)
    history = selectors.lab_history(patient, loinc=loinc)
    if not history:
        raise Http404(f"No results with LOINC {loinc} for this patient")
    latest = history[-1]
    plot = charts.line_plot(
        [charts.Series(latest.display, _numeric_points(history))],
        title=f"{latest.display} trend",
        unit=latest.unit,
        ref_low=latest.ref_low,
        ref_high=latest.ref_high,
        decimals=display_decimals(loinc, latest.value_num or 0.0),
    )
    # A questionnaire score's trend belongs to the Questionnaires tab, and leads back there.
    tab = "questionnaires" if is_questionnaire(loinc=loinc, category=latest.category, unit=latest.unit) else "results"
    context = {"history": list(reversed(history)), "latest": latest, "plot": plot, "loinc": loinc,
               "back": chart_section(tab)}
    return render_chart(request, patient, tab=tab, template="clinical/chart_result_trend.html", context=context)


def _vital_plot(patient: Patient, vital: selectors.VitalSign):
    series_by_loinc = selectors.vital_history(patient, vital=vital)
    names = {selectors.SYSTOLIC: "Systolic", selectors.DIASTOLIC: "Diastolic"}
    series = [
        charts.Series(names.get(code, vital.label), _numeric_points(series_by_loinc.get(code, [])))
        for code in vital.loincs
    ]
    unit = next((obs[0].unit for obs in series_by_loinc.values() if obs), vital.unit)
    return charts.line_plot(series, title=f"{vital.label} over time", unit=unit, testid="vitals-plot")


@login_required
def chart_vitals(request, mrn: str):
    patient = chart_patient(mrn)
    requested = request.GET.get("vital", "bp")
    vital = selectors.VITALS_BY_KEY.get(requested, selectors.VITALS_BY_KEY["bp"])
    warning = "" if requested in selectors.VITALS_BY_KEY else f"Unknown vital sign “{requested}”; showing BP."
    context = {
        "flowsheet": selectors.vitals_flowsheet(patient),
        "vital": vital,
        "vitals": selectors.VITAL_SIGNS,
        "plot": _vital_plot(patient, vital),
        "warning": warning,
    }
    return render_chart(request, patient, tab="vitals", template="clinical/chart_vitals.html", context=context)


@login_required
def chart_encounters(request, mrn: str):
    patient = chart_patient(mrn)
    context = {"encounters": selectors.encounters(patient)}
    return render_chart(request, patient, tab="encounters", template="clinical/chart_encounters.html", context=context)


@login_required
def chart_immunizations(request, mrn: str):
    return _immunizations_page(request, chart_patient(mrn), ImmunizationRecordForm())


def _immunizations_page(request, patient: Patient, form: ImmunizationRecordForm, *, status: int = 200):
    context = {"immunizations": selectors.immunizations(patient), "form": form}
    response = render_chart(
        request, patient, tab="immunizations", template="clinical/chart_immunizations.html", context=context
    )
    response.status_code = status
    return response


@login_required
def chart_procedures(request, mrn: str):
    patient = chart_patient(mrn)
    context = {"procedures": selectors.procedures(patient)}
    return render_chart(request, patient, tab="procedures", template="clinical/chart_procedures.html", context=context)


def not_found(request, exception):
    """The styled 404 page, with the reason when a view gave one (e.g. an unknown MRN)."""
    reason = exception.args[0] if exception and exception.args and isinstance(exception.args[0], str) else ""
    return render(request, "404.html", {"message": reason}, status=404)


# --- Chart entries: stopping a medication, recording a vaccine ---------------------------
# A change is a POST that calls a clinical service; a clinician's mistake comes back as the
# page with the service's message (a 4xx for a form, keeping what was typed), never a 500.


def service_errors(error: ValidationError) -> str:
    """A service's ValidationError as one line for a page's message (per-field or plain)."""
    if hasattr(error, "message_dict"):
        return " ".join(message for messages_ in error.message_dict.values() for message in messages_)
    return " ".join(error.messages)


@login_required
@require_POST
def medication_discontinue(request, mrn: str, medication_id: int):
    patient = chart_patient(mrn)
    medication = patient.medications.filter(pk=medication_id).first()
    if medication is None:
        raise Http404(f"No medication #{medication_id} for this patient")
    form = MedicationDiscontinueForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.medication_stop(medication=medication, actor=request.user.get_username(), reason=reason)
    except ValidationError as error:
        messages.error(request, service_errors(error))
    else:
        messages.success(request, f"Discontinued {medication.display}.")
    return redirect(reverse("clinical:chart_medications", kwargs={"mrn": patient.mrn}))


@login_required
@require_POST
def immunization_record(request, mrn: str):
    patient = chart_patient(mrn)
    form = ImmunizationRecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            immunization = services.immunization_record(
                patient=patient, cvx=data["cvx"], actor=request.user.get_username(), at=data["given_on"],
                lot_number=data["lot_number"], site=data["site"],
            )
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                field = {"at": "given_on"}.get(field, field)  # the service's names for the form's fields
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            given = timezone.localtime(immunization.occurred_at)
            messages.success(request, f"Recorded {immunization.display} given {given:%m/%d/%Y}.")
            return redirect(reverse("clinical:chart_immunizations", kwargs={"mrn": patient.mrn}))
    return _immunizations_page(request, patient, form, status=400)
