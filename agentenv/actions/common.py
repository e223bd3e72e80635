"""Helpers the action modules share: finding the patient, routes, JSON of rows."""

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from agentenv.actions.registry import ActionContext, ActionError
from clinical import selectors
from clinical.models import Observation, Patient

MRN_DESCRIPTION = "MRN of the patient; defaults to the chart that is open (see open_chart)."


def patient_for(mrn: str | None, context: ActionContext) -> Patient:
    mrn = (mrn or context.open_mrn or "").strip()
    if not mrn:
        raise ActionError("No chart is open: give an mrn or call open_chart first.")
    try:
        return selectors.patient_get(mrn=mrn)
    except Patient.DoesNotExist:
        raise ActionError(f"No patient with MRN {mrn!r}.") from None


def route(url_name: str, *, query: dict | None = None, **kwargs) -> str:
    """The page a clinician would be on after doing what the action did, with its query
    string (e.g. the order list filtered to active orders).

    A URL argument the agent typed that no URL can carry (a LOINC code with a slash)
    falls back to the chart summary: the action itself succeeded, and failing it over
    the page it reports would punish the agent for the URL scheme.
    """
    try:
        path = reverse(url_name, kwargs=kwargs)
    except NoReverseMatch:
        return reverse("clinical:chart_summary", kwargs={"mrn": kwargs["mrn"]})
    query = {key: value for key, value in (query or {}).items() if value not in (None, "")}
    return f"{path}?{urlencode(query)}" if query else path


def iso(moment) -> str | None:
    """A moment in the EHR's own time zone (settings.TIME_ZONE), with its UTC offset: the dates an agent reads
    are the dates the chart's pages show and its tasks ask about."""
    return timezone.localtime(moment).isoformat() if moment else None


def patient_header(patient: Patient) -> dict:
    return {
        "mrn": patient.mrn,
        "name": patient.chart_name,
        "birth_date": patient.birth_date.isoformat(),
        "age": patient.age,
        "sex": patient.sex,
        "deceased_at": iso(patient.deceased_at),
        "code_status": patient.code_status,
        "pcp": patient.pcp.display_name if patient.pcp else None,
    }


def observation_json(obs: Observation) -> dict:
    return {
        "loinc": obs.loinc,
        "display": obs.display,
        "value": obs.value_num if obs.value_num is not None else obs.value_text,
        # As the chart prints it, at the lab's precision; "value" stays the stored number, which answers and
        # computations (a mean, a change) are judged against.
        "value_shown": obs.value_shown,
        "unit": obs.unit,
        "flag": obs.flag,
        "reference_range": obs.reference_range,
        "effective_at": iso(obs.effective_at),
        "category": obs.category,
    }
