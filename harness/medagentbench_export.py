"""MedAgentBench's task file for this population: the ten MedAgentBench-category templates' instances, each as
MedAgentBench's harness reads a task (`id`, `instruction`, `context`, `sol`, `eval_MRN`), so that harness can
run against this EHR's FHIR base (/fhir/r4/). Instances are rendered from the golden database (what a reset
would ask), and `sol` holds the answers the task's rubric expects, where it asks for any."""

import re
from collections.abc import Iterator

from harness.instances import InstanceError, instance_preview
from harness.models import Task
from harness.selectors import tasks_published

CATEGORY = re.compile(r"MedAgentBench category (\d+)\b")


def category_tasks() -> dict[int, Task]:
    """The published template of each MedAgentBench category (its description names the category)."""
    found: dict[int, Task] = {}
    for task in tasks_published().order_by("task_id"):
        match = CATEGORY.match(task.description or "")
        if match:
            found.setdefault(int(match.group(1)), task)
    return dict(sorted(found.items()))


def expected_answers(rubric: list) -> list:
    """The `expected` of every answer criterion, gates included, in rubric order."""
    answers = []
    for criterion in rubric:
        if criterion.get("kind") == "answer_matches":
            answers.append(criterion["expected"])
        answers += expected_answers(criterion.get("criteria", []))
    return answers


def medagentbench_tasks(*, per_category: int, seed: int = 0) -> Iterator[dict]:
    """`per_category` instances of each category, seeds `seed`, `seed` + 1, ... (a seed the chart cannot ask is
    skipped and the next one tried, up to three times as many)."""
    for number, task in category_tasks().items():
        made = 0
        for offset in range(per_category * 3):
            if made == per_category:
                break
            try:
                instance = instance_preview(task=task, seed=seed + offset)
            except (InstanceError, ValueError):
                continue
            made += 1
            yield {
                "id": f"task{number}_{made}",
                "instruction": instance.instruction,
                "context": "",  # EHRGym's instructions state their own clock where one matters
                "sol": expected_answers(instance.rubric),
                "eval_MRN": instance.patient_mrn,
                "ehrgym": {"task_id": task.task_id, "seed": instance.seed, "variant": instance.variant},
            }
