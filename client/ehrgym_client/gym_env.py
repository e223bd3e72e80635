"""EHRGym as a Gymnasium environment: text observations, JSON-text actions.

    import ehrgym_client, gymnasium
    env = gymnasium.make("EHRGym-v0", base_url="http://127.0.0.1:8000", token=TOKEN,
                         task="ehr/laboratory-medicine.latest-result-v1")
    observation, info = env.reset(seed=7)
    observation, reward, terminated, truncated, info = env.step('{"type": "get_observations", "loinc": "4548-4"}')

The seed given to reset is the task instance's seed (the same seed is the same patient and
goal); without one, the instance seed is drawn from the environment's seeded generator. An
action is a JSON object with a `type` (GET /api/v1/actions lists them). Text that is not
such an object is not sent: the observation carries the error and the step costs the
invalid-action penalty, as an action the server refuses does; it also counts against the
step limit.
"""

import json
from dataclasses import replace
from typing import Any

import gymnasium
from gymnasium import spaces

from ehrgym_client.client import EHRGymClient, settings_from_env
from ehrgym_client.text import PROSE_CHARSET, clip, observation_text, to_charset
from ehrgym_client.types import Observation

# The server's penalty for an invalid action (agentenv/rewards.py), for text that never reaches it.
INVALID_ACTION_PENALTY = 0.05
MAX_OBSERVATION_CHARS = 20_000
MAX_ACTION_CHARS = 20_000


class EHRGymEnv(gymnasium.Env[str, str]):
    # A text render has no frame rate; Gymnasium asks for one all the same.
    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, base_url: str | None = None, token: str | None = None, task: str | None = None,
                 mode: str = "api", split: str | None = None, render_mode: str | None = None):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', not {render_mode!r}")
        if not task:
            raise ValueError("EHRGym-v0 needs a task: gymnasium.make('EHRGym-v0', task='ehr/...', ...)")
        if base_url is None or token is None:
            env_url, env_token = settings_from_env()
            base_url, token = base_url or env_url, token or env_token
        self._connection = (base_url, token)
        self.task, self.mode, self.split, self.render_mode = task, mode, split, render_mode
        self.observation_space = spaces.Text(MAX_OBSERVATION_CHARS, min_length=1, charset=PROSE_CHARSET)
        self.action_space = spaces.Text(MAX_ACTION_CHARS, min_length=1, charset=PROSE_CHARSET)
        self._client: EHRGymClient | None = None  # connected at the first reset
        self._observation: Observation | None = None
        self._text = ""
        self._refused = 0  # actions refused here (not JSON) in this episode: they count against the step limit

    @property
    def episode_id(self) -> str | None:
        return self._client.episode_id if self._client else None

    def _render_text(self, observation: Observation, *, terminated: bool = False, truncated: bool = False) -> str:
        # Refused actions count as steps: the agent sees the step count it is charged with.
        shown = replace(observation, step=observation.step + self._refused)
        text = observation_text(shown, terminated=terminated, truncated=truncated, result_chars=None)
        return clip(to_charset(text), MAX_OBSERVATION_CHARS)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        if self._client is None:
            self._client = EHRGymClient(*self._connection)
        # A given seed is the instance's seed; otherwise the seeded generator draws one.
        instance_seed = seed if seed is not None else int(self.np_random.integers(2**31))
        first = self._client.reset(task_id=options.pop("task_id", self.task), seed=options.pop("seed", instance_seed),
                                   mode=self.mode, split=options.pop("split", self.split), **options)
        self._observation, self._refused = first.observation, 0
        self._text = self._render_text(first.observation)
        info = {"episode_id": first.episode_id, "task_id": first.info.get("task_id", self.task),
                "seed": first.info.get("seed", instance_seed)}
        return self._text, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._client is None or self._observation is None:
            raise gymnasium.error.ResetNeeded("Call reset before step.")
        parsed, problem = _parse_action(action)
        if problem is not None:
            self._refused += 1
            self._observation = replace(self._observation, last_action_result=None, last_action_error=problem)
            reward, terminated, info = -INVALID_ACTION_PENALTY, False, {"action_type": None, "error": problem}
        else:
            result = self._client.step(parsed)
            self._observation = result.observation
            reward, terminated = float(result.reward), bool(result.terminated)
            # Only what the same seed and action reproduce: no ids, no timings (Gymnasium's determinism check).
            info = {"action_type": parsed["type"], "error": result.observation.last_action_error}
            if result.done:
                self._text = self._render_text(result.observation, terminated=terminated, truncated=result.truncated)
                return self._text, reward, terminated, bool(result.truncated), info
        truncated = self._observation.step + self._refused >= self._observation.step_limit
        if truncated:  # the refused actions used up the step limit: the episode ends here
            self._client.close()
        self._text = self._render_text(self._observation, truncated=truncated)
        return self._text, reward, terminated, truncated, info

    def render(self) -> str | None:
        return self._text if self.render_mode == "ansi" else None

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.shutdown()


def _parse_action(text: str) -> tuple[dict | None, str | None]:
    """The action object in `text`, or why there is none."""
    if not isinstance(text, str):
        return None, f"An action is JSON text, not {type(text).__name__}."
    try:
        value = json.loads(text)
    except ValueError as error:
        return None, f"The action is not valid JSON ({error.msg} at character {error.pos})."
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return None, 'An action is a JSON object with a string "type", e.g. {"type": "finish"}.'
    return value, None
