"""Binds every request of an episode's browser to the episode's database, and keeps that
browser inside the EHR.

An episode's browser (browser mode) carries a signed token naming the episode, as the
cookie `ehrgym_episode` (set once on the browser's session) or the header
`X-EHRGym-Episode`. The token is signed with the site's secret key, so a page cannot
forge one for another episode; it only selects the database, it grants nothing:
reset, step and scoring still need the owner's API token.

Such a request may open only the EHR's clinician pages (agentenv.browser.isolation):
the API, OpenEnv, admin and the spectator pages answer 403. The browser's Django session
is marked as the episode's, so it is refused without the episode's token (it would
otherwise read and write the main database) and with another episode's token.
"""

from django.core import signing
from django.http import HttpResponse

from agentenv.browser.isolation import SESSION_EPISODE_KEY, browser_may_request
from agentenv.models import Episode
from agentenv.routing import bind_episode
from clinical.audit import episode_step_context

COOKIE_NAME = "ehrgym_episode"
HEADER_NAME = "X-EHRGym-Episode"
_SALT = "agentenv.episode-browser"


def episode_browser_token(episode: Episode) -> str:
    return signing.dumps(str(episode.id), salt=_SALT)


def _forbidden(message: str) -> HttpResponse:
    return HttpResponse(message, status=403, content_type="text/plain")


class EpisodeBindingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request.headers.get(HEADER_NAME) or request.COOKIES.get(COOKIE_NAME)
        session_episode = request.session.get(SESSION_EPISODE_KEY) if hasattr(request, "session") else None
        if not token:
            if session_episode:
                return _forbidden("This session belongs to an episode's browser; it works only with its episode.")
            return self.get_response(request)
        try:
            episode_id = signing.loads(token, salt=_SALT)
        except signing.BadSignature:
            return _forbidden("Invalid episode token.")
        if session_episode and session_episode != episode_id:
            return _forbidden("This browser session belongs to another episode.")
        if not browser_may_request(request.path_info):
            return _forbidden("An episode's browser may open only the EHR's clinician pages.")
        episode = Episode.objects.filter(pk=episode_id).first()
        # Never fall back to the main database: the episode's clicks would land there.
        if episode is None or episode.released_at is not None or not episode.database_alias:
            return HttpResponse("This episode has ended.", status=410, content_type="text/plain")
        request.episode = episode
        # The browser's writes between two steps belong to the next step: the one the
        # agent is taking when its click reaches the server.
        with bind_episode(episode), episode_step_context(episode.step_count + 1):
            return self.get_response(request)
