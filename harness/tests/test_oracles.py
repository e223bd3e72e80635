"""Every registered task, checked the same way (Gymnasium's test_envs, BrowserGym's test_cheat).

For each template of the library: its oracle reaches full success on sampled instances
through the real step path; the same seed gives the same instance; doing nothing scores
0 (on PostgreSQL, for a sample that has every criterion kind: see
templates_sampled_on_postgresql). A new template is covered by adding it to the library,
nothing more. Seeds per template: EHRGYM_HARNESS_ORACLE_SEEDS (default 10 on SQLite, against the
whole shipped population; 2 on PostgreSQL, whose pass checks the engine, not the library again).
"""

import os

import pytest
from django.conf import settings

from agentenv.rewards import SUCCESS_BONUS
from harness.library import library_load
from harness.models import Task
from harness.runner import task_run
from harness.tests.conftest import ENV_DBS, reset, template_ids, templates_sampled_on_postgresql

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]
SEEDS = range(int(os.environ.get("EHRGYM_HARNESS_ORACLE_SEEDS", "2" if ON_POSTGRESQL else "10")))


@pytest.mark.parametrize("task_id", template_ids())
def test_it_solves_every_template_with_its_oracle(alice, task_id):
    for seed in SEEDS:
        run = task_run(owner=alice, task_id=task_id, seed=seed)

        assert run.errors == [], f"{task_id} seed {seed}: {run.errors}"
        assert run.status == "terminated", f"{task_id} seed {seed} ended {run.status}"
        assert (run.score, run.success) == (1.0, True), f"{task_id} seed {seed}: {run.breakdown}"
        assert run.total_reward == pytest.approx(1.0 + SUCCESS_BONUS)


@pytest.mark.parametrize("task_id", template_ids())
def test_it_gives_the_same_instance_for_the_same_seed(alice, task_id):
    first, second = reset(alice, task_id, seed=11), reset(alice, task_id, seed=11)

    assert first.task_instance == second.task_instance
    assert first.instruction == second.instruction == first.task_instance["instruction"]
    assert first.patient_mrn == second.patient_mrn


@pytest.mark.parametrize("task_id", templates_sampled_on_postgresql(template_ids()))
def test_it_scores_doing_nothing_as_zero(alice, task_id):
    run = task_run(owner=alice, task_id=task_id, seed=0, policy=lambda instance: [{"type": "finish"}])

    assert (run.score, run.success, run.total_reward) == (0.0, False, 0.0)


@pytest.mark.parametrize("task_id", template_ids())
def test_it_keeps_every_template_valid_and_published(task_id):
    task = Task.objects.get(task_id=task_id)

    task.full_clean()
    assert task.is_published and task.source == Task.Source.LIBRARY
    assert library_load()[task_id].oracle == task.oracle
