"""/mcp: the MCP server over Streamable HTTP, mounted beside Django by ehrsite/asgi.py (`mcp_mounted`).

- Token authentication only (`Authorization: Bearer <token>`): 401 without a valid token, 403 for an
  episode's browser. The SDK binds each session to the user that opened it (another user's requests for
  that session id answer 404).
- The SDK's session manager runs its sessions in a task group that its `run()` context opens, normally
  from an ASGI lifespan. Daphne sends no lifespan events, so the first /mcp request of an event loop
  starts it in a task of its own, which lives as long as the loop (the process).
"""

import asyncio
import contextvars
import json
import weakref

import anyio
from channels.db import database_sync_to_async
from django.conf import settings
from django.http.cookie import parse_cookie
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from rest_framework.authtoken.models import Token

from agentenv.mcp.server import USER_SCOPE_KEY, mcp_server
from agentenv.middleware import COOKIE_NAME

MCP_PATHS = ("/mcp", "/mcp/")


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


@database_sync_to_async
def _user_of_token(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token is not None and token.user.is_active else None


async def _authenticated_user(scope):
    """(user, None), or (None, why not)."""
    header = _header(scope, b"authorization")
    if header is None:
        return None, "Authentication credentials were not provided: send `Authorization: Bearer <token>`."
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() not in ("bearer", "token"):
        return None, "Invalid token header: send `Authorization: Bearer <token>`."
    user = await _user_of_token(parts[1])
    return (user, None) if user is not None else (None, "Invalid token.")


async def _answer(send, status: int, detail: str, headers: list | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _transport_security() -> TransportSecuritySettings:
    """DNS-rebinding protection for the hosts Django serves (the SDK's Host and Origin checks)."""
    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts or any(host == "*" or host.startswith(".") for host in hosts):  # patterns the SDK cannot check
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    return TransportSecuritySettings(
        allowed_hosts=[pattern for host in hosts for pattern in (host, f"{host}:*")],
        allowed_origins=[pattern for host in hosts for scheme in ("http", "https")
                         for pattern in (f"{scheme}://{host}", f"{scheme}://{host}:*")],
    )


async def _manager_run(started: asyncio.Future) -> None:
    manager = StreamableHTTPSessionManager(
        app=mcp_server(), json_response=True, security_settings=_transport_security(),
        # An idle session ends when its episode would be reaped anyway.
        session_idle_timeout=settings.EHRGYM_EPISODE_TTL_SECONDS,
    )
    try:
        async with manager.run():
            started.set_result(manager)
            await anyio.sleep_forever()
    except BaseException as error:
        if not started.done():
            started.set_exception(error)
        raise


class McpMount:
    """ASGI: /mcp to the MCP server, everything else to `app`."""

    def __init__(self, app):
        self.app = app
        # One session manager per event loop (its task group belongs to the loop); a process has one loop.
        self._started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def _manager(self) -> StreamableHTTPSessionManager:
        loop = asyncio.get_running_loop()
        if loop not in self._started:
            started = loop.create_future()
            # A context of its own: the sessions must not inherit the first request's context variables.
            task = loop.create_task(_manager_run(started), context=contextvars.Context())
            self._started[loop] = (started, task)
        started, _ = self._started[loop]
        return await asyncio.shield(started)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] not in MCP_PATHS:
            await self.app(scope, receive, send)
            return
        if COOKIE_NAME in parse_cookie(_header(scope, b"cookie") or ""):
            await _answer(send, 403, "An episode's browser cannot reach the environment's controls.")
            return
        user, problem = await _authenticated_user(scope)
        if user is None:
            await _answer(send, 401, problem, [(b"www-authenticate", b'Bearer realm="ehrgym"')])
            return
        principal = AuthenticatedUser(AccessToken(token="", client_id=f"user-{user.pk}", scopes=[]))
        manager = await self._manager()
        await manager.handle_request(dict(scope, user=principal, **{USER_SCOPE_KEY: user}), receive, send)


def mcp_mounted(app):
    return McpMount(app)
