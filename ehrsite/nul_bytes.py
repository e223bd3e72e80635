"""No NUL character reaches the database.

PostgreSQL cannot store U+0000 in text: a NUL in a URL, a query string or a JSON field used to
reach a query and come back as a 500 (DataError), on PostgreSQL only. It is refused at the
door instead, with a 400 that says why: by the middleware for paths and query strings, by the
JSON parser for API bodies, and by the OpenEnv WebSocket for its messages. Django's form
fields already refuse NUL in posted forms.
"""

from urllib.parse import unquote

from django.http import HttpResponse, JsonResponse, QueryDict
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

MESSAGE = "Text may not contain NUL characters (\\u0000)."
# Paths answered in JSON (the agent-facing APIs); the rest are pages.
JSON_PREFIXES = ("/api/", "/openenv/")
FHIR_PREFIX = "/fhir/r4/"


def is_fhir_path(path: str) -> bool:
    """Under a FHIR base (/fhir/r4/ or an episode's /api/v1/episodes/<id>/fhir/r4/): errors are OperationOutcomes."""
    return path.startswith(FHIR_PREFIX) or (path.startswith("/api/v1/episodes/") and f"/{FHIR_PREFIX[1:]}" in path)


def fhir_error(message: str, *, status: int, code: str) -> HttpResponse:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code,
                                                              "diagnostics": message}]}
    return JsonResponse(outcome, status=status, content_type="application/fhir+json")


def contains_nul(value) -> bool:
    """Whether a decoded JSON value has U+0000 in any string, key or value, at any depth."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


def error_answer(path: str, message: str, *, status: int, fhir_code: str) -> HttpResponse:
    """An error in the form the path's clients read: a FHIR OperationOutcome under a FHIR base, {"detail": ...} on
    the agent APIs, plain text elsewhere."""
    if is_fhir_path(path):
        return fhir_error(message, status=status, code=fhir_code)
    if path.startswith(JSON_PREFIXES):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class NulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(query):
            return error_answer(request.path, MESSAGE, status=400, fhir_code="invalid")
        return self.get_response(request)


class _RefusesNul:
    """A DRF parser that refuses a body with U+0000 in any field (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data = getattr(parsed, "data", parsed)  # multipart gives (data, files)
        if isinstance(data, QueryDict):
            data = {key: data.getlist(key) for key in data}
        if contains_nul(data):
            raise ParseError(MESSAGE)
        return parsed


class NulSafeJSONParser(_RefusesNul, JSONParser):
    """JSON bodies of the REST and OpenEnv HTTP APIs."""


class NulSafeFormParser(_RefusesNul, FormParser):
    """Form-encoded API bodies."""


class NulSafeMultiPartParser(_RefusesNul, MultiPartParser):
    """Multipart API bodies."""
