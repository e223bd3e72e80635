"""OpenEnv compatibility: HTTP endpoints under /openenv/ and the WebSocket /openenv/ws.

protocol  OpenEnv's message and payload shapes over agentenv's reset, step and close (no episode logic here)
apis      the HTTP endpoints (reset, step, state, health, schema, metadata)
urls      mounted at /openenv/ by ehrsite/urls.py

The WebSocket consumer is agentenv.consumers.OpenEnvConsumer, routed in ehrsite/asgi.py.
"""
