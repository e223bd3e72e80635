"""Keep-alive connections spread evenly over the web processes sharing a port (python -m ehrsite.serve --processes N).

The kernel hands each new connection to whichever process accepts it first, and an agent keeps its connection for
its whole episode. Measured with 64 agents stepping back to back on two processes (2 cores, PostgreSQL), one process
held 39 connections and the other 25: the first one's agents waited longer, and step p99 was 1.6 s for a p50 of
0.65 s.

So each process publishes how many connections it holds in a table the supervisor shares with its processes (an
anonymous memory file, one 8-byte slot per process). A process holding more than its share (the table's mean,
rounded up, plus TOLERANCE) answers that many requests with `Connection: close`; those clients connect again, and
the new connection goes to whichever process accepts first, most often a less busy one. Nothing is lost: the
answer is whole, and HTTP clients open a new connection for their next request.
"""

import math
import mmap
import os
import struct
import threading
import time

SLOT = struct.Struct("q")
# How often a process publishes its count and decides how many connections to close.
INTERVAL_S = 0.2
# Connections a process may hold beyond the mean before it closes some: evenness within a request or two is enough.
TOLERANCE = 1
TABLE_FD_ENV, SLOT_ENV = "EHRGYM_CONNECTION_TABLE_FD", "EHRGYM_CONNECTION_SLOT"


class ConnectionTable:
    """The connections each web process holds, one slot each, in memory shared by the processes."""

    def __init__(self, fd: int, slots: int):
        self.fd, self.slots = fd, slots
        self._memory = mmap.mmap(fd, SLOT.size * slots)

    @classmethod
    def create(cls, slots: int) -> "ConnectionTable":
        """A new table (in the supervisor), its descriptor inheritable by the processes it starts."""
        fd = os.memfd_create("ehrgym-connections", 0)
        os.ftruncate(fd, SLOT.size * slots)
        os.set_inheritable(fd, True)
        return cls(fd, slots)

    def set(self, slot: int, count: int) -> None:
        SLOT.pack_into(self._memory, slot * SLOT.size, count)

    def counts(self) -> list[int]:
        return [SLOT.unpack_from(self._memory, slot * SLOT.size)[0] for slot in range(self.slots)]


class ConnectionBalance:
    """ASGI middleware of one web process: `Connection: close` on some answers while it holds more than its share.

    `held()` counts the connections this process holds; start() publishes it every INTERVAL_S."""

    def __init__(self, app, table: ConnectionTable, slot: int, held=None):
        self.app, self.table, self.slot, self.held = app, table, slot, held
        self._to_close = 0
        self._decided_at = 0.0

    def start(self, held) -> None:
        """Publish `held()` every INTERVAL_S, from a thread of its own (an idle process too must say it is idle)."""
        self.held = held

        def publish():
            while True:
                self.table.set(self.slot, held())
                time.sleep(INTERVAL_S)

        threading.Thread(target=publish, name="connection-balance", daemon=True).start()

    def excess(self) -> int:
        """Connections this process holds beyond its share of the table's total."""
        counts = self.table.counts()
        share = math.ceil(sum(counts) / len(counts))
        return max(0, counts[self.slot] - share - TOLERANCE)

    def _close_this_one(self) -> bool:
        now = time.monotonic()
        if now - self._decided_at >= INTERVAL_S:
            # Counted afresh at most once an interval: connections closed in the last one may not have moved yet.
            self._decided_at = now
            if self.held is not None:
                self.table.set(self.slot, self.held())
            self._to_close = self.excess()
        if self._to_close <= 0:
            return False
        self._to_close -= 1
        return True

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self._close_this_one():
            await self.app(scope, receive, send)
            return

        async def send_and_close(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_and_close)


def from_environment(app, environ=os.environ):
    """`app` balanced when the supervisor gave this process a slot of its table, else `app` itself."""
    if TABLE_FD_ENV not in environ or SLOT_ENV not in environ:
        return app
    fd, slots = (int(part) for part in environ[TABLE_FD_ENV].split(":"))
    return ConnectionBalance(app, ConnectionTable(fd, slots), int(environ[SLOT_ENV]))
