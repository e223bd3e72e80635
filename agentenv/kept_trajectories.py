"""What a task episode's rubric re-reads every step: its earlier steps' actions (as scored) and routes, and the last
step's potential and violated constraints.

Read from the database, that was every earlier step's rows and JSON again at each step, so step N cost O(N). A
process keeps each episode's trajectory as its last committed step left it and extends it with the next step once
that commits: a step reads only its own. The database stays the truth: a step whose episode this process has not
kept (another process took the step before, the process restarted, the cache evicted it) reads it from there.

Bounded by episodes (MAX_EPISODES, least recently used out first) and by the size of their actions
(MAX_ACTION_BYTES: an action may be up to EHRGYM_MAX_ACTION_BYTES of JSON).
"""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from agentenv.actions.browsergym_parse import scored_action

MAX_EPISODES = 256
MAX_ACTION_BYTES = 32 * 2**20


@dataclass(frozen=True)
class Trajectory:
    steps: int  # the steps it holds: 1 .. steps
    actions: tuple = ()  # each step's action as rubrics judge it (scored_action)
    routes: tuple = ()  # the route after each step
    potential: float | None = None  # the last step's rubric potential (None before the first step)
    violated: tuple = ()  # constraints violated up to the last step
    action_bytes: int = field(default=0, compare=False)
    # Whether its steps recorded audit events: False only when known, from the first step on (None: unknown).
    audited: bool | None = field(default=None, compare=False)

    def extended(self, *, action: dict, route: str, potential: float, violated: list,
                 audited: bool | None = None) -> "Trajectory":
        """The trajectory with one more step (a new object: a reader of this one sees it unchanged)."""
        return Trajectory(self.steps + 1, (*self.actions, action), (*self.routes, route), potential, tuple(violated),
                          self.action_bytes + _size(action), audited)


def _size(action: dict) -> int:
    return len(json.dumps(action, ensure_ascii=False, default=str))


_kept: OrderedDict = OrderedDict()  # episode id -> Trajectory
_kept_bytes = 0
_lock = threading.Lock()


def trajectory_before(episode, step_index: int) -> Trajectory:
    """The trajectory of `episode`'s steps before `step_index`."""
    with _lock:
        kept = _kept.get(episode.pk)
        if kept is not None:
            _kept.move_to_end(episode.pk)
    if kept is not None and kept.steps == step_index - 1:
        return kept
    return _read(episode, step_index)


def _read(episode, step_index: int) -> Trajectory:
    # One query: the earlier steps' actions and routes, and the two numbers of the last one's rubric.
    past = list(episode.steps.filter(index__lt=step_index).order_by("index").values_list(
        "action", "observation__route", "info__rubric__potential", "info__rubric__violated"))
    if not past:
        return Trajectory(0, audited=False)
    actions = tuple(scored_action(row[0]) for row in past)
    _, _, potential, violated = past[-1]
    return Trajectory(len(past), actions, tuple(row[1] or "" for row in past), potential, tuple(violated or []),
                      sum(_size(action) for action in actions))


def trajectory_remember(episode_id, trajectory: Trajectory) -> None:
    """Keep `trajectory` as `episode_id`'s (call once its last step has committed)."""
    global _kept_bytes
    with _lock:
        replaced = _kept.pop(episode_id, None)
        _kept_bytes -= replaced.action_bytes if replaced else 0
        _kept[episode_id] = trajectory
        _kept_bytes += trajectory.action_bytes
        while len(_kept) > 1 and (len(_kept) > MAX_EPISODES or _kept_bytes > MAX_ACTION_BYTES):
            _kept_bytes -= _kept.popitem(last=False)[1].action_bytes


def trajectory_forget(episode_id) -> None:
    """Let go of a closed episode's trajectory."""
    global _kept_bytes
    with _lock:
        gone = _kept.pop(episode_id, None)
        _kept_bytes -= gone.action_bytes if gone else 0
