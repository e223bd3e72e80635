"""The action registry: one pydantic model and one handler per action type.

An action module defines models (with `type: Literal[...]`) and decorates a handler
per model with `@action(Model)`. ACTION_MODULES lists the modules; a new group of
actions is one module and one line there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Annotated, Any, Union, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

ACTION_MODULES = (
    "agentenv.actions.chart",
    "agentenv.actions.charting",
    "agentenv.actions.orders",
    "agentenv.actions.notes",
    "agentenv.actions.inbasket",
    "agentenv.actions.terminal",
    "agentenv.actions.browser",
    "agentenv.actions.browsergym",
)


def _not_a_boolean(value):
    if isinstance(value, bool):  # pydantic reads true as 1.0: a dose of `true` is a mistake, not one
        raise ValueError("must be a number, not true or false")
    return value


# A number field of an action: what pydantic's float takes, except true and false.
Number = Annotated[float, BeforeValidator(_not_a_boolean)]


class Action(BaseModel):
    """Base of every action: strict, so a misspelt field is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class ActionContext:
    """What a handler may know about the episode it acts in."""

    actor: str  # recorded on audit events: the episode owner's username
    open_mrn: str  # the chart the agent has open ("" if none)
    route: str
    alias: str  # the episode's database alias (bound while the handler runs)


@dataclass
class ActionResult:
    data: Any
    route: str | None = None  # the page the agent is on afterwards (None: unchanged)
    open_mrn: str | None = None
    terminal: bool = False
    answer: str | None = None
    extra: dict = field(default_factory=dict)


class ActionError(Exception):
    """A mistake of the agent the handler found (unknown patient, nothing open...)."""


Handler = Callable[[Any, ActionContext], ActionResult]
_HANDLERS: dict[type[Action], Handler] = {}


def action(model: type[Action]):
    def register(handler: Handler) -> Handler:
        _HANDLERS[model] = handler
        return handler

    return register


@cache
def _load() -> tuple[type[Action], ...]:
    for module in ACTION_MODULES:
        import_module(module)
    return tuple(_HANDLERS)


def action_type_name(model: type[Action]) -> str:
    return get_args(model.model_fields["type"].annotation)[0]


@cache
def action_adapter() -> TypeAdapter:
    models = _load()
    union = Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007 (a runtime tuple)
    return TypeAdapter(union)


def parse_action(raw: dict) -> Action:
    """Raises pydantic.ValidationError for an action that does not fit the schema."""
    return action_adapter().validate_python(raw)


def handler_for(parsed: Action) -> Handler:
    return _HANDLERS[type(parsed)]


def action_schemas() -> dict[str, dict]:
    """JSON schema of each action, by type."""
    return {action_type_name(model): model.model_json_schema() for model in _load()}


def action_types() -> list[str]:
    return [action_type_name(model) for model in _load()]


def action_models() -> tuple[type[Action], ...]:
    """Every registered action model, in registration order."""
    return _load()
