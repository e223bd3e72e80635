"""Token authentication accepting both `Authorization: Token <t>` (DRF's keyword) and
`Authorization: Bearer <t>` (what OpenAI-style and OpenEnv clients send)."""

import threading
import time

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

KEYWORDS = (b"token", b"bearer")

# An agent sends its token with every step. Looking it up (a query joining the user, two model instances) was about
# 7% of a busy server's time (py-spy, 48 agents stepping back to back), so a token found valid is taken as valid for
# this long in this process. Deleting a token or saving its user forgets every token at once in the process that did
# it (agentenv.receivers); another process may still accept it for up to this long.
RECENT_SECONDS = 5.0
RECENT_MAX = 1024  # tokens remembered at most; past it, the memory starts again
_recent: dict[str, tuple[object, object, float]] = {}  # key -> (user, token, when it was read)
_recent_lock = threading.Lock()


def recent_tokens_forget() -> None:
    with _recent_lock:
        _recent.clear()


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

    def authenticate_credentials(self, key):
        now = time.monotonic()
        with _recent_lock:
            recent = _recent.get(key)
        if recent is not None and now - recent[2] < RECENT_SECONDS:
            return recent[0], recent[1]
        user, token = super().authenticate_credentials(key)  # raises AuthenticationFailed: nothing is remembered
        with _recent_lock:
            if len(_recent) >= RECENT_MAX:
                _recent.clear()
            _recent[key] = (user, token, now)
        return user, token


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
