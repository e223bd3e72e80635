"""Typed results of the API.

The server's wire types are strict; reading them here is lenient on purpose: a field a
newer server adds is ignored (and kept in `raw`), so an old client keeps working.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Observation:
    """What the agent sees after reset and after each step."""

    goal: str
    route: str
    patient_mrn: str | None
    last_action_result: Any
    last_action_error: str | None
    step: int
    step_limit: int
    # Browser mode only (None in API mode).
    url: str | None = None
    title: str | None = None
    axtree: str | None = None
    axtree_txt: str | None = None  # the same tree in BrowserGym's flattened text form
    focused_bid: str | None = None
    screenshot: str | None = None

    @classmethod
    def from_json(cls, data: dict) -> "Observation":
        return cls(
            goal=data.get("goal", ""), route=data.get("route", ""), patient_mrn=data.get("patient_mrn"),
            last_action_result=data.get("last_action_result"), last_action_error=data.get("last_action_error"),
            step=int(data.get("step", 0)), step_limit=int(data.get("step_limit", 0)),
            url=data.get("url"), title=data.get("title"), axtree=data.get("axtree"),
            axtree_txt=data.get("axtree_txt"), focused_bid=data.get("focused_bid"), screenshot=data.get("screenshot"),
        )


@dataclass(frozen=True)
class ResetResult:
    episode_id: str
    observation: Observation
    info: dict


@dataclass(frozen=True)
class StepResult:
    """Gymnasium's five parts of a step."""

    observation: Observation
    reward: float
    terminated: bool
    truncated: bool
    info: dict

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated


@dataclass(frozen=True)
class EpisodeState:
    episode_id: str
    status: str
    task_id: str
    seed: int | None
    step_count: int
    step_limit: int
    cumulative_reward: float
    mode: str
    instruction: str
    answer: str
    score: float | None
    success: bool | None
    raw: dict = field(repr=False, compare=False)

    ENDED = ("terminated", "truncated", "closed", "errored")

    @property
    def done(self) -> bool:
        return self.status in self.ENDED

    @classmethod
    def from_json(cls, data: dict) -> "EpisodeState":
        return cls(
            episode_id=str(data["episode_id"]), status=data.get("status", ""), task_id=data.get("task_id") or "",
            seed=data.get("seed"), step_count=int(data.get("step_count", 0)),
            step_limit=int(data.get("step_limit", 0)), cumulative_reward=float(data.get("cumulative_reward") or 0.0),
            mode=data.get("mode", "api"), instruction=data.get("instruction", ""), answer=data.get("answer") or "",
            score=data.get("score"), success=data.get("success"), raw=data,
        )


@dataclass(frozen=True)
class Task:
    """A published task: reset with its task_id and a seed."""

    task_id: str
    title: str
    tier: str
    domain: str
    description: str
    step_limit: int
    allowed_actions: str

    @classmethod
    def from_json(cls, data: dict) -> "Task":
        return cls(
            task_id=data["task_id"], title=data.get("title", ""), tier=data.get("tier", ""),
            domain=data.get("domain", ""), description=data.get("description", ""),
            step_limit=int(data.get("step_limit") or 0), allowed_actions=data.get("allowed_actions", ""),
        )


@dataclass(frozen=True)
class ActionSpec:
    """One action type the step endpoint accepts, with its JSON schema."""

    type: str
    description: str
    json_schema: dict

    @classmethod
    def from_json(cls, data: dict) -> "ActionSpec":
        return cls(type=data["type"], description=data.get("description", ""), json_schema=data.get("json_schema", {}))


@dataclass(frozen=True)
class TrajectoryStep:
    index: int
    action: dict
    observation: Observation
    reward: float
    error: str
    terminated: bool
    truncated: bool
    info: dict

    @classmethod
    def from_json(cls, data: dict) -> "TrajectoryStep":
        return cls(
            index=int(data["index"]), action=data.get("action") or {},
            observation=Observation.from_json(data.get("observation") or {}), reward=float(data.get("reward") or 0.0),
            error=data.get("error") or "", terminated=bool(data.get("terminated")),
            truncated=bool(data.get("truncated")), info=data.get("info") or {},
        )


@dataclass(frozen=True)
class Trajectory:
    episode_id: str
    status: str
    cumulative_reward: float
    steps: list[TrajectoryStep]

    @classmethod
    def from_json(cls, data: dict) -> "Trajectory":
        return cls(
            episode_id=str(data["episode_id"]), status=data.get("status", ""),
            cumulative_reward=float(data.get("cumulative_reward") or 0.0),
            steps=[TrajectoryStep.from_json(step) for step in data.get("steps", [])],
        )
