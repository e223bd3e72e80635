"""What an episode's browser may open: the EHR's clinician pages, nothing else.

The agent drives the browser, so anything the browser can reach, the agent can. The
environment's controls (reset, step, scoring: /api/, /openenv/), Django admin, the
spectator pages and the API docs must stay out of reach (OpenEnv's invariant). The
rule is an allow-list, so a page added later is unreachable until it is an EHR page:
a view in one of the EHR apps' URL namespaces, or the login and logout pages.

The same rule is enforced twice: by the middleware, for every request that carries an
episode's cookie, and by the `goto` action, which refuses a forbidden URL with a clear
error before the browser ever requests it.
"""

from urllib.parse import urlsplit

from django.urls import Resolver404, resolve
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication

from agentenv.routing import EHR_APPS

# Set in the Django session made for an episode's browser (its value: the episode id).
# A session carrying it is refused by the API and bound to that episode only.
SESSION_EPISODE_KEY = "ehrgym_episode"
ACCOUNT_PAGES = frozenset({"login", "logout"})


def is_ehr_page(path: str) -> bool:
    """True if `path` is a clinician page of the EHR."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    if match.namespaces:
        return match.namespaces[0] in EHR_APPS
    return match.url_name in ACCOUNT_PAGES


def browser_may_request(path: str) -> bool:
    """What the middleware lets an episode's browser request: EHR pages, and paths that
    match no page at all (they get the EHR's own 404, which reveals nothing)."""
    try:
        resolve(path)
    except Resolver404:
        return True
    return is_ehr_page(path)


class ForbiddenUrl(ValueError):
    """A URL an episode's browser must not open."""


def ehr_url(url: str, *, base_url: str) -> str:
    """The absolute URL of an EHR page for `goto`: a path ("/patients/") or an absolute URL
    on the EHR's own origin. Raises ForbiddenUrl for anything else."""
    url = (url or "").strip()
    base = urlsplit(base_url)
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            raise ForbiddenUrl(f"{url!r} is not on the EHR ({base.scheme}://{base.netloc}); goto opens EHR pages only.")
    elif not url.startswith("/"):
        raise ForbiddenUrl(f"{url!r} is not a URL: give a path such as /patients/ or an absolute URL of the EHR.")
    path = parts.path or "/"
    if not is_ehr_page(path):
        raise ForbiddenUrl(
            f"{path!r} is not a clinician page of the EHR; goto opens only EHR pages "
            "(patients, charts, results, orders, notes)."
        )
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{base.scheme}://{base.netloc}{path}{query}{fragment}"


class ClinicianSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, refusing the sessions made for episode browsers: the
    agent drives that browser, and the API (reset, step, scoring) is not for it."""

    def authenticate(self, request):
        session = getattr(request._request, "session", None)
        if session is not None and session.get(SESSION_EPISODE_KEY):
            raise exceptions.AuthenticationFailed("An episode's browser session cannot use the API.")
        return super().authenticate(request)
