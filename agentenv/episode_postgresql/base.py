"""Django's PostgreSQL backend for episode copies, with a connection kept per copy between requests.

Every request of an episode (a step, a FHIR read, a reset rendering its task) opens the copy's database, and its
connection is closed when the work ends (routing.bind_alias): PostgreSQL forks a server process for each new
connection, 5 to 8 ms on two cores, often more than the step's own queries. Here a connection Django closes goes
back on a process-wide shelf under its alias, idle and in autocommit, and the episode's next request takes it.

The shelf is bounded: at most EHRGYM_EPISODE_IDLE_CONNECTIONS connections wait on it, none waits longer than
EHRGYM_EPISODE_IDLE_CONNECTION_SECONDS, and dropping a copy closes what waits for it (snapshots.unregister). So a
server's connections stay at its request limit's two per request plus this bound (issue 16's connection budget),
and a copy dropped by another process (DROP ... WITH (FORCE)) leaves nothing here for long.

When one more comes back than the shelf holds, the least recently used is closed, unless it was put back less than
ACTIVE_SECONDS ago: then every connection on the shelf belongs to an episode still stepping, and the one coming back
is closed instead. Closing the oldest there turns round-robin load into a new connection at every step: 64 agents
stepping back to back with room for 56 made 1,802 new connections in 1,920 steps (bench/http_bench.py). This way
the few episodes beyond the bound reconnect and the others keep theirs.
"""

import os
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg import IsolationLevel
from psycopg.pq import TransactionStatus

_shelf: OrderedDict[str, tuple[object, str, float]] = OrderedDict()  # alias -> (connection, database name, since)
_lock = threading.Lock()
# A forked child (a Celery prefork worker, a test's server process) must neither use nor close its parent's kept
# connections (closing sends PostgreSQL a Terminate on the socket they share): it keeps them, untouched, here.
_inherited: list = []
# A connection put back on the shelf this recently belongs to an episode still stepping (agents step every few
# seconds at most, while their model answers).
ACTIVE_SECONDS = 5.0


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()
    _inherited.extend(kept[0] for kept in _shelf.values())
    _shelf.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _reusable(connection) -> bool:
    return (not connection.closed and not connection.broken and connection.autocommit
            and connection.info.transaction_status == TransactionStatus.IDLE)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # a connection to a dropped database may already be gone
        pass


def shelve(alias: str, name: str, connection) -> bool:
    """Keep `connection` for the next request of `alias`; False if it cannot be kept (the caller closes it)."""
    limit = settings.EHRGYM_EPISODE_IDLE_CONNECTIONS
    if limit == 0 or not _reusable(connection):
        return False
    evicted, now = [], time.monotonic()
    with _lock:
        if alias in _shelf:
            evicted.append(_shelf.pop(alias)[0])  # one per copy: the newer stays
        evicted += _expired_locked()
        # The least recently used first, as long as it has been idle a while.
        while len(_shelf) >= limit and next(iter(_shelf.values()))[2] <= now - ACTIVE_SECONDS:
            evicted.append(_shelf.popitem(last=False)[1][0])
        kept = len(_shelf) < limit
        if kept:
            _shelf[alias] = (connection, name, now)
    for stale in evicted:
        _close_quietly(stale)
    return kept


def take(alias: str, name: str):
    """The connection kept for `alias` to the database `name`, or None."""
    with _lock:
        expired = _expired_locked()  # its own too, if it waited too long
        kept = _shelf.pop(alias, None)
    for stale in expired:
        _close_quietly(stale)
    if kept is None:
        return None
    connection, kept_name, _ = kept
    if kept_name != name or not _reusable(connection):
        _close_quietly(connection)
        return None
    return connection


def forget(alias: str) -> None:
    """Close the connection kept for `alias` (its copy is being dropped)."""
    with _lock:
        kept = _shelf.pop(alias, None)
    if kept is not None:
        _close_quietly(kept[0])


def kept_count() -> int:
    with _lock:
        return len(_shelf)


def _expired_locked() -> list:
    oldest = time.monotonic() - settings.EHRGYM_EPISODE_IDLE_CONNECTION_SECONDS
    stale = [alias for alias, (_, _, since) in _shelf.items() if since < oldest]
    return [_shelf.pop(alias)[0] for alias in stale]


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        kept = take(self.alias, self.settings_dict["NAME"])
        if kept is None:
            return super().get_new_connection(conn_params)
        # What the parent sets before connecting (episode copies never configure another isolation level).
        self.isolation_level = IsolationLevel.READ_COMMITTED
        return kept

    def _close(self):
        if self.connection is not None and shelve(self.alias, self.settings_dict["NAME"], self.connection):
            self.connection = None
            return None
        return super()._close()
