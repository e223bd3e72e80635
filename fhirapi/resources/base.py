"""What a resource type is to the API, and the helpers its serialisers share.

Each type reads rows of one chart model, turns a row into a FHIR resource (a dict validated by fhirclient's R4
model, so nothing invalid goes out) and names its search parameters. The Patient's FHIR id is its MRN
(MedAgentBench's convention); other resources keep the ids they were imported with (Synthea's), and rows
made in this EHR get theirs when they are made.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet
from django.utils import timezone
from fhirclient.models.fhirabstractresource import FHIRAbstractResource

from fhirapi.search import Parameter, patient_reference, plain_token, string

CATEGORY_SYSTEMS = {
    "Observation": "http://terminology.hl7.org/CodeSystem/observation-category",
    "Condition": "http://terminology.hl7.org/CodeSystem/condition-category",
    "MedicationRequest": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
}


@dataclass(frozen=True)
class ResourceType:
    name: str
    model: type[FHIRAbstractResource]  # fhirclient's R4 class, which validates what is served
    rows: Callable[[], QuerySet]  # every row, with what serialising needs joined
    serialise: Callable[[Model], dict]  # a row as FHIR JSON (before validation)
    get: Callable[[str], Model]  # the row of a FHIR id (raises DoesNotExist)
    parameters: dict[str, Parameter]
    ordering: tuple[str, ...]  # default order: newest first, stable across pages
    date_field: str | None = None  # what _sort=date / -date sorts by
    documentation: str = ""
    page_prefetch: Callable[[list], None] | None = None  # loads what one page's rows need beyond `rows`
    extra: dict = field(default_factory=dict)

    def resource(self, row) -> dict:
        return self.model(self.serialise(row)).as_json()


def by_fhir_id(rows: Callable[[], QuerySet]) -> Callable[[str], Model]:
    return lambda ident: rows().get(fhir_id=ident)


def instant(moment) -> str | None:
    """A moment as a FHIR dateTime, in the EHR's time zone with its offset (what the chart shows)."""
    return timezone.localtime(moment).isoformat() if moment else None


def coding(system: str, code: str, display: str = "") -> dict:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def concept(system: str, code: str, display: str = "") -> dict:
    """A CodeableConcept of one coding (text only when there is no code)."""
    if not code:
        return {"text": display}
    return {"coding": [coding(system, code, display)], **({"text": display} if display else {})}


def patient_ref(patient) -> dict:
    return {"reference": f"Patient/{patient.mrn}", "display": patient.full_name}


def encounter_ref(row) -> dict:
    return {"encounter": {"reference": f"Encounter/{row.encounter.fhir_id}"}} if row.encounter_id else {}


def compact(resource: dict) -> dict:
    """The resource without empty elements (FHIR forbids empty strings, lists and objects)."""
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}


ID_PARAMETER = Parameter("token", "The resource's id.", plain_token("fhir_id"))


def patient_parameter(field_name: str = "patient") -> dict[str, Parameter]:
    reference = Parameter("reference", "The patient: Patient/<MRN> or <MRN> (the Synthea id also works).",
                          patient_reference(field_name))
    return {"patient": reference, "subject": reference}


def text_parameter(*fields: str) -> Parameter:
    return Parameter("string", "Starts with, ignoring case.", string(*fields))
