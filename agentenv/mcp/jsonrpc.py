"""OpenEnv's MCP: one JSON-RPC 2.0 request in, one response out, over the tools of agentenv.mcp.tools.

OpenEnv servers answer MCP's `tools/list` and `tools/call` on POST /mcp and in the WebSocket's
`{"type": "mcp", "data": <request>}` message (openenv 0.10, core/env_server/http_server.py); `initialize`
and `ping` are answered too, so plain MCP clients that post JSON can start. A tool call acts on the
caller's episode slot (the connection's episode, or the token's current OpenEnv HTTP episode) exactly as
an MCP session's does; listing the tools needs no token, calling one does. Synchronous: run it in a thread.
"""

import logging
from collections.abc import Callable

from mcp.types import LATEST_PROTOCOL_VERSION

from agentenv.mcp.server import INSTRUCTIONS
from agentenv.mcp.tools import EpisodeSlot, ToolError, tool_call, tool_definitions
from ehrsite.nul_bytes import MESSAGE as NUL_MESSAGE
from ehrsite.nul_bytes import contains_nul

logger = logging.getLogger(__name__)

INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
PARSE_ERROR = -32700
UNAUTHORIZED = -32001  # a server error code (JSON-RPC leaves -32000 to -32099 to servers)


class Unauthorized(Exception):
    """tools/call without a token: the HTTP endpoint answers it with 401."""


def error(code: int, message: str, request_id=None) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _result(result: dict, request_id) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def jsonrpc_answer(request, slot: Callable[[], EpisodeSlot | None]) -> dict | None:
    """The response to `request` (None for a notification, which has no id). `slot()` gives the caller's
    episode slot, or None without a token (tools/call then raises Unauthorized)."""
    if not isinstance(request, dict):
        return error(INVALID_REQUEST, "A JSON-RPC request is a JSON object (batches are not supported).")
    request_id = request.get("id")
    if request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
        return error(INVALID_REQUEST, 'Invalid request: give "jsonrpc": "2.0" and a string "method".', request_id)
    if contains_nul(request):
        return error(INVALID_REQUEST, f"Invalid request: {NUL_MESSAGE}", request_id)
    params = request.get("params") or {}
    if not isinstance(params, dict):
        return error(INVALID_PARAMS, "params must be an object.", request_id)
    method = request["method"]
    if "id" not in request:
        return None  # a notification (notifications/initialized...): nothing to answer
    if method == "initialize":
        return _result({
            "protocolVersion": params.get("protocolVersion") or LATEST_PROTOCOL_VERSION,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "EHRGym", "version": "1"}, "instructions": INSTRUCTIONS,
        }, request_id)
    if method == "ping":
        return _result({}, request_id)
    if method == "tools/list":
        return _result({"tools": list(tool_definitions())}, request_id)
    if method == "tools/call":
        return _tools_call(params, slot, request_id)
    return error(METHOD_NOT_FOUND, f"Unknown method {method!r}: this server answers initialize, ping, tools/list "
                                   "and tools/call.", request_id)


def _tools_call(params: dict, slot: Callable[[], EpisodeSlot | None], request_id) -> dict:
    name, arguments = params.get("name"), params.get("arguments")
    if not isinstance(name, str) or not name:
        return error(INVALID_PARAMS, 'tools/call needs params "name" (a tool of tools/list).', request_id)
    if arguments is not None and not isinstance(arguments, dict):
        return error(INVALID_PARAMS, 'tools/call params "arguments" must be an object.', request_id)
    caller = slot()
    if caller is None:
        raise Unauthorized("Calling a tool needs a token: send `Authorization: Bearer <token>`.")
    try:
        outcome = tool_call(caller, name, arguments)
    except ToolError as refused:  # MCP reports a tool's failure as its result, for the model to read
        return _result({"content": [{"type": "text", "text": str(refused)}], "isError": True}, request_id)
    except Exception as failure:  # the client learns of an environment bug; the session goes on
        logger.exception("OpenEnv MCP tool %s failed", name)
        return error(INTERNAL_ERROR, f"Internal error while running {name}: {type(failure).__name__}", request_id)
    return _result({
        "content": [{"type": "text", "text": outcome.text}], "structuredContent": outcome.content,
        "isError": outcome.is_error, "_meta": {"ehrgym": outcome.meta},
    }, request_id)
