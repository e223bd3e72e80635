"""The task library as a dataset for GRPO: one row per (task, seed), train and held-out by seed.

Each row is `prompt` (the system message and an empty user message: the tool environment's
`reset` appends the task it starts), `task_id`, `seed` and `split`. Train rows take seeds
0..train_seeds-1 in the server's train split (`split="train"`); held-out rows take seeds from
HELDOUT_SEED_BASE on in its held-out split (`split="heldout"`, the instances `manage.py
evaluate` scores by default), so the two never share an instance. The server picks the
instance from (task, split, seed).
"""

from dataclasses import dataclass

from ehrgym_client import EHRGymClient, Task
from ehrgym_client.text import SYSTEM_PROMPT

HELDOUT_SEED_BASE = 1_000_000
# Tasks the tool environment can run: semantic actions (API mode) allowed.
SEMANTIC = ("semantic", "both")


class NoTasks(Exception):
    """No published task matches the filters."""


@dataclass(frozen=True)
class TaskFilter:
    task_ids: tuple[str, ...] = ()
    tier: str | None = None
    domain: str | None = None


def tasks_for(client: EHRGymClient, chosen: TaskFilter) -> list[Task]:
    tasks = [task for task in client.tasks(tier=chosen.tier, domain=chosen.domain)
             if task.allowed_actions in SEMANTIC]
    if chosen.task_ids:
        known = {task.task_id for task in tasks}
        missing = [task_id for task_id in chosen.task_ids if task_id not in known]
        if missing:
            raise NoTasks(f"Not a published task with semantic actions (tier/domain filters applied): "
                          f"{', '.join(missing)}")
        tasks = [task for task in tasks if task.task_id in chosen.task_ids]
    if not tasks:
        raise NoTasks(f"No published task with semantic actions matches tier={chosen.tier or '*'} "
                      f"domain={chosen.domain or '*'}.")
    return tasks


def task_rows(tasks: list[Task], *, seeds: range, split: str) -> list[dict]:
    prompt = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": ""}]
    return [{"prompt": prompt, "task_id": task.task_id, "seed": seed, "split": split}
            for seed in seeds for task in tasks]


def task_datasets(tasks: list[Task], *, train_seeds: int, heldout_seeds: int):
    """A DatasetDict with `train` and `heldout` (empty when heldout_seeds is 0)."""
    from datasets import Dataset, DatasetDict

    train = task_rows(tasks, seeds=range(train_seeds), split="train")
    heldout = task_rows(tasks, seeds=range(HELDOUT_SEED_BASE, HELDOUT_SEED_BASE + heldout_seeds), split="heldout")
    return DatasetDict({"train": Dataset.from_list(train), "heldout": Dataset.from_list(heldout)})
