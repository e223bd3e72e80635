"""Serve EHRGym: `make run`, `scripts/entrypoint.sh web` and the benches start the web server here.

    python -m ehrsite.serve [--processes N] [-b BIND] [-p PORT]

The server is uvicorn with httptools and uvloop (UVICORN_CONFIG). It replaced Daphne, whose Twisted reactor cost
each request about a millisecond more of the one core a Python process can use. Measured one after the other on
2 cores (bench/http_bench.py, PostgreSQL, one process): a task step's p50 went from 21.4 to 17.0 ms, a burst of 32
resets from 451 to 386 ms, and 64 agents thinking 1 s between steps from p99 985 to 861 ms.

One Python process uses one core (the GIL), so on a machine with more, one process per core steps more episodes
at once: with --processes N, this process holds the port and starts N server processes, each listening on it with
SO_REUSEPORT (`python -m ehrsite.serve --reuse-port`, run_server); the kernel hands each new connection to one of
them, spread evenly by its addresses. It restarts one that dies and stops them all on SIGTERM or SIGINT. With one
process it runs the server itself.

Why not one listening socket shared by the processes: a process woken by new connections accepts every one that
waits, so a burst of agents connecting at once went mostly to one process (39 and 25 of 64). The processes also
keep their connections spread evenly afterwards (ehrsite/connection_balance.py).

Several processes need what lets any of them take any request (README, "Scale out"): PostgreSQL (DATABASE_URL),
since episodes live in the database, and a Selenium Grid (EHRGYM_SELENIUM_REMOTE_URL) for browser episodes,
since a local Chromium belongs to the process that started it and a client cannot choose the process its next
request reaches; or no browser episodes at all (EHRGYM_MAX_BROWSER_EPISODES=0).
"""

import argparse
import ctypes
import gc
import os
import signal
import socket
import subprocess
import sys
import time

from ehrsite import connection_balance
from ehrsite.databases import is_postgres_url

UVICORN_CONFIG = {
    "http": "httptools", "loop": "uvloop",
    # uvicorn's own implementation on the websockets library (the legacy one warns at every start that it goes).
    "ws": "websockets-sansio",
    # The server's own WebSocket limit sits above the environment's (EHRGYM_MAX_WS_MESSAGE_BYTES), which answers a
    # larger message with a message and close code 4413 instead of a dropped connection.
    "ws_max_size": 16 * 2**20,
    # ASGI lifespan events: Channels' router has no handler for them, and /mcp starts its session manager itself.
    "lifespan": "off",
    # As Daphne did: X-Forwarded-* headers are Django's business (SECURE_PROXY_SSL_HEADER), not the server's.
    "proxy_headers": False,
    # An agent waiting for its model keeps its connection between steps; uvicorn's default closes it after 5 s.
    "timeout_keep_alive": 600,
}


def _exit_normally(signum, frame) -> None:
    raise SystemExit(0)


def run_server(*, bind: str = "127.0.0.1", port: int = 8000, reuse_port: bool = False) -> None:
    """uvicorn in this process on bind:port (with SO_REUSEPORT, as one of a supervisor's processes), until SIGTERM
    or SIGINT.

    uvicorn raises the signal it stopped on again once it has shut down. With SIGTERM's default handler that ended
    the process at once, before its atexit handlers ran: the episodes' browsers were not quit nor their profiles
    removed, and the dropper's last DROP DATABASEs were not made. This handler, which uvicorn puts back before
    raising the signal, makes that a normal exit instead.

    The listening socket is handed to uvicorn as a socket object, not as its --fd: that takes any descriptor for a
    Unix socket, so no connection got TCP_NODELAY, and every answer waited about 40 ms for the client's delayed ACK
    (a step of 17 ms took 64)."""
    import uvicorn

    signal.signal(signal.SIGTERM, _exit_normally)
    # One of a supervisor's processes: its connections are spread evenly with the others'.
    application = connection_balance.from_environment(_application_with_quiet_gc())
    config = {**UVICORN_CONFIG, "access_log": access_log_wanted()}
    if not reuse_port:
        uvicorn.Server(uvicorn.Config(application, host=bind, port=port, **config)).run()
        return
    server = uvicorn.Server(uvicorn.Config(application, **config))
    if isinstance(application, connection_balance.ConnectionBalance):
        application.start(lambda: len(server.server_state.connections))
    server.run(sockets=[port_socket(bind, port, listen=True)])


def access_log_wanted(environ=os.environ) -> bool:
    """uvicorn's access log (a line at level INFO per request) unless EHRGYM_LOG_LEVEL asks for less than INFO.

    Writing it took about 3% of a busy server's time (py-spy, 48 agents stepping), for lines a level of WARNING
    or ERROR says nobody wants."""
    level = (environ.get("EHRGYM_LOG_LEVEL") or "INFO").strip().upper()
    return level in ("INFO", "DEBUG", "NOTSET")


# The collector's thresholds in the server (Python's defaults: 700, 10, 10).
GC_THRESHOLDS = (3000, 20, 50)


def _application_with_quiet_gc():
    """The ASGI application, loaded, with what loading it made out of the garbage collector's way.

    Loading Django and the project leaves some 190,000 objects that live as long as the process, and each full
    collection went through all of them: measured under 8 agents on PostgreSQL, 3 full collections in 400 steps,
    each stopping every request for about 300 ms. Frozen once loaded (gc.freeze), they are left out. A step also
    makes thousands of short-lived objects: the young generations are collected less often. With the one-hop
    handler (ehrsite/asgi_handler.py) the server's CPU per step went from 15.0 to 13.4 ms."""
    from ehrsite.asgi import application

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return application


# A process that dies within this many seconds of starting is crashing, not failing once: the server stops.
CRASH_WINDOW_S = 10
CRASHES_ALLOWED = 3


def refusal(processes: int, environ) -> str | None:
    """Why `processes` web processes cannot share a port with this configuration (None if they can)."""
    if processes < 1:
        return f"--processes must be at least 1; got {processes}."
    if processes == 1:
        return None
    if not is_postgres_url(environ.get("DATABASE_URL", "")):
        return ("Several web processes need PostgreSQL (DATABASE_URL=postgres://...): the embedded SQLite database "
                "serves one process. Use --processes 1, or set DATABASE_URL.")
    if not environ.get("EHRGYM_SELENIUM_REMOTE_URL") and environ.get("EHRGYM_MAX_BROWSER_EPISODES") != "0":
        return ("Several web processes need a Selenium Grid for browser episodes (EHRGYM_SELENIUM_REMOTE_URL): a "
                "local Chromium belongs to the process that started it, and a request may reach any process. Set "
                "EHRGYM_SELENIUM_REMOTE_URL, or EHRGYM_MAX_BROWSER_EPISODES=0 for API episodes only, or use "
                "--processes 1.")
    return None


def port_socket(bind: str, port: int, *, listen: bool) -> socket.socket:
    """A socket on bind:port that the server's processes share with SO_REUSEPORT: listening (a server process), or
    only bound (the supervisor: it keeps the port while its processes come and go, and the kernel hands a socket
    that does not listen no connection)."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    if not listen:
        # Taken by anything (another server of the same user, sharing it with SO_REUSEPORT, too): refused.
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((bind, port))
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((bind, port))
    if listen:
        sock.listen(1024)
    return sock


def _die_with_parent() -> None:
    """In each server process: Linux sends it SIGTERM when this process dies, even killed."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Supervisor:
    """N server processes on one port, restarted when one dies, stopped together."""

    def __init__(self, bind: str, port: int, processes: int):
        self.command = [sys.executable, "-m", "ehrsite.serve", "--processes", "1", "--reuse-port",
                        "-b", bind, "-p", str(port)]
        self.count = processes
        self.children: dict[int, tuple[subprocess.Popen, float, int]] = {}  # pid -> (process, started, its slot)
        self.stopping = False
        self.crashes = 0
        # Each process's connection count, so that they spread evenly (ehrsite/connection_balance.py).
        self.connections = connection_balance.ConnectionTable.create(processes)

    def start_one(self, slot: int) -> None:
        self.connections.set(slot, 0)
        env = {
            **os.environ,
            # Each process takes its share of the server's PostgreSQL connections (ehrsite/connection_budget.py).
            "EHRGYM_WEB_PROCESSES": str(self.count),
            connection_balance.TABLE_FD_ENV: f"{self.connections.fd}:{self.count}",
            connection_balance.SLOT_ENV: str(slot),
        }
        child = subprocess.Popen(self.command, pass_fds=[self.connections.fd], preexec_fn=_die_with_parent, env=env)
        self.children[child.pid] = (child, time.monotonic(), slot)

    def stop(self, *_signal) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for slot in range(self.count):
            self.start_one(slot)
        status = 0
        while not self.stopping:
            time.sleep(0.5)
            for pid, (child, started, slot) in list(self.children.items()):
                if child.poll() is None:
                    continue
                del self.children[pid]
                if self.stopping:
                    break
                quick = time.monotonic() - started < CRASH_WINDOW_S
                self.crashes = self.crashes + 1 if quick else 0
                print(f"ehrsite.serve: web process {pid} exited with {child.returncode}; starting another",
                      file=sys.stderr, flush=True)
                if self.crashes >= CRASHES_ALLOWED:
                    print(f"ehrsite.serve: web processes keep dying within {CRASH_WINDOW_S} s of starting; stopping",
                          file=sys.stderr, flush=True)
                    self.stopping, status = True, 1
                    break
                self.start_one(slot)
        self._stop_children()
        return status

    def _stop_children(self) -> None:
        for child, _, _ in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 30
        for child, _, _ in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehrsite.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=None,
                        help="server processes sharing the port (default: EHRGYM_WEB_PROCESSES, else 1)")
    parser.add_argument("-b", "--bind", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=8000)
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # a supervisor's process
    args = parser.parse_args(argv)
    if args.processes is None:
        try:
            args.processes = int(os.environ.get("EHRGYM_WEB_PROCESSES") or 1)
        except ValueError:
            print(f"ehrsite.serve: EHRGYM_WEB_PROCESSES must be a whole number; got "
                  f"{os.environ['EHRGYM_WEB_PROCESSES']!r}", file=sys.stderr)
            return 2
    why = refusal(args.processes, os.environ)
    if why:
        print(f"ehrsite.serve: {why}", file=sys.stderr)
        return 2
    if args.processes == 1:
        run_server(bind=args.bind, port=args.port, reuse_port=args.reuse_port)
        return 0
    try:
        # Held until the server stops: no other program takes the port while a process is replaced.
        held = port_socket(args.bind, args.port, listen=False)
    except OSError as error:
        print(f"ehrsite.serve: cannot listen on {args.bind}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        return Supervisor(args.bind, args.port, args.processes).run()
    finally:
        held.close()


if __name__ == "__main__":
    sys.exit(main())
