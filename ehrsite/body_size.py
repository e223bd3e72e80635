"""A body too large for the agent-facing APIs is a 413 in JSON that says the limit, not Django's HTML 400.

Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with an HTML error page meant for
browsers; an agent reading JSON could not tell what went wrong. Pages keep Django's answer.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse

from ehrsite.nul_bytes import JSON_PREFIXES


def too_large(size: int | None = None) -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    said = f"The request body is {size} bytes" if size else "The request body is too large"
    return JsonResponse({"detail": f"{said}; the API accepts at most {limit} bytes."}, status=413)


class BodySizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(JSON_PREFIXES) and settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None:
            try:
                size = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                size = 0
            if size > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return too_large(size)
        return self.get_response(request)

    def process_exception(self, request, exception):
        # A body sent without its length (chunked) is found too large only while it is read.
        if isinstance(exception, RequestDataTooBig) and request.path.startswith(JSON_PREFIXES):
            return too_large()
        return None
