"""The answer to an unexpected error: JSON on the agent-facing APIs (a client parsing JSON must not get an
HTML page), the EHR's error page elsewhere; and 503 when the database server is full."""

import logging

from django.http import JsonResponse
from django.views.defaults import server_error as html_server_error

from ehrsite.nul_bytes import JSON_PREFIXES, error_answer, fhir_error, is_fhir_path

logger = logging.getLogger(__name__)

# What PostgreSQL answers a new connection once max_connections are open (its SQLSTATE, 53300, does not reach the
# client on a refused connection: only the message does).
_DATABASE_FULL = ("too many clients", "too many connections", "remaining connection slots are reserved")
DATABASE_FULL_RETRY_AFTER_S = 2
DATABASE_FULL_MESSAGE = ("The database server has no free connection just now (PostgreSQL's max_connections are "
                         "all open); retry in a moment.")


def server_error(request):
    if is_fhir_path(request.path):
        return fhir_error("Internal server error: the server's log has the details.", status=500, code="exception")
    if request.path.startswith(JSON_PREFIXES):
        return JsonResponse({"detail": "Internal server error: the server's log has the details."}, status=500)
    return html_server_error(request)


def database_full(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is PostgreSQL refusing a connection because all are taken."""
    while error is not None:
        if type(error).__name__ == "OperationalError" and any(text in str(error) for text in _DATABASE_FULL):
            return True
        error = error.__cause__
    return False


class DatabaseFullMiddleware:
    """A full database server is the deployment being busy, not a bug: 503 with Retry-After (as a full episode
    capacity answers), so a client backs off and retries instead of reading a 500. Seen with two web processes and
    64 resets at once on a PostgreSQL of 100 connections."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_full(exception):
            return None
        logger.warning("%s %s: the database server is full: %s", request.method, request.path, exception)
        response = error_answer(request.path, DATABASE_FULL_MESSAGE, status=503, fhir_code="transient")
        response["Retry-After"] = str(DATABASE_FULL_RETRY_AFTER_S)
        return response
