"""WebSocket consumers: OpenEnv sessions (/openenv/ws) and the spectator view
(/ws/episodes/<id>/watch). Both are routed in ehrsite/asgi.py and served by uvicorn (ehrsite.serve).

Consumers are thin: they parse messages and call agentenv.openenv.protocol (which calls
the services) or the spectator's selectors. Each connection runs its synchronous work in
a thread of its own (asgiref's ThreadSensitiveContext), so one episode's slow browser
step never holds up another connection, and its database connections stay in one thread.
"""

import json
import logging
from urllib.parse import parse_qs

from asgiref.sync import ThreadSensitiveContext
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from channels.middleware import BaseMiddleware
from django.conf import settings
from rest_framework.authtoken.models import Token

from agentenv import spectator
from agentenv.browser.isolation import SESSION_EPISODE_KEY
from agentenv.concurrency import api_slot
from agentenv.mcp import jsonrpc
from agentenv.mcp.tools import EpisodeSlot
from agentenv.middleware import COOKIE_NAME
from agentenv.models import Episode
from agentenv.openenv import protocol
from ehrsite.nul_bytes import MESSAGE as NUL_MESSAGE
from ehrsite.nul_bytes import contains_nul

logger = logging.getLogger(__name__)

UNAUTHORIZED = "UNAUTHORIZED"
INVALID_JSON = "INVALID_JSON"
MESSAGE_TOO_BIG = "MESSAGE_TOO_BIG"
UNKNOWN_TYPE = "UNKNOWN_TYPE"
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TRY_AGAIN_LATER = 1013  # RFC 6455: a service it needs is down for now
CLOSE_MESSAGE_TOO_BIG = 4413  # as HTTP 413 (the server may send only 1000 and 3000-4999; RFC 6455 1009 is not one)


# --- Authentication ------------------------------------------------------------------------


def _token_of(scope) -> str | None:
    """The API token of a WebSocket: `Authorization: Bearer|Token <t>` (what OpenEnv clients
    send with `headers=`), else `?token=<t>` (for clients that cannot set headers)."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            parts = value.decode("latin-1").split()
            if len(parts) == 2 and parts[0].lower() in ("bearer", "token"):
                return parts[1]
            return ""
    tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return tokens[0] if tokens else None


@database_sync_to_async
def _user_of_token(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token is not None and token.user.is_active else None


class TokenAuthMiddleware(BaseMiddleware):
    """Puts the user of the connection's API token in scope["token_user"] (None when no valid
    token was given). It is kept apart from scope["user"] (the cookie session): the OpenEnv
    socket accepts tokens only, the spectator socket sessions only."""

    async def __call__(self, scope, receive, send):
        key = _token_of(scope)
        scope = dict(scope, token_user=await _user_of_token(key) if key else None, token_given=key is not None)
        return await super().__call__(scope, receive, send)


def _from_episode_browser(scope) -> bool:
    """An episode's browser must never reach the environment's controls or its spectators."""
    return COOKIE_NAME in scope.get("cookies", {})


# --- OpenEnv -------------------------------------------------------------------------------


class OpenEnvConsumer(AsyncWebsocketConsumer):
    """One OpenEnv session per connection: reset starts an episode (closing this connection's
    previous one), step and state act on it, close or disconnect closes it."""

    # Nothing is sent to this socket through the channel layer: without one, a Redis outage (the layer
    # with REDIS_URL) cannot end the session, which needs only the database.
    channel_layer_alias = None

    async def __call__(self, scope, receive, send):
        async with ThreadSensitiveContext():
            await super().__call__(scope, receive, send)

    async def connect(self):
        self.episode, self.user = None, None
        await self.accept()
        if _from_episode_browser(self.scope):
            await self._refuse("An episode's browser cannot open an OpenEnv session.")
            return
        self.user = self.scope.get("token_user")
        if self.user is None:
            given = "an invalid token" if self.scope.get("token_given") else "no token"
            await self._refuse(f"Authentication failed ({given}): connect with the header "
                               "`Authorization: Bearer <token>` or with ?token=<token>.")

    async def _refuse(self, message: str) -> None:
        await self._send_error(message, UNAUTHORIZED)
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def disconnect(self, code):
        if self.episode is not None:
            await database_sync_to_async(protocol.close)(episode=self.episode)
            self.episode = None

    async def receive(self, text_data=None, bytes_data=None):
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.EHRGYM_MAX_WS_MESSAGE_BYTES:
            await self._send_error(f"The message is {size} bytes; this socket takes at most "
                                   f"{settings.EHRGYM_MAX_WS_MESSAGE_BYTES}.", MESSAGE_TOO_BIG)
            await self.close(code=CLOSE_MESSAGE_TOO_BIG)
            return
        try:
            message = json.loads(text_data if text_data is not None else bytes_data)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as error:
            await self._send_error(f"Invalid JSON: {error}", INVALID_JSON)
            return
        if contains_nul(message):
            await self._send_error(f"Invalid message: {NUL_MESSAGE}", INVALID_JSON)
            return
        kind = message.get("type") if isinstance(message, dict) else None
        handler = {"reset": self._reset, "step": self._step, "state": self._state, "close": self._close,
                   "mcp": self._mcp}.get(kind)
        if handler is None:
            await self._send_error(f"Unknown message type: {kind!r}; send reset, step, state, mcp or close.",
                                   UNKNOWN_TYPE)
            return
        try:
            async with api_slot():  # as the HTTP APIs: bounded threads, bounded database connections
                await handler(message)
        except protocol.ProtocolError as error:
            await self._send_error(error.message, error.code)
        except Exception as error:  # the session survives an environment bug; the client learns of it
            logger.exception("OpenEnv %s failed", kind)
            await self._send_error(f"Internal error: {type(error).__name__}", protocol.EXECUTION_ERROR)

    async def _reset(self, message):
        params = protocol.reset_params(message.get("data", {}))
        previous, self.episode = self.episode, None
        if previous is not None:
            await database_sync_to_async(protocol.close)(episode=previous)
        self.episode, payload = await database_sync_to_async(protocol.reset)(
            owner=self.user, params=params, channel=Episode.Channel.OPENENV_WS
        )
        await self._send("observation", payload)

    async def _step(self, message):
        _, payload = await database_sync_to_async(protocol.step)(episode=self.episode, action=message.get("data"))
        await self._send("observation", payload)

    async def _state(self, message):
        if self.episode is None:
            raise protocol.ProtocolError("No episode: send reset first.", protocol.SESSION_ERROR)
        state = await database_sync_to_async(_fresh_state)(self.episode)
        await self._send("state", state)

    async def _close(self, message):
        await self.close()

    async def _mcp(self, message):
        """OpenEnv's MCP message: a JSON-RPC tools/list or tools/call; a tool call acts on this connection's episode
        (reset_task starts it, as reset does; finish closes it)."""
        slot = EpisodeSlot(owner=self.user, channel=Episode.Channel.OPENENV_WS, episode=self.episode)
        try:
            answer = await database_sync_to_async(jsonrpc.jsonrpc_answer)(message.get("data"), lambda: slot)
        finally:
            self.episode = slot.episode
        if answer is not None:
            await self._send("mcp", answer)

    async def _send(self, kind: str, data: dict) -> None:
        await self.send(text_data=json.dumps({"type": kind, "data": data}))

    async def _send_error(self, message: str, code: str) -> None:
        await self._send("error", {"message": message, "code": code})


def _fresh_state(episode: Episode) -> dict:
    episode.refresh_from_db()
    return protocol.episode_state(episode)


# --- Spectator -----------------------------------------------------------------------------


class SpectatorConsumer(AsyncJsonWebsocketConsumer):
    """Streams an episode's steps to its watch page: what happened so far, then each new step."""

    async def connect(self):
        self.group = None
        user = self.scope.get("user")
        if _from_episode_browser(self.scope) or user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        episode_id = self.scope["url_route"]["kwargs"]["episode_id"]
        backlog = await database_sync_to_async(_spectator_backlog)(self.scope, episode_id)
        if backlog is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        # Joined before the backlog is sent: a step committed in between arrives twice
        # (the page keeps one of each index), never not at all.
        group = spectator.group_name(backlog[0]["episode_id"])
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception as error:  # Redis (the layer with REDIS_URL) is down: the steps so far, then a clear end
            logger.warning("a spectator of episode %s cannot follow new steps: %s", episode_id, error)
            await self.accept()
            for message in backlog:
                await self.send_json(message)
            await self.send_json({"type": "error", "detail": "New steps cannot be followed live: the channel layer "
                                  f"is unreachable ({type(error).__name__}). Reload the page later."})
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        self.group = group
        await self.accept()
        for message in backlog:
            await self.send_json(message)

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def spectator_message(self, event):
        await self.send_json(event["message"])


def _spectator_backlog(scope, episode_id) -> list[dict] | None:
    """The episode's state and its steps so far, or None if the user may not watch it."""
    if scope["session"].get(SESSION_EPISODE_KEY):
        return None
    try:
        episode = spectator.episode_for_viewer(episode_id=episode_id, user=scope["user"])
    except Episode.DoesNotExist:
        return None
    steps = [spectator.step_message(step) for step in episode.steps.order_by("index")]
    return [spectator.episode_message(episode), *steps]
