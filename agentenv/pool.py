"""The warm pool: ready copies of the golden database, so a reset need not wait for one to be made.

A reset claims a copy (pool_claim) and schedules a refill after it commits; a refill makes copies
several at a time, up to a size that follows the reset rate (pool_target); a rebuilt golden
database drains the pool (pool_drain).
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from agentenv import snapshots
from agentenv.models import DatabaseCopy, Episode

logger = logging.getLogger(__name__)


def copy_info(row: DatabaseCopy) -> snapshots.DatabaseCopyInfo:
    """The copy a pool row stands for."""
    return snapshots.DatabaseCopyInfo(row.alias, row.name, row.vendor)


def _pool_rows():
    return DatabaseCopy.objects.filter(source=snapshots.golden_name(), vendor=snapshots.vendor())


def pool_target() -> int:
    """How many ready copies the pool should hold now: EHRGYM_POOL_SIZE when resets are rare, more when they come
    fast (as many as were asked for in the last demand window, so the next burst like it finds its copies ready),
    never more than EHRGYM_POOL_MAX_SIZE."""
    base = settings.EHRGYM_POOL_SIZE
    if base == 0:
        return 0
    since = timezone.now() - timedelta(seconds=settings.EHRGYM_POOL_DEMAND_WINDOW_SECONDS)
    recent = Episode.objects.filter(created_at__gte=since).count()
    return min(max(base, recent), settings.EHRGYM_POOL_MAX_SIZE)


_reserving = threading.Lock()


def _reserve(target: int) -> DatabaseCopy | None:
    """A pool row for one more copy (status CREATING), or None when the pool holds (or is making) `target`.
    Copies being created count, so refills running at once do not overshoot; the lock keeps this process's
    workers from both taking the last place."""
    with _reserving:
        if _pool_rows().count() >= target:
            return None
        info = snapshots.new_copy_info()
        return DatabaseCopy.objects.create(alias=info.alias, name=info.name, vendor=info.vendor,
                                           source=snapshots.golden_name())


def _make_copies(target: int) -> list[DatabaseCopy]:
    """One refill worker: reserve a place, make the copy, mark it ready, until the pool is full."""
    made = []
    try:
        while (row := _reserve(target)) is not None:
            info = copy_info(row)
            try:
                snapshots.copy_create(info)
            except Exception:
                DatabaseCopy.objects.filter(pk=row.pk).delete()
                snapshots.copy_drop(info)
                raise
            DatabaseCopy.objects.filter(pk=row.pk).update(status=DatabaseCopy.Status.READY)
            row.status = DatabaseCopy.Status.READY
            made.append(row)
    finally:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()  # a worker thread's connections end with it
    return made


def pool_refill(*, size: int | None = None) -> list[DatabaseCopy]:
    """Bring the pool to `size` copies (default: pool_target()), EHRGYM_POOL_REFILL_WORKERS copies at a time, and
    drop ready copies above it once demand has fallen; returns the new copies."""
    with snapshots.refill_lock():
        target = pool_target() if size is None else size
        shrink(target)
        missing = target - _pool_rows().count()
        workers = min(settings.EHRGYM_POOL_REFILL_WORKERS, missing)
        if workers <= 1:
            return _make_copies(target) if missing > 0 else []
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ehrgym-pool-copy") as executor:
            batches = [executor.submit(_make_copies, target) for _ in range(workers)]
        return [row for batch in batches for row in batch.result()]


def shrink(target: int) -> int:
    """Drop ready copies beyond `target` (the disk a burst's copies took, once the burst is over)."""
    dropped = 0
    while _pool_rows().filter(status=DatabaseCopy.Status.READY).count() > target:
        row = pool_claim()
        if row is None:
            break
        snapshots.copy_drop(copy_info(row))
        dropped += 1
    return dropped


def pool_claim(*, episode: Episode | None = None) -> DatabaseCopy | None:
    """Take a ready copy out of the pool, or None if it is empty. With an episode, the copy passes to it in the
    same transaction: the reaper never sees it referenced by nothing.

    Resets racing for copies each get one while any is ready. On PostgreSQL, SKIP LOCKED hands each a row no other
    claim holds; elsewhere (SQLite, which ignores row locks and serializes writes) a claim that loses a row to
    another tries the next. Claims used to look at the first 8 ready rows only and give up when other claims took
    those 8 first: in a burst of 32 resets, most then copied the golden database cold with 20 copies ready."""
    while True:
        with transaction.atomic(using="default"):
            row = (_pool_rows().filter(status=DatabaseCopy.Status.READY).order_by("pk")
                   .select_for_update(skip_locked=True).first())
            if row is None:
                return None
            # A conditional delete: of two claims racing for this copy, exactly one deletes it.
            if DatabaseCopy.objects.filter(pk=row.pk, status=DatabaseCopy.Status.READY).delete()[0]:
                if episode is not None:
                    Episode.objects.filter(pk=episode.pk).update(database_alias=row.alias, database_name=row.name)
                return row


def pool_drain() -> int:
    """Drop every ready copy (e.g. after the golden database was rebuilt)."""
    dropped = 0
    while (row := pool_claim()) is not None:
        snapshots.copy_drop(copy_info(row))
        dropped += 1
    return dropped


_background_refill = threading.Lock()
# Set by every reset that asks for a refill; the running refill goes round again while it is set. A refill sizes
# the pool once, when it starts: resets that came while it ran (a burst's) would otherwise find the pool sized for
# the demand before them, and no refill after the last of them would size it again.
_refill_wanted = threading.Event()


# A refill waits for a burst of resets to pass (no reset for REFILL_SETTLE_S, at most REFILL_SETTLE_MAX_S) while the
# pool still has ready copies: copies made beside a burst take the CPU and disk its resets need.
REFILL_SETTLE_S = 0.3
REFILL_SETTLE_MAX_S = 3.0


def _burst_settled() -> None:
    """Return once no reset came for REFILL_SETTLE_S, in this process or any other (a web process only hears its
    own resets: with two, one could start refilling, and forcing checkpoints, while the other still served the
    burst), or the pool is empty, or REFILL_SETTLE_MAX_S passed."""
    deadline = time.monotonic() + REFILL_SETTLE_MAX_S
    while time.monotonic() < deadline and _pool_rows().filter(status=DatabaseCopy.Status.READY).exists():
        _refill_wanted.clear()
        if _refill_wanted.wait(REFILL_SETTLE_S):
            continue
        quiet_since = timezone.now() - timedelta(seconds=REFILL_SETTLE_S)
        if not Episode.objects.filter(created_at__gte=quiet_since).exists():
            return


def _refill_in_background() -> None:
    """Without a Celery broker tasks run in-process: refilling inline would make every
    reset wait for a new copy, which the pool exists to avoid. One thread at a time."""
    _refill_wanted.set()
    if not _background_refill.acquire(blocking=False):
        return  # the running refill sees the request and refills again

    def run():
        from agentenv.tasks import pool_refill as pool_refill_task

        try:
            while _refill_wanted.is_set():
                _burst_settled()
                _refill_wanted.clear()
                try:
                    pool_refill_task.apply()
                except Exception:
                    logger.exception("warm pool refill failed")
        finally:
            connections.close_all()
            _background_refill.release()
        if _refill_wanted.is_set():  # asked for between the last round and the release
            _refill_in_background()

    threading.Thread(target=run, name="ehrgym-pool-refill", daemon=True).start()


def schedule_pool_refill() -> None:
    if settings.EHRGYM_POOL_SIZE == 0:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.EHRGYM_POOL_REFILL_IN_BACKGROUND:
        transaction.on_commit(_refill_in_background, using="default")
        return
    transaction.on_commit(_send_refill, using="default")


def _send_refill() -> None:
    """Ask a Celery worker to top the pool up. With the broker (Redis) down, the reset that asked has
    its episode all the same: the pool is not refilled, and later resets copy the golden database
    themselves until the broker is back."""
    from agentenv.tasks import pool_refill as pool_refill_task

    try:
        pool_refill_task.apply_async(retry=False)  # no retries: a reset must not wait on a dead broker
    except Exception as error:
        logger.warning("the warm pool cannot be refilled: the Celery broker is unreachable (%s)", error)
