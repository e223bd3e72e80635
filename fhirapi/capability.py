"""The CapabilityStatement (GET metadata): exactly the types, interactions and search parameters served."""

from fhirclient.models.capabilitystatement import CapabilityStatement

from fhirapi.resources import REGISTRY
from fhirapi.search import DEFAULT_COUNT, MAX_COUNT
from fhirapi.writes import OVERRIDE_REASON_URL, WRITERS

SOFTWARE_VERSION = "1"
DOCUMENTATION = (
    "EHRGym's chart as FHIR R4 (JSON only). Authorization: `Bearer <token>` or `Token <token>` (manage.py "
    "agent_token). On /fhir/r4/ (the main database) staff may write and others read; on "
    "/api/v1/episodes/<id>/fhir/r4/ the episode's owner reads its chart and every interaction is a step of the "
    "episode: a write runs the EHR's actions, audited and scored like them; a read naming a patient is recorded "
    "as the chart read it amounts to (the section of that chart, or a patient search). Patient.id is the MRN. "
    "Searches return at most _count "
    f"entries (default {DEFAULT_COUNT}, at most {MAX_COUNT}) with a `next` link (_offset); unknown parameters "
    "and modifiers are refused (400). A created order is signed; if decision support raises a high-severity "
    "alert the answer is 422 with an OperationOutcome naming it and nothing stays active, unless the resource "
    f"carries the extension {OVERRIDE_REASON_URL} (valueString: the reason), which overrides it. Warnings "
    "(low severity) are acknowledged on the caller's behalf."
)


def _resource(kind) -> dict:
    interactions = [{"code": "read"}, {"code": "search-type"}]
    documentation = kind.documentation
    if kind.name in WRITERS:
        interactions.append({"code": "create"})
        documentation = f"{documentation} Create: {WRITERS[kind.name].documentation}"
    return {
        "type": kind.name,
        "documentation": documentation,
        "interaction": interactions,
        "searchParam": [{"name": name, "type": parameter.type, "documentation": parameter.documentation}
                        for name, parameter in kind.parameters.items()]
        + [{"name": "_count", "type": "number", "documentation": f"Page size, 0 to {MAX_COUNT}."},
           {"name": "_offset", "type": "number", "documentation": "Where the page starts (the next link has it)."}]
        + ([{"name": "_sort", "type": "special", "documentation": "date (oldest first) or -date (newest first)."}]
           if kind.date_field else []),
    }


def capability_statement(*, base_url: str, date: str) -> dict:
    return CapabilityStatement({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "EHRGym",
        "kind": "instance",
        "software": {"name": "EHRGym", "version": SOFTWARE_VERSION},
        "implementation": {"description": "EHRGym FHIR R4 API", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": DOCUMENTATION,
            "security": {"description": "HTTP token: Authorization: Bearer <token> (or Token <token>)."},
            "resource": [_resource(kind) for kind in REGISTRY.values()],
        }],
    }).as_json()
