"""At most EHRGYM_MAX_CONCURRENT_API_REQUESTS agent requests of this process run at once; the rest wait.

Each running request holds up to two database connections (the main database and its episode's copy),
and Django gives every concurrent request its own thread: 64 agents stepping at once opened ~128
PostgreSQL connections, past a default server's 100. Queued here, they wait their turn instead, and
a process holds at most about twice the limit. Only the agent-facing APIs (REST, OpenEnv HTTP and
WebSocket messages) queue: an episode browser's page loads, which a browser step waits on, never do.
"""

import asyncio

from django.conf import settings

from ehrsite.nul_bytes import JSON_PREFIXES

_slots: dict[int, asyncio.Semaphore] = {}


def api_slot() -> asyncio.Semaphore:
    """The process's semaphore of API slots (one per limit, so a test that changes it gets its own)."""
    limit = settings.EHRGYM_MAX_CONCURRENT_API_REQUESTS
    if limit not in _slots:
        _slots[limit] = asyncio.Semaphore(limit)
    return _slots[limit]


class ApiConcurrencyLimit:
    """ASGI middleware: HTTP requests to the agent APIs take a slot for as long as they run."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(JSON_PREFIXES):
            async with api_slot():
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)
