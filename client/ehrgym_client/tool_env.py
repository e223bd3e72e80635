"""EHRGymToolEnv: an EHRGym episode as tools, for TRL's `GRPOTrainer(environment_factory=EHRGymToolEnv)`.

TRL (>= 1.9) creates instances with no arguments, calls `reset(**row)` with each dataset
row before a rollout (the text it returns is appended to the row's last user message),
offers every public method as a tool (its name, type hints and Google-style docstring),
and calls `get_reward()` once the rollout is over. The public methods are exactly the
semantic actions (generated in actions.py); closing and state stay private.

Configuration (environment): EHRGYM_BASE_URL (default http://127.0.0.1:8000), EHRGYM_TOKEN,
EHRGYM_TOOL_RESULT_CHARS (longest tool result, default 3000 characters).
"""

import os
from dataclasses import dataclass

from ehrgym_client.actions import SemanticActions
from ehrgym_client.client import EHRGymClient, settings_from_env
from ehrgym_client.errors import Conflict, EHRGymError, NotFound
from ehrgym_client.text import DEFAULT_RESULT_CHARS, observation_text, task_text


@dataclass
class EpisodeStats:
    """What one rollout did in its episode, for the training logs."""

    task_id: str
    seed: int | None
    split: str | None
    episode_id: str
    actions: int = 0  # tool calls that reached the episode
    errors: int = 0  # of those, refused or failed (the observation's last_action_error)
    after_end: int = 0  # tool calls after the episode had ended (or was gone): not sent
    episode_return: float = 0.0  # sum of the step rewards
    terminated: bool = False
    truncated: bool = False
    success: bool | None = None  # the rubric's verdict, once the episode has ended
    score: float | None = None

    @property
    def ended(self) -> bool:
        return self.terminated or self.truncated

    @property
    def valid_actions(self) -> int:
        """Tool calls the episode carried out."""
        return self.actions - self.errors


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise EHRGymError(f"{name} must be a whole number; got {raw!r}.") from None


def tool_result_chars() -> int:
    """The longest tool result (EHRGYM_TOOL_RESULT_CHARS): the SFT export cuts its results the same way."""
    return _env_int("EHRGYM_TOOL_RESULT_CHARS", DEFAULT_RESULT_CHARS)


class EHRGymToolEnv(SemanticActions):
    """One EHRGym episode per rollout; the model acts through the semantic actions as tools."""

    def __init__(self):
        base_url, token = settings_from_env()
        self._client = EHRGymClient(base_url, token)
        self._result_chars = tool_result_chars()
        self._episode: EpisodeStats | None = None

    @property
    def episode(self) -> EpisodeStats | None:
        """The current (or last) rollout's episode: its counts, return and verdict."""
        return self._episode

    def reset(self, **row) -> str:
        """Start the row's task instance (`task_id`, `seed`, optional `split`); return its task and first
        observation as text.

        Other columns of the row (the prompt...) are ignored. The previous episode is closed.
        """
        if not row.get("task_id"):
            raise EHRGymError("Each dataset row needs a task_id (and a seed): see training.task_dataset.")
        first = self._client.reset(task_id=row["task_id"], seed=row.get("seed"), split=row.get("split"))
        self._episode = EpisodeStats(task_id=row["task_id"], seed=row.get("seed"), split=row.get("split"),
                                     episode_id=first.episode_id)
        return task_text(first.observation, result_chars=self._result_chars)

    def get_reward(self) -> float:
        """The episode's return (the sum of its step rewards); closes the episode."""
        if self._episode is None:
            return 0.0
        self._close()
        return self._episode.episode_return

    def _close(self) -> None:
        try:
            final = self._client.close()
        except (Conflict, NotFound):  # already gone on the server (its time to live ran out)
            return
        if final is not None and self._episode is not None:
            self._episode.success, self._episode.score = final.success, final.score

    def _act(self, action_type: str, arguments: dict) -> str:
        episode = self._episode
        if episode is None:
            return "Error: no episode is running."
        if episode.ended:
            episode.after_end += 1
            return "Error: the episode has ended; no further action is taken."
        action = {"type": action_type, **{key: value for key, value in arguments.items() if value is not None}}
        try:
            result = self._client.step(action)
        except EHRGymError as error:  # the episode is gone (expired, closed) or the server failed
            episode.after_end += 1
            episode.truncated = True
            return f"Error: {error}"
        episode.actions += 1
        episode.errors += result.observation.last_action_error is not None
        episode.episode_return += result.reward
        episode.terminated, episode.truncated = result.terminated, result.truncated
        if result.done:
            self._close()  # frees the episode's database now, and reads the rubric's verdict
        return observation_text(result.observation, goal=False, terminated=result.terminated,
                                truncated=result.truncated, result_chars=self._result_chars)


def tool_methods() -> list:
    """The tool methods in the order TRL offers them (it lists a class's functions by name)."""
    return [function for name, function in sorted(vars(SemanticActions).items())
            if callable(function) and not name.startswith("_")]


def tool_schemas() -> list[dict]:
    """The tools' JSON schemas, as TRL renders them into the prompt (the SFT export's `tools`)."""
    from ehrgym_client.tool_schema import tool_schema

    return [tool_schema(function) for function in tool_methods()]
