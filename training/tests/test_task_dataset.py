"""The dataset builder: the task library as (prompt, task_id, seed, split) rows, split by seed."""

import pytest
from ehrgym_client import EHRGymClient
from ehrgym_client.text import SYSTEM_PROMPT

from training.task_dataset import HELDOUT_SEED_BASE, NoTasks, TaskFilter, task_rows, tasks_for

from .conftest import LATEST_RESULT


def test_it_turns_tasks_into_train_and_heldout_rows(server):
    with EHRGymClient(server.url, server.token) as client:
        tasks = tasks_for(client, TaskFilter(tier="skill", domain="laboratory-medicine"))
        assert LATEST_RESULT in {task.task_id for task in tasks} and {task.tier for task in tasks} == {"skill"}
        train = task_rows(tasks, seeds=range(3), split="train")
        heldout = task_rows(tasks, seeds=range(HELDOUT_SEED_BASE, HELDOUT_SEED_BASE + 2), split="heldout")

    assert len(train) == 3 * len(tasks) and len(heldout) == 2 * len(tasks)
    assert train[0]["prompt"] == [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": ""}]
    assert {row["split"] for row in train} == {"train"} and {row["split"] for row in heldout} == {"heldout"}
    assert not {row["seed"] for row in train} & {row["seed"] for row in heldout}


def test_it_builds_a_dataset_dict_when_datasets_is_installed(server):
    pytest.importorskip("datasets", reason="the training extras are not installed")
    from training.task_dataset import task_datasets

    with EHRGymClient(server.url, server.token) as client:
        tasks = tasks_for(client, TaskFilter(task_ids=(LATEST_RESULT,)))
    built = task_datasets(tasks, train_seeds=4, heldout_seeds=1)
    assert built["train"]["seed"] == [0, 1, 2, 3] and built["heldout"]["seed"] == [HELDOUT_SEED_BASE]
    assert set(built["train"].column_names) == {"prompt", "task_id", "seed", "split"}


def test_an_unknown_task_is_refused_by_name(server):
    with EHRGymClient(server.url, server.token) as client, pytest.raises(NoTasks, match="ehr/nope-v1"):
        tasks_for(client, TaskFilter(task_ids=("ehr/nope-v1",)))
