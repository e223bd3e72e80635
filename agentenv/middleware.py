"""Binds every request of an episode's browser to the episode's database.

An episode's browser (browser mode) carries a signed token naming the episode, as the
cookie `ehrgym_episode` (set once on the browser's session) or the header
`X-EHRGym-Episode`. The token is signed with the site's secret key, so a page cannot
forge one for another episode; it only selects the database, it grants nothing:
reset, step and scoring still need the owner's API token.
"""

from django.core import signing
from django.http import HttpResponse

from agentenv.models import Episode
from agentenv.routing import bind_episode

COOKIE_NAME = "ehrgym_episode"
HEADER_NAME = "X-EHRGym-Episode"
_SALT = "agentenv.episode-browser"


def episode_browser_token(episode: Episode) -> str:
    return signing.dumps(str(episode.id), salt=_SALT)


class EpisodeBindingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request.headers.get(HEADER_NAME) or request.COOKIES.get(COOKIE_NAME)
        if not token:
            return self.get_response(request)
        try:
            episode_id = signing.loads(token, salt=_SALT)
        except signing.BadSignature:
            return HttpResponse("Invalid episode token.", status=403, content_type="text/plain")
        episode = Episode.objects.filter(pk=episode_id).first()
        # Never fall back to the main database: the episode's clicks would land there.
        if episode is None or episode.released_at is not None or not episode.database_alias:
            return HttpResponse("This episode has ended.", status=410, content_type="text/plain")
        request.episode = episode
        with bind_episode(episode):
            return self.get_response(request)
