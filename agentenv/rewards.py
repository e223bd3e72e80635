"""Step rewards.

The task harness will compute rewards from a rubric over the episode's database
(potential-based: change in weighted progress, plus a success bonus, minus
penalties). Until it exists there is no task-specific signal, so the reward is 0
for every step except a penalty for an agent's invalid or failing action. This
function is the seam the harness replaces; `step_reward` stays the one call site.
"""

INVALID_ACTION_PENALTY = 0.05


def step_reward(*, episode, step_index: int, agent_error: bool) -> float:
    """Reward of step `step_index` of `episode` (its database is bound while this runs)."""
    return -INVALID_ACTION_PENALTY if agent_error else 0.0
