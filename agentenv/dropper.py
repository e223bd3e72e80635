"""Dropping closed episodes' PostgreSQL databases off the request path: one thread per process, one drop at a
time (each DROP DATABASE forces a checkpoint; running them one after another keeps a burst of closes from
flooding the disk while resets and steps go on). A process that exits normally (SIGTERM included) finishes its
drops first, for at most EXIT_WAIT_S; what a killed process leaves, the reaper drops (no unreleased episode holds
it)."""

import atexit
import logging
import queue
import threading

from agentenv import snapshots

logger = logging.getLogger(__name__)

EXIT_WAIT_S = 60


class Dropper:
    def __init__(self):
        self._queue: queue.Queue[snapshots.DatabaseCopyInfo] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def put(self, info: snapshots.DatabaseCopyInfo) -> None:
        """Drop this copy soon. Its alias is forgotten now: nothing in this process opens it again."""
        snapshots.unregister(info.alias)
        self._queue.put(info)
        with self._starting:
            # Not alive in a child forked after it started (threads do not survive a fork).
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ehrgym-dropper", daemon=True)
                self._thread.start()
                atexit.register(self.wait, EXIT_WAIT_S)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every copy put so far is dropped (True), or `timeout` s passed (False)."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            info = self._queue.get()
            try:
                snapshots.copy_drop(info)
            except Exception:  # the reaper drops it later: no unreleased episode holds it
                logger.exception("dropping %s failed", info.name)
            finally:
                self._queue.task_done()


dropper = Dropper()
