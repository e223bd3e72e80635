"""The harness as the environment's task library (agentenv.task_source), registered in HarnessConfig.ready()."""

from agentenv.task_source import TaskUnavailable
from harness import instances
from harness.scoring import instance_evaluate


class HarnessTaskSource:
    """Instances drawn from the harness's tasks and scored by their rubrics."""

    def plan(self, *, task_id: str, seed: int | None, patient_mrn: str, mode: str, split: str,
             allow_draft: bool) -> instances.Plan:
        return instances.instance_plan(task_id=task_id, seed=seed, patient_mrn=patient_mrn, mode=mode, split=split,
                                       allow_draft=allow_draft)

    def render(self, *, plan: instances.Plan) -> instances.Instance:
        try:
            return instances.instance_render(plan=plan)
        except instances.InstanceError as error:
            raise TaskUnavailable(str(error)) from error

    def evaluate(self, *, instance: dict, answer: str | None, actions: list[dict], routes: list[str],
                 unaudited: bool = False):
        return instance_evaluate(instance=instance, answer=answer, actions=actions, routes=routes,
                                 unaudited=unaudited)
