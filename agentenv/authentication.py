"""Token authentication accepting both `Authorization: Token <t>` (DRF's keyword) and
`Authorization: Bearer <t>` (what OpenAI-style and OpenEnv clients send)."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

KEYWORDS = (b"token", b"bearer")


class TokenOrBearerAuthentication(TokenAuthentication):
    keyword = "Bearer"  # what the 401 WWW-Authenticate header advertises

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in KEYWORDS:
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: give exactly one token after the keyword.")
        try:
            token = auth[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header: the token has invalid characters.") from None
        return self.authenticate_credentials(token)


class TokenOrBearerScheme(OpenApiAuthenticationExtension):
    target_class = TokenOrBearerAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <token>` or `Authorization: Token <token>`; "
            "`manage.py agent_token USERNAME` prints a token.",
        }


class ClinicianSessionScheme(OpenApiAuthenticationExtension):
    """The API also accepts a clinician's logged-in browser session (the EHR's own pages call it)."""

    target_class = "agentenv.browser.isolation.ClinicianSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
                "description": "A clinician's Django session (log in at /accounts/login/); not an episode browser's."}
