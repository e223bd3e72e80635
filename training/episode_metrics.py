"""What each GRPO rollout did, and each step's figures, the monologue signal among them.

A rollout's completion is the model's turns and the tool results between them. From it
and from its tool environment's counts (EHRGymToolEnv.episode) come, per episode:

    tool_calls       tool calls the model wrote (parsed by TRL from its turns)
    valid_actions    of those, actions the episode carried out
    invalid_actions  tool_calls - valid_actions: refused by the server, malformed (unknown
                     tool, wrong arguments: TRL could not call it), after the episode ended,
                     or left unanswered when the tool-call budget ran out
    monologue        at most one tool call: the model talked instead of acting
    episode_return   sum of the step rewards (what get_reward gives GRPO), success: the rubric's verdict

`EpisodeLog.reward_function()` collects them: TRL calls reward functions with the
completions, the environments and `log_metric`; this one scores nothing (it returns None,
which TRL leaves out of the reward: the environment's get_reward is the reward) and logs
the batch's figures under `ehrgym/...`, which TRL averages per logged step.
"""

import math
from dataclasses import asdict, dataclass

MONOLOGUE_MAX_CALLS = 1


@dataclass(frozen=True)
class EpisodeRow:
    step: int
    task_id: str
    seed: int | None
    split: str | None
    episode_return: float
    success: bool
    terminated: bool
    truncated: bool
    tool_calls: int
    valid_actions: int
    invalid_actions: int
    assistant_turns: int

    @property
    def monologue(self) -> bool:
        return self.tool_calls <= MONOLOGUE_MAX_CALLS

    def as_json(self) -> dict:
        return {**asdict(self), "monologue": self.monologue}


def tool_calls_in(completion) -> tuple[int, int]:
    """(tool calls, assistant turns) in a completion: a list of messages (text completions have none)."""
    if not isinstance(completion, list):
        return 0, 1
    turns = [message for message in completion if message.get("role") == "assistant"]
    return sum(len(message.get("tool_calls") or []) for message in turns), len(turns)


def episode_row(*, step: int, completion, environment) -> EpisodeRow:
    stats = environment.episode
    calls, turns = tool_calls_in(completion)
    valid = stats.valid_actions if stats else 0
    return EpisodeRow(
        step=step, task_id=stats.task_id if stats else "", seed=stats.seed if stats else None,
        split=stats.split if stats else None, episode_return=stats.episode_return if stats else 0.0,
        success=bool(stats and stats.success), terminated=bool(stats and stats.terminated),
        truncated=bool(stats and stats.truncated), tool_calls=calls, valid_actions=valid,
        invalid_actions=max(0, calls - valid), assistant_turns=turns,
    )


def summary(rows: list[EpisodeRow]) -> dict:
    """The figures of a group of episodes (a step, a run)."""
    n = len(rows)
    if not n:
        return {"episodes": 0}
    returns = [row.episode_return for row in rows]
    mean = sum(returns) / n
    calls = sum(row.tool_calls for row in rows)
    return {
        "episodes": n,
        "reward_mean": round(mean, 4),
        "reward_std": round(math.sqrt(sum((r - mean) ** 2 for r in returns) / n), 4),
        "success_rate": round(sum(row.success for row in rows) / n, 4),
        "tool_calls_per_episode": round(calls / n, 4),
        "monologue_share": round(sum(row.monologue for row in rows) / n, 4),
        "invalid_action_rate": round(sum(row.invalid_actions for row in rows) / calls, 4) if calls else 0.0,
    }


class EpisodeLog:
    """Every rollout's EpisodeRow, in order, for the table and the report."""

    def __init__(self):
        self.rows: list[EpisodeRow] = []
        self.eval_rows: list[EpisodeRow] = []

    def reward_function(self):
        log = self

        def ehrgym_episode_stats(completions, environments=None, trainer_state=None, log_metric=None, **kwargs):
            # Training rollouts are for the step about to be taken; evaluation follows the step it evaluates.
            training = kwargs.get("split", ["train"])[0] != "heldout"
            step = (trainer_state.global_step if trainer_state is not None else 0) + training
            rows = [episode_row(step=step, completion=completion, environment=environment)
                    for completion, environment in zip(completions, environments or [], strict=True)]
            (log.rows if training else log.eval_rows).extend(rows)
            if log_metric is not None:
                for name, value in summary(rows).items():
                    log_metric(f"ehrgym/{name}", value)
            return [None] * len(completions)  # no score: the environment's get_reward is the reward

        return ehrgym_episode_stats
