"""The semantic action set the baseline agents choose from, as JSON schemas."""

from functools import cache

from agentenv.actions.browser import BrowserAction
from agentenv.actions.registry import action_schemas, action_type_name

TERMINAL = ("answer", "finish", "report_infeasible")


def _subclasses(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


@cache
def semantic_action_schemas() -> dict[str, dict]:
    """JSON schema of every semantic (non-browser) action, by type, in registry order.

    The baselines act through the API: a browser action in an API-mode episode is refused.
    """
    schemas = action_schemas()
    browser = {action_type_name(model) for model in _subclasses(BrowserAction) if "type" in model.model_fields}
    return {name: schema for name, schema in schemas.items() if name not in browser}
