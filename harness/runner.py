"""Run a policy (an oracle, a baseline, an exploit) on task instances through the real environment.

Each run is a real episode: reset on a fresh copy of the golden database, every action
through agentenv's step path (the same validation, audit events and rewards an agent
gets), then close. The admin's "validate" action, `manage.py tasks validate`, the
oracle test suite and the evaluation runner all use this.
"""

import inspect
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from agentenv.close import episode_close
from agentenv.models import Episode
from agentenv.reset import ResetParameters, episode_reset
from agentenv.step import episode_step
from harness.browser_oracles import browser_oracle_get
from harness.instances import Instance
from harness.models import Task
from harness.oracles import oracle_get
from harness.selectors import task_allowed_actions

Policy = Callable[[Instance], Iterable[dict]]


@dataclass
class RunResult:
    task_id: str
    seed: int
    patient_mrn: str
    episode_id: str
    status: str
    steps: int
    total_reward: float
    score: float | None
    success: bool
    rewards: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    breakdown: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class Driven:
    """What feeding a policy's actions to an episode did."""

    episode: Episode
    steps: list = field(default_factory=list)  # the agentenv Step of each action, in order
    policy_error: str = ""  # "Type: message" when the policy itself raised

    @property
    def invalid_actions(self) -> int:
        return sum(1 for step in self.steps if step.error)


def drive(episode: Episode, actions: Iterable[dict]) -> Driven:
    """Feed a policy's actions to the episode until either ends; generators get each observation.

    A policy that raises ends the drive (it has not solved the task): the error is recorded,
    not raised. The oracle runner and the evaluation runner both drive episodes this way.
    """
    driven = Driven(episode=episode)
    generator = inspect.isgenerator(actions)
    stream = actions if generator else iter(actions)
    observation = None
    while driven.episode.is_running:
        try:
            action = stream.send(observation) if generator and driven.steps else next(stream)
        except StopIteration:
            break
        except Exception as error:  # a policy that crashes has not solved the task; the caller says why
            driven.policy_error = f"{type(error).__name__}: {error}"
            break
        step = episode_step(episode=driven.episode, action=action)
        driven.episode, observation = step.episode, step.observation
        driven.steps.append(step)
    return driven


def task_run(*, owner, task_id: str, seed: int, policy: Policy | None = None, patient_mrn: str = "",
             split: str = "", allow_draft: bool = False, mode: str | None = None, close: bool = True) -> RunResult:
    """Run `policy` (default: the task's oracle) on the instance `seed` names, then close the episode.

    By default the episode runs in API mode unless the task is done in the browser only
    (then it gets its own browser, and its oracle drives it with browser actions).
    `mode="browser"` asks for a browser episode and, without a policy, runs the task's
    browser-action oracle (harness.browser_oracles); the browsers reach the EHR at
    EHRGYM_BROWSER_BASE_URL, which must be serving. `close=False` leaves the ended episode
    (its database copy and browser) open, for the caller to read the chart it changed and close.
    """
    browser_oracle = mode == Episode.Mode.BROWSER
    if mode is None:
        allowed = task_allowed_actions(task_id=task_id)
        mode = Episode.Mode.BROWSER if allowed == Task.ActionSet.BROWSER else Episode.Mode.API
    episode = episode_reset(owner=owner, parameters=ResetParameters(
        task_id=task_id, seed=seed, patient_mrn=patient_mrn, split=split, allow_draft_task=allow_draft, mode=mode))
    try:
        instance = Instance.from_json(episode.task_instance)
        chosen = policy or (browser_oracle_get if browser_oracle else oracle_get)(instance.oracle)
        driven = drive(episode, chosen(instance))
    except BaseException:
        episode_close(episode=episode)
        raise
    if close:
        episode_close(episode=episode)
    episode.refresh_from_db()
    return RunResult(
        task_id=task_id, seed=episode.seed, patient_mrn=episode.patient_mrn, episode_id=str(episode.pk),
        status=episode.status, steps=episode.step_count, total_reward=episode.cumulative_reward, score=episode.score,
        success=bool(episode.success), rewards=[step.reward for step in driven.steps], errors=_errors(driven),
        breakdown=episode.score_breakdown,
    )


def _errors(driven: Driven) -> list[str]:
    """Each failed step, then (last, as it ended the run) a policy that crashed."""
    errors = [f"step {step.index} ({step.action.get('type')}): {step.error}" for step in driven.steps if step.error]
    if driven.policy_error:
        errors.append(f"the policy failed after step {driven.episode.step_count}: {driven.policy_error}")
    return errors
