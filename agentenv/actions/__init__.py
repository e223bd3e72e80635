"""Semantic actions: one discriminated union of strict pydantic models (see registry)."""

from agentenv.actions.registry import (  # noqa: F401
    Action,
    ActionContext,
    ActionError,
    ActionResult,
    action_schemas,
    action_types,
    handler_for,
    parse_action,
)
