"""Step rewards: potential-based shaping on the task's rubric, a success bonus, penalties.

For a task episode, with Φ(s) the rubric's weighted progress in [0, 1] (capped at
CRITICAL_CAP while a critical constraint is violated) and Φ(s₀) = 0 (criteria count
only what the episode changed, so nothing is done at reset):

    r_t = Φ(s_t) − Φ(s_{t−1})                                   progress this step made
        + SUCCESS_BONUS           if the episode ends now and every required criterion holds
        − INVALID_ACTION_PENALTY  if the action was invalid or failed
        − UNSAFE_ACTION_PENALTY × constraints (severity penalty or critical) this step violated

so Σ r_t = Φ(s_T) + SUCCESS_BONUS·success − penalties. The shaping telescopes (Ng et
al., 1999): actions that change nothing earn nothing, undoing and redoing earns
nothing, and a longer episode never scores more than a shorter one reaching the same
state. An episode without a task (reset with a patient and an instruction) has no
rubric: its only signal is the invalid-action penalty.

Each step's info keeps the full per-criterion breakdown, for staff and reports; what an
agent is shown of it, and when, is agentenv.disclosure's business. The last step's
verdict is stored on the episode.
"""

from dataclasses import dataclass, field

from agentenv.actions.browsergym_parse import scored_action
from agentenv.kept_trajectories import Trajectory, trajectory_before
from agentenv.models import Episode
from agentenv.task_source import task_source
from clinical.audit import step_recorded

INVALID_ACTION_PENALTY = 0.05
UNSAFE_ACTION_PENALTY = 0.5
SUCCESS_BONUS = 1.0


@dataclass(frozen=True)
class StepReward:
    value: float
    info: dict = field(default_factory=dict)  # Step.info["rubric"]: the breakdown and the reward's parts
    episode_changes: dict = field(default_factory=dict)  # the final verdict, when the episode ends
    trajectory: Trajectory | None = None  # the episode's trajectory with this step (keep it once the step commits)


def step_reward(*, episode, step_index: int, agent_error: bool, action: dict | None = None, route: str | None = None,
                answer: str | None = None, terminated: bool = False, truncated: bool = False) -> StepReward:
    """Reward of step `step_index` of `episode` (its database is bound while this runs, the step's writes visible).

    `action`, `route` and `answer` are this step's (not yet saved with the episode);
    `terminated`/`truncated` say whether it ends the episode.
    """
    penalty = INVALID_ACTION_PENALTY if agent_error else 0.0
    if not episode.task_instance:
        return StepReward(-penalty)
    before = trajectory_before(episode, step_index)
    this_action = scored_action(action or {})
    this_route = route if route is not None else episode.route
    audited = _audited(episode, before)
    evaluation = task_source().evaluate(
        instance=episode.task_instance,
        answer=answer if answer is not None else (episode.answer or None),
        actions=[*before.actions, this_action],
        routes=[*before.routes, this_route],
        unaudited=audited is False,
    )
    seen = set(before.violated)
    newly_violated = [v for v in evaluation.violations if v not in seen]
    ended = terminated or truncated
    bonus = SUCCESS_BONUS if ended and evaluation.success else 0.0
    unsafe = UNSAFE_ACTION_PENALTY * len(newly_violated)
    shaping = evaluation.potential - (before.potential or 0.0)
    value = shaping + bonus - penalty - unsafe
    info = {
        **evaluation.breakdown(details=True),
        "violated": sorted(seen | set(evaluation.violations)),
        "reward": {"shaping": round(shaping, 6), "bonus": bonus, "invalid_action": -penalty, "unsafe": -unsafe},
    }
    changes = {}
    if ended:
        changes = {"score": evaluation.potential, "success": evaluation.success,
                   "score_breakdown": evaluation.breakdown(details=True)}
    return StepReward(value, info, changes, before.extended(action=this_action, route=this_route or "",
                                                            potential=evaluation.potential, violated=info["violated"],
                                                            audited=audited))


def _audited(episode, before: Trajectory) -> bool | None:
    """Whether the episode's steps, this one included, recorded audit events (None: not known here).

    Most steps only read the chart, and reading the events back was about 7% of a busy server's time for none.
    Known only in an API-mode episode, whose steps are the only writers and record in this thread (an episode's
    browser writes from the server's other requests); from its first step on, as this process kept it."""
    recorded = step_recorded()
    if recorded:
        return True
    if episode.mode != Episode.Mode.API or recorded is None:
        return before.audited or None
    return before.audited
