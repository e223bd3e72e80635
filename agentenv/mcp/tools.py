"""The environment as MCP tools, defined once: the MCP server (Streamable HTTP, /mcp) and OpenEnv's MCP
(/openenv/mcp and the WebSocket's "mcp" message) both list these tools and call them through `tool_call`.

- every semantic action of the action registry is a tool of the same name, its pydantic model (without
  `type`) the input schema and its docstring the description;
- `reset_task` starts the episode (the shared ResetRequest, API mode: the tools are the semantic actions,
  so the browser fields are left out); a second reset_task closes the episode it replaces;
- `finish` declares the task done if it is still running, closes the episode (its database is dropped)
  and returns the final score.

`tool_call` is synchronous (it runs the environment's services): callers run it in a worker thread.
"""

import inspect
import json
from dataclasses import dataclass, field
from functools import cache

import jsonschema
import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError

from agentenv import disclosure
from agentenv.actions.browser import BrowserAction
from agentenv.actions.registry import action_models, action_type_name
from agentenv.close import episode_close
from agentenv.errors import ActionTooLarge, CapacityError, EnvironmentUnavailable, EpisodeNotRunning
from agentenv.models import Episode
from agentenv.reset import episode_observation, episode_reset
from agentenv.step import episode_step
from agentenv.wire import ResetRequest, field_errors
from ehrsite.nul_bytes import MESSAGE as NUL_MESSAGE
from ehrsite.nul_bytes import contains_nul

RESET_TASK = "reset_task"
FINISH = "finish"
# The browser's part of a reset: an MCP episode is driven by the semantic actions alone.
BROWSER_RESET_FIELDS = ("mode", "screenshot", "set_of_marks")


class ToolError(Exception):
    """A tool call the environment refuses (no step is taken): the client gets it as a tool error."""


@dataclass
class EpisodeSlot:
    """The episode a tool call acts on: an MCP session's, an OpenEnv connection's, or a token's current one."""

    owner: object
    channel: str
    episode: Episode | None = None


@dataclass
class ToolResult:
    content: dict  # the observation (reset_task, actions) or the final score (finish)
    is_error: bool = False
    meta: dict = field(default_factory=dict)  # reward, terminated, truncated, the episode's ids

    @property
    def text(self) -> str:
        return json.dumps(self.content, ensure_ascii=False)


# --- The catalogue ---------------------------------------------------------------------------


def _without(schema: dict, names: tuple[str, ...]) -> dict:
    schema = {key: value for key, value in schema.items() if key != "title"}
    schema["properties"] = {key: value for key, value in schema.get("properties", {}).items() if key not in names}
    required = [name for name in schema.get("required", []) if name not in names]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    return schema


def _description(model) -> str:
    return inspect.cleandoc(model.__doc__ or "").strip()


@cache
def _action_models() -> dict[str, type]:
    """The semantic actions by name; `finish` is the tool of that name, which also closes the episode."""
    return {action_type_name(model): model for model in action_models()
            if not issubclass(model, BrowserAction) and action_type_name(model) != FINISH}


@cache
def tool_definitions() -> tuple[dict, ...]:
    """Each tool as MCP describes one: name, description, inputSchema."""
    finish_model = next(model for model in action_models() if action_type_name(model) == FINISH)
    reset_schema = _without(ResetRequest.model_json_schema(), BROWSER_RESET_FIELDS)
    tools = [{
        "name": RESET_TASK,
        "description": f"{_description(ResetRequest)} Call it first: it starts this session's episode on its own "
                       "copy of the EHR (calling it again closes the current episode and starts a new one). "
                       "Returns the first observation (the goal is in `goal`).",
        "inputSchema": reset_schema,
    }]
    for name, model in _action_models().items():
        tools.append({"name": name, "description": _description(model),
                      "inputSchema": _without(model.model_json_schema(), ("type",))})
    tools.append({
        "name": FINISH,
        "description": "Declare the task done (if the episode is still running), close the episode and return its "
                       "final score: status, score, success, cumulative_reward, steps and which rubric criteria "
                       "passed. Call it last, also after `answer` or `report_infeasible`.",
        "inputSchema": _without(finish_model.model_json_schema(), ("type",)),
    })
    return tuple(tools)


@cache
def _schemas() -> dict[str, dict]:
    return {tool["name"]: tool["inputSchema"] for tool in tool_definitions()}


# --- Calling a tool ---------------------------------------------------------------------------


def tool_call(slot: EpisodeSlot, name: str, arguments: dict | None) -> ToolResult:
    """Run one tool on the slot's episode. Raises ToolError for a call the environment refuses (unknown tool,
    arguments that do not fit the schema, no episode yet, the episode has ended); an action that runs but fails
    is a result with the observation's `last_action_error` (and is_error set), as in every other interface."""
    schema = _schemas().get(name)
    if schema is None:
        raise ToolError(f"Unknown tool {name!r}: tools/list names them all.")
    arguments = {} if arguments is None else arguments
    if contains_nul(arguments):  # PostgreSQL cannot store it: refused at the door, as on every other interface
        raise ToolError(f"Invalid arguments for {name}: {NUL_MESSAGE}")
    try:
        jsonschema.validate(instance=arguments, schema=schema)
    except jsonschema.ValidationError as error:
        where = ".".join(str(part) for part in error.absolute_path)
        raise ToolError(f"Invalid arguments for {name}: {f'{where}: ' if where else ''}{error.message}") from None
    if name == RESET_TASK:
        return _reset(slot, arguments)
    if slot.episode is None:
        raise ToolError("No episode: call reset_task first (task_id, or patient_mrn and instruction).")
    if name == FINISH:
        return _finish(slot, arguments)
    return _step(slot, {"type": name, **arguments})


def _reset(slot: EpisodeSlot, arguments: dict) -> ToolResult:
    try:
        request = ResetRequest.model_validate(arguments)
    except pydantic.ValidationError as error:
        raise ToolError(f"Invalid reset: {_fields(field_errors(error))}") from None
    if slot.episode is not None:
        episode_close(episode=slot.episode)
        slot.episode = None
    try:
        episode = episode_reset(owner=slot.owner, parameters=request.parameters(channel=slot.channel))
    except DjangoValidationError as error:
        raise ToolError(f"Invalid reset: {_fields(error.message_dict)}") from None
    except (CapacityError, EnvironmentUnavailable) as error:
        raise ToolError(f"{error} Try again in {CapacityError.retry_after_s} s.") from None
    slot.episode = episode
    return ToolResult(content=episode_observation(episode=episode), meta={
        **_ids(episode), "task_id": episode.task_id, "seed": episode.seed, "status": episode.status,
        "patient_mrn": disclosure.patient_mrn(episode),
    })


def _step(slot: EpisodeSlot, action: dict) -> ToolResult:
    episode = slot.episode
    episode.refresh_from_db()
    try:
        taken = episode_step(episode=episode, action=action)
    except EpisodeNotRunning as error:
        raise ToolError(f"{error} Call finish for its score, or reset_task for a new episode.") from None
    except ActionTooLarge as error:
        raise ToolError(str(error)) from None
    slot.episode = ended = taken.episode
    done = taken.terminated or taken.truncated
    return ToolResult(content=taken.observation, is_error=bool(taken.observation.get("last_action_error")), meta={
        **_ids(ended), "reward": taken.reward, "terminated": taken.terminated, "truncated": taken.truncated,
        "status": ended.status, "cumulative_reward": ended.cumulative_reward,
        **disclosure.step_info({"rubric": taken.info.get("rubric")}, ended=done),
    })


def _finish(slot: EpisodeSlot, arguments: dict) -> ToolResult:
    episode, reward = slot.episode, None
    episode.refresh_from_db()
    if episode.is_running:
        try:
            reward = episode_step(episode=episode, action={"type": FINISH, **arguments}).reward
        except EpisodeNotRunning:  # it ended meanwhile (expired, closed elsewhere): report what it is
            pass
    episode = episode_close(episode=episode)
    slot.episode = None
    last = episode.steps.order_by("-index").first()
    content = {
        **_ids(episode), "status": episode.status, "score": episode.score, "success": episode.success,
        "cumulative_reward": episode.cumulative_reward, "steps": episode.step_count, "answer": episode.answer,
        **disclosure.step_info({"rubric": last.info.get("rubric") if last else None}, ended=True),
    }
    return ToolResult(content=content, meta={**_ids(episode), "reward": reward, "status": episode.status})


def slot_close(slot: EpisodeSlot) -> None:
    """Close the slot's episode (the session that held it ended)."""
    if slot.episode is not None:
        episode_close(episode=slot.episode)
        slot.episode = None


def _ids(episode: Episode) -> dict:
    return {"episode_id": str(episode.pk)}


def _fields(problems: dict) -> str:
    return "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in problems.items())
