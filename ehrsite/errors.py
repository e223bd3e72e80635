"""The answer to an unexpected error: JSON on the agent-facing APIs (a client parsing JSON must not get an
HTML page), the EHR's error page elsewhere."""

from django.http import JsonResponse
from django.views.defaults import server_error as html_server_error

from ehrsite.nul_bytes import JSON_PREFIXES, fhir_error, is_fhir_path


def server_error(request):
    if is_fhir_path(request.path):
        return fhir_error("Internal server error: the server's log has the details.", status=500, code="exception")
    if request.path.startswith(JSON_PREFIXES):
        return JsonResponse({"detail": "Internal server error: the server's log has the details."}, status=500)
    return html_server_error(request)
