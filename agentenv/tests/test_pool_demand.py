"""The warm pool follows demand: it grows to the number of recent resets (up to its maximum), is filled by several
workers without overshooting, and gives the disk back once the burst is over."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from agentenv import pool, snapshots
from agentenv.models import DatabaseCopy, Episode
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


def _episodes_created(owner, count: int) -> None:
    """Episodes as resets leave them (the pool counts resets by their episodes' creation time)."""
    Episode.objects.bulk_create(
        Episode(owner=owner, patient_mrn=MARIA_MRN, instruction="demand", step_limit=10, status=Episode.Status.CLOSED)
        for _ in range(count))


def _ready() -> int:
    return DatabaseCopy.objects.filter(status=DatabaseCopy.Status.READY).count()


def test_the_target_is_the_base_size_when_resets_are_rare(alice, settings):
    settings.EHRGYM_POOL_SIZE, settings.EHRGYM_POOL_MAX_SIZE = 3, 10
    _episodes_created(alice, 2)
    assert pool.pool_target() == 3


def test_the_target_follows_recent_resets_up_to_the_maximum(alice, settings):
    settings.EHRGYM_POOL_SIZE, settings.EHRGYM_POOL_MAX_SIZE = 2, 6
    _episodes_created(alice, 5)
    assert pool.pool_target() == 5
    _episodes_created(alice, 5)
    assert pool.pool_target() == 6


def test_resets_older_than_the_window_no_longer_count(alice, settings):
    settings.EHRGYM_POOL_SIZE, settings.EHRGYM_POOL_MAX_SIZE = 1, 10
    settings.EHRGYM_POOL_DEMAND_WINDOW_SECONDS = 60
    _episodes_created(alice, 7)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert pool.pool_target() == 1


def test_a_pool_of_zero_stays_off_whatever_the_demand(alice, settings):
    settings.EHRGYM_POOL_SIZE, settings.EHRGYM_POOL_MAX_SIZE = 0, 10
    _episodes_created(alice, 5)
    assert pool.pool_target() == 0


def test_several_workers_fill_the_pool_to_its_target_exactly(alice, settings):
    settings.EHRGYM_POOL_SIZE, settings.EHRGYM_POOL_MAX_SIZE, settings.EHRGYM_POOL_REFILL_WORKERS = 1, 10, 3
    _episodes_created(alice, 5)

    made = pool.pool_refill()

    assert len(made) == 5 and _ready() == 5
    assert len({row.alias for row in made}) == 5
    assert pool.pool_refill() == []  # full: a second refill makes nothing


def test_the_pool_shrinks_back_once_the_burst_is_over(alice, settings):
    settings.EHRGYM_POOL_SIZE, settings.EHRGYM_POOL_MAX_SIZE, settings.EHRGYM_POOL_REFILL_WORKERS = 2, 10, 2
    _episodes_created(alice, 4)
    pool.pool_refill()
    assert _ready() == 4

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.EHRGYM_POOL_DEMAND_WINDOW_SECONDS + 1)):
        assert pool.pool_refill() == []

    assert _ready() == 2
    pool.pool_drain()


def test_resets_claiming_at_once_each_get_a_ready_copy():
    """A burst's claims race for the same rows. Each must get a copy while any is ready: claims used to give up
    after losing the first 8 ready rows to others, and those resets copied the golden database cold."""
    claims = 24
    for _ in range(claims):
        info = snapshots.new_copy_info()  # rows only: claiming never touches the copy itself
        DatabaseCopy.objects.create(alias=info.alias, name=info.name, vendor=info.vendor,
                                    source=snapshots.golden_name(), status=DatabaseCopy.Status.READY)
    barrier, claimed, errors = threading.Barrier(claims), [], []

    def claim():
        try:
            barrier.wait()
            claimed.append(pool.pool_claim())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim) for _ in range(claims)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert None not in claimed
    assert len({row.alias for row in claimed}) == claims
    assert _ready() == 0


def test_resets_during_a_background_refill_get_a_refill_after_it(monkeypatch):
    """A refill sizes the pool when it starts. Resets that come while it runs (a burst's) must get another refill
    once it ends, or the pool stays sized for the demand before them: it stayed at 4 after 32 resets."""
    gate, first_started, rounds = threading.Event(), threading.Event(), []

    def refill():
        rounds.append(len(rounds) + 1)
        first_started.set()
        gate.wait(10)
        return []

    monkeypatch.setattr(pool, "pool_refill", refill)
    pool._refill_in_background()
    assert first_started.wait(10)
    pool._refill_in_background()  # two resets while the first refill runs: one more round covers both
    pool._refill_in_background()
    gate.set()

    deadline = time.monotonic() + 10
    while (pool._background_refill.locked() or pool._refill_wanted.is_set()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rounds == [1, 2]


@pytest.mark.skipif(snapshots.vendor() != "postgresql", reason="refills of several processes meet on PostgreSQL")
def test_one_refill_at_a_time_across_processes():
    """Each copy made with FILE_COPY forces two checkpoints: refills of several web processes side by side multiplied
    them. A second refill waits for the first (its own PostgreSQL connection, as another process's would be)."""
    order = []
    holding, release = threading.Event(), threading.Event()

    def first():
        with snapshots.refill_lock():
            order.append("first in")
            holding.set()
            release.wait(10)
            order.append("first out")

    def second():
        holding.wait(10)
        with snapshots.refill_lock():
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the second is waiting for the lock by now
    assert order == ["first in"]
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["first in", "first out", "second in"]


def _refill_starts(monkeypatch) -> list[float]:
    """With one copy ready, the moments background refills start (the refill itself replaced by a recorder)."""
    info = snapshots.new_copy_info()
    DatabaseCopy.objects.create(alias=info.alias, name=info.name, vendor=info.vendor, source=snapshots.golden_name(),
                                status=DatabaseCopy.Status.READY)
    monkeypatch.setattr(pool, "REFILL_SETTLE_MAX_S", 30)
    started_at = []
    monkeypatch.setattr(pool, "pool_refill", lambda: started_at.append(time.monotonic()) or [])
    return started_at


def _wait_for_a_start(started_at: list[float]) -> None:
    deadline = time.monotonic() + 10
    while not started_at and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_background_refill_waits_for_a_burst_to_pass_while_copies_are_ready(monkeypatch):
    """Copies made beside a burst take the CPU and disk its resets need: while the pool has ready copies, the refill
    starts once resets stop coming (at most REFILL_SETTLE_MAX_S later)."""
    started_at = _refill_starts(monkeypatch)

    for _ in range(10):  # a burst: a reset every 0.1 s, each asking for a refill
        pool._refill_in_background()
        last_request = time.monotonic()
        time.sleep(pool.REFILL_SETTLE_S / 3)
    _wait_for_a_start(started_at)

    assert len(started_at) == 1 and started_at[0] >= last_request


def test_a_background_refill_also_waits_for_the_resets_other_processes_serve(alice, monkeypatch):
    """A web process hears only its own resets: with two, one refilled while the other still served the burst."""
    started_at = _refill_starts(monkeypatch)

    pool._refill_in_background()  # one reset here; the rest of the burst reaches another process
    for _ in range(10):
        _episodes_created(alice, 1)
        last_reset = time.monotonic()
        time.sleep(pool.REFILL_SETTLE_S / 3)
    _wait_for_a_start(started_at)

    assert len(started_at) == 1 and started_at[0] >= last_reset
