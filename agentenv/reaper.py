"""The reaper in the server process, for the embedded default (no Redis, so no Celery beat).

With REDIS_URL set, Celery beat runs agentenv.episodes_reap every minute (settings.CELERY_BEAT_SCHEDULE).
Without it nothing else would: idle episodes would keep their databases and their slots until a reset
reaped them. ehrsite/asgi.py starts this thread when the server starts without Redis.
"""

import logging
import threading

from django.db import close_old_connections

logger = logging.getLogger(__name__)
_started: threading.Thread | None = None
_lock = threading.Lock()


def reap_once() -> int:
    """One pass of agentenv.close.episodes_reap (expired and half-created episodes, half-made and orphaned copies);
    returns how many episodes it closed or ended."""
    from agentenv.close import episodes_reap

    close_old_connections()
    try:
        return len(episodes_reap())
    finally:
        close_old_connections()


def _loop(interval_s: float, stop: threading.Event) -> None:
    # A pass at once, at start-up: a server killed mid-reset left episodes half created and copies nobody holds.
    wait = 0.0
    while not stop.wait(wait):
        wait = interval_s
        try:
            closed = reap_once()
            if closed:
                logger.info("reaper: closed %d expired episode(s)", closed)
        except Exception:  # a failed pass must not end the thread: the next one may succeed
            logger.exception("reaper: a pass failed")


def reaper_start(*, interval_s: float, stop: threading.Event | None = None) -> threading.Thread:
    """Reap every `interval_s` seconds in a daemon thread of this process (once per process)."""
    global _started
    with _lock:
        if _started is None or not _started.is_alive():
            _started = threading.Thread(target=_loop, args=(interval_s, stop or threading.Event()),
                                        name="ehrgym-reaper", daemon=True)
            _started.start()
        return _started
