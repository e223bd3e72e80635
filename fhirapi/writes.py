"""Writes (POST <Type>): a FHIR resource in, the EHR's semantic actions run, the created resource out.

The body is parsed with fhirclient's R4 model (strict: a resource that is not valid R4 is a 400). Each
writer turns the resource into actions (record_vitals; place_order then sign_orders) that a scope's runner
performs, so an episode's FHIR write is audited and scored exactly like the same actions sent as steps.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from fhirclient.models.fhirabstractbase import FHIRValidationError

from clinical.models import Patient
from ehrsite.nul_bytes import MESSAGE as NUL_MESSAGE
from ehrsite.nul_bytes import contains_nul
from fhirapi.outcomes import FHIRError, bad_request
from fhirapi.scopes import ActionRefused, Scope

OVERRIDE_REASON_URL = "http://ehrgym.dev/fhir/StructureDefinition/override-reason"


@dataclass(frozen=True)
class Writer:
    create: Callable  # (parsed resource, raw dict, scope) -> (row's FHIR resource dict)
    documentation: str


WRITERS: dict[str, Writer] = {}


def writer(name: str, documentation: str):
    def register(create: Callable) -> Callable:
        WRITERS[name] = Writer(create, documentation)
        return create

    return register


def body_resource(body: bytes, expected: str) -> dict:
    """The request body as a JSON object of resourceType `expected` (400 otherwise)."""
    if b"\x00" in body:
        raise bad_request(NUL_MESSAGE)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise bad_request(f"Malformed JSON: {error}.") from None
    if contains_nul(data):
        raise bad_request(NUL_MESSAGE)
    if not isinstance(data, dict):
        raise bad_request("The body must be one FHIR resource (a JSON object).")
    if data.get("resourceType") != expected:
        raise bad_request(f"The body's resourceType is {data.get('resourceType')!r}; POST {expected} takes a "
                          f"{expected}.")
    return data


def parsed(model, data: dict):
    """The resource as fhirclient's strict R4 model reads it (400 with its complaint if it is not valid R4)."""
    try:
        return model(data, strict=True)
    except FHIRValidationError as error:
        raise bad_request(f"Not a valid R4 {data['resourceType']}: {error}") from None


def subject_mrn(reference) -> str:
    """The MRN of the Patient a reference names (Patient/<MRN> or Patient/<Synthea id>), in the scope's database."""
    text = getattr(reference, "reference", None) or ""
    kind, _, ident = text.rpartition("/")
    if kind.rsplit("/", 1)[-1] != "Patient" or not ident:
        raise unprocessable(f"subject must reference a Patient (Patient/<MRN>); got {text!r}.", code="required")
    mrn = patient_mrn(ident)
    if mrn is None:
        raise unprocessable(f"No patient {ident!r}.", code="not-found")
    return mrn


def patient_mrn(ident: str) -> str | None:
    """The MRN of the patient a FHIR id names (the MRN itself, else the Synthea id) in the bound database, or None."""
    for field in ("mrn", "fhir_id"):
        try:
            return Patient.objects.filter(**{field: ident}).values_list("mrn", flat=True).get()
        except ObjectDoesNotExist:
            continue
    return None


def override_reason(data: dict) -> str:
    for extension in data.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == OVERRIDE_REASON_URL:
            reason = extension.get("valueString")
            if not isinstance(reason, str) or not reason.strip():
                raise bad_request(f"The extension {OVERRIDE_REASON_URL} needs a valueString: the override reason.")
            return reason.strip()
    return ""


def unprocessable(message: str, *, code: str = "processing", details: dict | None = None) -> FHIRError:
    return FHIRError(422, message, code=code, details=details)


def run(scope: Scope, action: dict) -> dict:
    """Run one action; the EHR refusing it is a 422 naming why."""
    try:
        return scope.runner.run(action)
    except ActionRefused as error:
        raise unprocessable(str(error)) from None


def resource_create(scope: Scope, name: str, body: bytes) -> dict:
    if name not in WRITERS:
        raise FHIRError(405, f"{name} is read-only here; POST creates {', '.join(sorted(WRITERS))}.")
    if not scope.can_write:
        raise FHIRError(403, "Only staff may write to the main database's FHIR API; run an episode to write "
                             "(/api/v1/episodes/<id>/fhir/r4/).")
    data = body_resource(body, name)
    return WRITERS[name].create(data, scope)


# The writers register themselves.
from fhirapi import writes_orders, writes_vitals  # noqa: E402, F401
