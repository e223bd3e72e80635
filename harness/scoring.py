"""Score an episode's current state against its instance's rubric.

The environment calls this after every step (agentenv.rewards), with the episode's
database bound, the trajectory so far and the final answer if there is one. Rewards
are built on top of the Evaluation: see agentenv/rewards.py for the formula.
"""

from harness.rubrics import Evaluation, RubricContext, rubric_evaluate, rubric_parse


def instance_evaluate(*, instance: dict, answer: str | None, actions: list[dict], routes: list[str],
                      unaudited: bool = False) -> Evaluation:
    """`instance`: an Instance as JSON (Episode.task_instance). `unaudited`: the caller knows the episode recorded
    no audit event (its criteria read none, without a query)."""
    ctx = RubricContext(
        patient_mrn=instance["patient_mrn"], answer=answer, actions=actions, routes=routes, params=instance["params"],
        unaudited=unaudited,
    )
    return rubric_evaluate(rubric_parse(instance["rubric"]), ctx)
