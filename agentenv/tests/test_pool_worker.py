"""The warm pool is refilled by a real Celery worker over a real Redis broker."""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connections

from agentenv import snapshots
from agentenv.models import DatabaseCopy
from agentenv.tests.conftest import EPISODE_DBS, start
from conftest import forget_celery_connections, require_service
from ehrsite.celery import app as celery_app

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden"), pytest.mark.slow]

REDIS_URL = os.environ.get("EHRGYM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False




@pytest.fixture
def worker(settings):
    """A `celery -A ehrsite worker` process on its own queue, stopped at the end."""
    require_service(_redis_available(), f"Redis at {REDIS_URL}")
    queue = f"ehrgym-test-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "agentenv.tests.worker_settings",
        "EHRGYM_WORKER_DEFAULT_NAME": str(connections.settings["default"]["NAME"]),
        "EHRGYM_WORKER_GOLDEN_NAME": snapshots.golden_name(),
        "EHRGYM_EPISODE_DIR": str(settings.EHRGYM_EPISODE_DIR),
        "EHRGYM_POOL_SIZE": "3",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "ehrsite", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    # This process sends to the same broker and queue for the duration of the test.
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    celery_app.conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    forget_celery_connections()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.EHRGYM_POOL_SIZE = 3
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


def test_it_refills_the_pool_in_a_celery_worker_after_a_reset(worker, alice):
    first = start(alice)  # cold: the pool is empty; its commit sends pool_refill to the worker
    assert not first.from_pool

    ready = lambda: DatabaseCopy.objects.filter(status=DatabaseCopy.Status.READY).count() == 3  # noqa: E731
    assert _wait_for(ready, timeout_s=60), "the worker did not fill the pool"
    assert worker.poll() is None

    second = start(alice)
    assert second.from_pool
    assert snapshots.copy_exists(snapshots.DatabaseCopyInfo(second.database_alias, second.database_name, snapshots.vendor()))
    # ... and the worker tops the pool up again.
    assert _wait_for(ready, timeout_s=60)
