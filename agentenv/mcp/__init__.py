"""MCP: the environment's semantic actions as tools, with reset_task and finish.

tools    the tools, defined once, and how a call runs on an episode (OpenEnv's MCP uses them too)
server   the official SDK's MCP server over those tools: one session, one episode
asgi     /mcp (Streamable HTTP), mounted beside Django in ehrsite/asgi.py; token authentication
jsonrpc  OpenEnv's MCP: JSON-RPC tools/list and tools/call over the same tools (/openenv/mcp, the WebSocket)
"""
