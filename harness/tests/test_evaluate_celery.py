"""`manage.py evaluate` through a real Redis broker and a real Celery worker subprocess."""

import pytest

from conftest import celery_worker
from harness.models import Evaluation
from harness.tests.evaluation_support import evaluate


@pytest.fixture
def worker(chart, settings):
    """A two-thread worker on this test's databases, with no warm pool."""
    with celery_worker(settings, queue_prefix="ehrgym-eval", worker_options=["--pool=threads", "--concurrency=2"],
                       env={"EHRGYM_POOL_SIZE": "0"}) as process:
        yield process


@pytest.mark.django_db(transaction=True)
def test_it_runs_the_episodes_in_a_celery_worker_with_the_same_results_as_threads(worker, tmp_path):
    keys = ("index", "task_id", "seed", "patient_mrn", "success", "score", "reward_sum", "steps", "failure")
    celery = evaluate(tmp_path / "celery", agent="random", episodes=3, seed=8)
    assert worker.poll() is None

    assert celery["data"]["evaluation"]["backend"] == Evaluation.Backend.CELERY
    assert celery["episodes"] == 3 and all(e["episode_id"] for e in celery["data"]["episodes"])
    threads = evaluate(tmp_path / "threads", agent="random", episodes=3, seed=8, backend="threads")
    assert [{k: e[k] for k in keys} for e in celery["data"]["episodes"]] == \
        [{k: e[k] for k in keys} for e in threads["data"]["episodes"]]
