"""The MCP server (the official SDK's low-level Server): the tools of agentenv.mcp.tools, one episode per session.

A session's lifespan (the SDK enters it when a session starts and leaves it when the session ends: the
client's DELETE, the idle timeout, a crash) holds its episode slot and closes the episode at the end. It
also gives the session a thread of its own (asgiref's ThreadSensitiveContext, as the OpenEnv WebSocket
does per connection): its tool calls run one at a time in that thread, and a slow call of one session
never holds up another's.
"""

import contextlib
import logging
from dataclasses import dataclass

import anyio
from asgiref.sync import ThreadSensitiveContext
from channels.db import database_sync_to_async
from mcp import types
from mcp.server.lowlevel import Server

from agentenv.concurrency import api_slot
from agentenv.mcp.tools import EpisodeSlot, ToolError, slot_close, tool_call, tool_definitions
from agentenv.models import Episode

logger = logging.getLogger(__name__)

# Where agentenv.mcp.asgi puts the token's user in the ASGI scope of each request.
USER_SCOPE_KEY = "ehrgym_user"
INSTRUCTIONS = (
    "EHRGym, a mock electronic health record. Call reset_task first (a task_id from GET /api/v1/tasks, or "
    "patient_mrn and instruction): its observation's `goal` is your task. Then use the tools (each is an action "
    "on this episode's own copy of the chart); answer questions with `answer`; call `finish` last for the score."
)


@dataclass
class SessionState:
    slot: EpisodeSlot | None = None  # made at the first tool call, which names the session's user


@contextlib.asynccontextmanager
async def _session_lifespan(server: Server):
    async with ThreadSensitiveContext():
        state = SessionState()
        try:
            yield state
        finally:
            if state.slot is not None and state.slot.episode is not None:
                with anyio.CancelScope(shield=True):  # the episode's database is dropped even on shutdown
                    await database_sync_to_async(slot_close)(state.slot)


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], isError=True)


def mcp_server() -> Server:
    server = Server("EHRGym", version="1", instructions=INSTRUCTIONS, lifespan=_session_lifespan)

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [types.Tool(**tool) for tool in tool_definitions()]

    # The arguments are checked against the tool's schema by tool_call, as for OpenEnv's MCP.
    @server.call_tool(validate_input=False)
    async def call_tool(name: str, arguments: dict) -> types.CallToolResult:
        context = server.request_context
        state: SessionState = context.lifespan_context
        if state.slot is None:
            state.slot = EpisodeSlot(owner=context.request.scope[USER_SCOPE_KEY], channel=Episode.Channel.MCP)
        try:
            async with api_slot():  # as the other agent APIs: bounded threads, bounded database connections
                result = await database_sync_to_async(tool_call)(state.slot, name, arguments)
        except ToolError as error:
            return error_result(str(error))
        except Exception as error:  # the session survives an environment bug; the client learns of it
            logger.exception("MCP tool %s failed", name)
            return error_result(f"Internal error while running {name}: {type(error).__name__}")
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=result.text)],
            structuredContent=result.content, isError=result.is_error, _meta={"ehrgym": result.meta},
        )

    return server
