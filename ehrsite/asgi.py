"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by uvicorn: python -m ehrsite.serve)."""

import os

import django
from django.conf import settings

from ehrsite.asgi_handler import SyncChainASGIHandler
from ehrsite.connection_budget import db_pool_default

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehrsite.settings")
if not settings.configured:
    # The web server pools its PostgreSQL connections (settings.EHRGYM_DB_POOL_SIZE says why only it does). Not
    # when this module is imported by a process whose settings are already loaded (the tests' server process).
    os.environ.setdefault("EHRGYM_DB_POOL_SIZE", str(db_pool_default()))
# What get_asgi_application() does, with a handler that runs the middleware and the view in one thread hop.
django.setup(set_prefix=False)
django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from agentenv.concurrency import ApiConcurrencyLimit  # noqa: E402
from agentenv.consumers import OpenEnvConsumer, SpectatorConsumer, TokenAuthMiddleware  # noqa: E402
from agentenv.mcp.asgi import mcp_mounted  # noqa: E402
from agentenv.reaper import reaper_start  # noqa: E402

websocket_urlpatterns: list = [
    # One OpenEnv session (episode) per connection; API-token authentication.
    path("openenv/ws", OpenEnvConsumer.as_asgi()),
    # Cookie-authenticated, so only pages of this site may open it (no cross-site hijacking).
    path("ws/episodes/<uuid:episode_id>/watch", AllowedHostsOriginValidator(SpectatorConsumer.as_asgi())),
]

if not settings.REDIS_URL and settings.EHRGYM_REAPER_INTERVAL_SECONDS:
    # No Celery beat without Redis: the server reaps idle episodes itself.
    reaper_start(interval_s=min(settings.EHRGYM_REAPER_INTERVAL_SECONDS, settings.EHRGYM_EPISODE_TTL_SECONDS / 2))

application = ProtocolTypeRouter(
    {
        # /mcp: the MCP server (Streamable HTTP), which bounds its tool calls itself; the rest: Django.
        "http": mcp_mounted(ApiConcurrencyLimit(django_asgi_app)),
        "websocket": AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
