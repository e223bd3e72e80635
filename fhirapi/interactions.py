"""One FHIR interaction (GET a resource or a search, POST a resource) in a scope: what the HTTP views serve and
what in-process callers (the MedAgentBench interface of `manage.py evaluate`) run, so both behave alike.

On an episode every interaction is a step. A write runs its semantic actions (fhirapi.writes); a read is also
recorded as the chart read it amounts to (the section of that patient's chart it shows, or a patient search),
so the task's rubric sees it like any other read: a gate such as "the answer was read from the results" opens,
reading another patient's chart is noticed, and the step budget counts it. A read whose patient is not named
(a search across patients) is answered without a step.
"""

from fhirapi.outcomes import FHIRError
from fhirapi.reads import resource_read, resource_search, resource_type
from fhirapi.scopes import ActionRefused, Scope
from fhirapi.writes import patient_mrn, resource_create

# The chart section a read of each type shows (Observation: vitals or results, by category).
SECTIONS = {
    "Patient": "summary", "Condition": "problems", "MedicationRequest": "medications",
    "AllergyIntolerance": "allergies", "Observation": "results", "Procedure": "procedures",
    "Immunization": "immunizations", "Encounter": "encounters", "DocumentReference": "notes",
}
PATIENT_NAME_PARAMETERS = ("birthdate", "name", "family", "given")


def fhir_get(scope: Scope, resource: str, ident: str | None = None, query: dict[str, list[str]] | None = None) -> dict:
    """GET <resource>/<ident> or GET <resource>?<query>: the resource or a searchset Bundle (FHIRError otherwise)."""
    kind = resource_type(resource)
    query = query or {}
    with scope.database():
        answer = resource_read(kind, ident) if ident is not None else resource_search(kind, query,
                                                                                        base_url=scope.base_url)
        action = read_action(resource, ident=ident, query=query) if scope.episode is not None else None
    if action is not None:
        try:
            scope.runner.run(action)
        except ActionRefused as error:  # the read was answered; the chart read it stands for was not possible
            raise FHIRError(422, f"The read was not recorded: {error}") from None
    return answer


def fhir_post(scope: Scope, resource: str, body: bytes) -> tuple[dict, str]:
    """POST <resource>: the created resource and its Location."""
    resource_type(resource)
    created = resource_create(scope, resource, body)
    return created, f"{scope.base_url}{resource}/{created['id']}"


def read_action(resource: str, *, ident: str | None, query: dict[str, list[str]]) -> dict | None:
    """The semantic read a FHIR read amounts to (run with the scope's database bound), or None if it names no
    patient."""
    if resource == "Patient":
        given = ident or _first(query, "_id") or _identifier(query)
        if given is None:
            words = [value for name in PATIENT_NAME_PARAMETERS for value in query.get(name, [])]
            return {"type": "search_patients", "query": " ".join(words)[:200]} if words else None
        mrn = patient_mrn(given)
    else:
        reference = _first(query, "patient") or _first(query, "subject")
        mrn = patient_mrn(reference.rpartition("/")[2]) if reference else None
    if mrn is None:
        return None
    if resource == "ServiceRequest":
        return {"type": "list_orders", "mrn": mrn, "status": "all", "limit": 1}
    section = SECTIONS.get(resource)
    if resource == "Observation" and "vital-signs" in {value.rpartition("|")[2] for value in query.get("category", [])}:
        section = "vitals"
    return {"type": "read_chart_section", "section": section, "mrn": mrn, "limit": 1} if section else None


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name) or []
    return values[0].split(",")[0] if values else None


def _identifier(query: dict[str, list[str]]) -> str | None:
    value = _first(query, "identifier")
    return value.rpartition("|")[2] if value else None
