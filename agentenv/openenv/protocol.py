"""OpenEnv's wire format over the environment's services (a thin adapter, no episode logic).

What `openenv`'s EnvClient (GenericEnvClient included) sends and expects, as read from
openenv 0.10 (core/env_client.py, core/env_server/types.py and serialization.py):

    -> {"type": "reset", "data": {...reset keyword arguments}}
    -> {"type": "step",  "data": {...the action}}
    -> {"type": "state"}
    -> {"type": "close"}                                  (no answer)
    <- {"type": "observation", "data": {"observation": {...}, "reward": r, "done": d, "metadata": {...}}}
    <- {"type": "state", "data": {"episode_id": ..., "step_count": n, ...}}
    <- {"type": "error", "data": {"message": ..., "code": ...}}

The HTTP endpoints answer reset and step with the same `data` object (OpenEnv's
ResetResponse / StepResponse). `done` is Gymnasium's terminated or truncated; both are in
`metadata`, with the step's timings and the environment's own episode id.
"""


import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentenv import disclosure
from agentenv.actions.registry import action_adapter
from agentenv.close import episode_close
from agentenv.errors import ActionTooLarge, BrowserElsewhere, CapacityError, EnvironmentUnavailable, EpisodeNotRunning
from agentenv.models import Episode, Step
from agentenv.observations import Observation
from agentenv.reset import episode_observation, episode_reset, episode_reset_timings
from agentenv.step import episode_step
from agentenv.wire import ResetRequest, field_errors


class ProtocolError(Exception):
    """A request the environment refuses: sent to the client as an OpenEnv error."""

    def __init__(self, message: str, code: str, status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


# OpenEnv's WSErrorCode values, and the environment's own for what OpenEnv does not name.
VALIDATION_ERROR = "VALIDATION_ERROR"
CAPACITY_REACHED = "CAPACITY_REACHED"
EXECUTION_ERROR = "EXECUTION_ERROR"
SESSION_ERROR = "SESSION_ERROR"
EPISODE_ENDED = "EPISODE_ENDED"


class ResetParams(ResetRequest):
    """What reset accepts (the keyword arguments of `client.reset(...)`): the shared reset fields, and OpenEnv's
    own name for the episode."""

    model_config = ConfigDict(title="ResetParams")

    episode_id: str | None = Field(
        None, min_length=1, max_length=128,
        description="OpenEnv: the client's own name for the episode, reported back by state.",
    )

    @model_validator(mode="after")
    def _task_or_goal(self):
        # Checked here, before anything runs: an HTTP reset closes the token's current
        # episode first, and a mistyped reset must not end it.
        if self.task_id and self.instruction:
            raise ValueError("give task_id or instruction, not both (a task renders its own instruction)")
        if not self.task_id and not (self.patient_mrn.strip() and self.instruction.strip()):
            raise ValueError("give task_id, or patient_mrn and instruction")
        return self


class EpisodeState(BaseModel):
    """The episode's state (OpenEnv State: episode_id and step_count, and the rest)."""

    model_config = ConfigDict(extra="forbid")

    episode_id: str = Field(description="The episode_id given at reset, else the environment's episode id.")
    step_count: int = Field(ge=0, description="Steps taken so far.")
    ehrgym_episode_id: str = Field(description="The environment's id of the episode (REST API, spectator page).")
    status: str = Field(description="created, running, terminated, truncated, closed or errored.")
    task_id: str = Field(description="The task the episode instantiates, or empty.")
    done: bool = Field(description="The episode has ended: no more steps.")
    mode: str = Field(description="api or browser.")
    patient_mrn: str | None = Field(description="The patient named at reset; null for a task (its instruction "
                                                "names the patient).")
    instruction: str = Field(description="The task instruction.")
    seed: int | None = Field(description="Seed of the episode.")
    step_limit: int = Field(description="Steps before the episode is truncated.")
    cumulative_reward: float = Field(description="Sum of the step rewards so far.")
    route: str = Field(description="The page the agent is on.")
    open_mrn: str = Field(description="MRN of the open chart, or empty.")
    answer: str = Field(description="The final answer, once given.")
    error: str = Field(description="Why the episode errored, if it did.")


def episode_state(episode: Episode) -> dict:
    return EpisodeState(
        episode_id=episode.client_episode_id or str(episode.pk),
        step_count=episode.step_count,
        ehrgym_episode_id=str(episode.pk),
        status=episode.status,
        task_id=episode.task_id,
        done=episode.status in Episode.ENDED or episode.released_at is not None,
        mode=episode.mode,
        patient_mrn=disclosure.patient_mrn(episode),
        instruction=episode.instruction,
        seed=episode.seed,
        step_limit=episode.step_limit,
        cumulative_reward=episode.cumulative_reward,
        route=episode.route,
        open_mrn=episode.open_mrn,
        answer=episode.answer,
        error=episode.error,
    ).model_dump(mode="json")


def schemas() -> dict:
    """OpenEnv's SchemaResponse: JSON schemas of the action, the observation and the state."""
    return {
        "action": action_adapter().json_schema(),
        "observation": Observation.model_json_schema(),
        "state": EpisodeState.model_json_schema(),
    }


def metadata() -> dict:
    """OpenEnv's EnvironmentMetadata."""
    return {
        "name": "EHRGym",
        "description": "An Epic-like mock EHR: chart review, results, orders and notes, each episode on its own "
                       "copy of the chart database, driven by semantic actions or a real browser.",
        "version": "1",
    }


def _validation_message(error: pydantic.ValidationError) -> str:
    return "; ".join(f"{'data' if name == 'non_field_errors' else name}: {' '.join(messages)}"
                     for name, messages in field_errors(error).items())


def reset_params(data) -> ResetParams:
    if not isinstance(data, dict):
        raise ProtocolError("reset data must be a JSON object.", VALIDATION_ERROR, status=422)
    try:
        return ResetParams.model_validate(data)
    except pydantic.ValidationError as error:
        raise ProtocolError(f"Invalid reset: {_validation_message(error)}", VALIDATION_ERROR, status=422) from None


def reset(*, owner, params: ResetParams, channel: str) -> tuple[Episode, dict]:
    """Start an episode; returns it and OpenEnv's reset payload."""
    try:
        parameters = params.parameters(channel=channel, client_episode_id=params.episode_id or "")
        episode = episode_reset(owner=owner, parameters=parameters)
    except DjangoValidationError as error:
        message = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
        raise ProtocolError(f"Invalid reset: {message}", VALIDATION_ERROR, status=422) from None
    except CapacityError as error:
        raise ProtocolError(str(error), CAPACITY_REACHED, status=503) from None
    except EnvironmentUnavailable as error:
        raise ProtocolError(str(error), EXECUTION_ERROR, status=503) from None
    payload = {
        "observation": episode_observation(episode=episode),
        "reward": None,
        "done": False,
        "metadata": {
            **_ids(episode),
            "status": episode.status,
            "task_id": episode.task_id,
            "patient_mrn": disclosure.patient_mrn(episode),
            "mode": episode.mode,
            "seed": episode.seed,
            "timings_ms": episode_reset_timings(episode=episode),
            "watch_path": reverse("spectator:watch", kwargs={"episode_id": episode.pk}),
        },
    }
    return episode, payload


def step(*, episode: Episode | None, action) -> tuple[Step, dict]:
    """Take one action; returns the step and OpenEnv's step payload. An invalid action is an
    observation with `last_action_error` (and a penalty), as in every other interface."""
    if episode is None:
        raise ProtocolError("No episode: send reset first.", SESSION_ERROR, status=409)
    if not isinstance(action, dict) or not isinstance(action.get("type"), str):
        raise ProtocolError('An action is a JSON object with a string "type"; the schema lists them all.',
                            VALIDATION_ERROR, status=422)
    episode.refresh_from_db()
    try:
        taken = episode_step(episode=episode, action=action)
    except EpisodeNotRunning as error:
        raise ProtocolError(f"{error} Send reset to start a new episode.", EPISODE_ENDED, status=409) from None
    except BrowserElsewhere as error:
        raise ProtocolError(str(error), SESSION_ERROR, status=409) from None
    except ActionTooLarge as error:
        raise ProtocolError(str(error), VALIDATION_ERROR, status=422) from None
    ended = taken.episode
    payload = {
        "observation": taken.observation,
        "reward": taken.reward,
        "done": taken.terminated or taken.truncated,
        "metadata": {
            **_ids(ended),
            "status": ended.status,
            "terminated": taken.terminated,
            "truncated": taken.truncated,
            "cumulative_reward": ended.cumulative_reward,
            "timings_ms": {**taken.info.get("timings_ms", {}), "step": round(taken.duration_ms, 2)},
            **({"events": taken.info["events"]} if taken.info.get("events") else {}),
            # Task episodes: the reward's parts and progress; which criteria passed once the episode ends.
            **disclosure.step_info({"rubric": taken.info.get("rubric")}, ended=taken.terminated or taken.truncated),
            **({"score": ended.score, "success": ended.success} if ended.score is not None else {}),
        },
    }
    return taken, payload


def _ids(episode: Episode) -> dict:
    return {"episode_id": episode.client_episode_id or str(episode.pk), "ehrgym_episode_id": str(episode.pk)}


def close(*, episode: Episode | None) -> None:
    if episode is not None:
        # The session's next message (the reset after this close, often) does not wait for DROP DATABASE.
        episode_close(episode=episode, drop_in_background=True)
