"""`manage.py evaluate` through a real Redis broker and a real Celery worker subprocess."""

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.db import connections

from agentenv import snapshots
from conftest import forget_celery_connections, require_service
from ehrsite.celery import app as celery_app
from harness.models import Evaluation
from harness.tests.evaluation_support import evaluate

REDIS_URL = os.environ.get("EHRGYM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False




@pytest.fixture
def worker(chart, settings):
    """A `celery -A ehrsite worker` on its own queue, on this test's databases, stopped at the end."""
    require_service(_redis_available(), f"Redis at {REDIS_URL}")
    queue = f"ehrgym-eval-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "agentenv.tests.worker_settings",
        "EHRGYM_WORKER_DEFAULT_NAME": str(connections.settings["default"]["NAME"]),
        "EHRGYM_WORKER_GOLDEN_NAME": snapshots.golden_name(),
        "EHRGYM_EPISODE_DIR": str(settings.EHRGYM_EPISODE_DIR),
        "EHRGYM_POOL_SIZE": "0",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "ehrsite", "worker", "--pool=threads",
         "--concurrency=2", "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    celery_app.conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    forget_celery_connections()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield process
    finally:
        celery_app.conf.update(previous)
        forget_celery_connections()
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        redis.Redis.from_url(REDIS_URL).delete(queue)
        print(output[-4000:])


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
