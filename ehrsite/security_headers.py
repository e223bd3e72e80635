"""A Content-Security-Policy and a Permissions-Policy on every response.

The EHR renders patient text (notes, problem names) that an agent or a user wrote: the policy
refuses inline and foreign scripts, so a stored script cannot run even if escaping ever fails.
Inline styles stay allowed (the self-contained reports and the trend plots carry their own).
Both policies come from settings, so a deployment can tighten or loosen them.
"""

from django.conf import settings


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.EHRGYM_CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.EHRGYM_CONTENT_SECURITY_POLICY)
        if settings.EHRGYM_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.EHRGYM_PERMISSIONS_POLICY)
        return response
