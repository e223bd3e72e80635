"""The warm pool is refilled by a real Celery worker over a real Redis broker."""

import time

import pytest

from agentenv import snapshots
from agentenv.models import DatabaseCopy
from agentenv.tests.conftest import EPISODE_DBS, start
from conftest import celery_worker

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden"), pytest.mark.slow]


def _wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def worker(settings):
    """A one-process worker keeping a warm pool of 3 copies, as this process expects."""
    with celery_worker(settings, queue_prefix="ehrgym-test", worker_options=["--pool=solo"],
                       env={"EHRGYM_POOL_SIZE": "3"}) as process:
        settings.EHRGYM_POOL_SIZE = 3
        yield process


def test_it_refills_the_pool_in_a_celery_worker_after_a_reset(worker, alice):
    first = start(alice)  # cold: the pool is empty; its commit sends pool_refill to the worker
    assert not first.from_pool

    ready = lambda: DatabaseCopy.objects.filter(status=DatabaseCopy.Status.READY).count() == 3  # noqa: E731
    assert _wait_for(ready, timeout_s=60), "the worker did not fill the pool"
    assert worker.poll() is None

    second = start(alice)
    assert second.from_pool
    assert snapshots.copy_exists(
        snapshots.DatabaseCopyInfo(second.database_alias, second.database_name, snapshots.vendor()))
    # ... and the worker tops the pool up again.
    assert _wait_for(ready, timeout_s=60)
