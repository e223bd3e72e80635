"""Serve EHRGym: `make run`, `scripts/entrypoint.sh web` and the benches start the web server here.

    python -m ehrsite.serve [--processes N] [-b BIND] [-p PORT]

The server is uvicorn with httptools and uvloop (UVICORN_CONFIG). It replaced Daphne, whose Twisted reactor cost
each request about a millisecond more of the one core a Python process can use. Measured one after the other on
2 cores (bench/http_bench.py, PostgreSQL, one process): a task step's p50 went from 21.4 to 17.0 ms, a burst of 32
resets from 451 to 386 ms, and 64 agents thinking 1 s between steps from p99 985 to 861 ms.

One Python process uses one core (the GIL), so on a machine with more, one process per core steps more episodes
at once: with --processes N, this process binds the port and starts N server processes that accept on that same
socket (each `python -m ehrsite.serve --fd`, run_server); the kernel hands each new connection to one of them. It
restarts one that dies and stops them all on SIGTERM or SIGINT. With one process it runs the server itself.

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


def run_server(*, bind: str = "127.0.0.1", port: int = 8000, fd: int | None = None) -> None:
    """uvicorn in this process, on bind:port or on the listening socket `fd` (a supervisor's), until SIGTERM or
    SIGINT.

    uvicorn raises the signal it stopped on again once it has shut down. With SIGTERM's default handler that ended
    the process at once, before its atexit handlers ran: the episodes' browsers were not quit nor their profiles
    removed, and the dropper's last DROP DATABASEs were not made. This handler, which uvicorn puts back before
    raising the signal, makes that a normal exit instead.

    The supervisor's socket is handed over as a socket object, not as uvicorn's --fd: that takes any descriptor
    for a Unix socket, so no connection got TCP_NODELAY, and every answer waited about 40 ms for the client's
    delayed ACK (a step of 17 ms took 64)."""
    import uvicorn

    signal.signal(signal.SIGTERM, _exit_normally)
    application = _application_with_quiet_gc()
    if fd is None:
        uvicorn.Server(uvicorn.Config(application, host=bind, port=port, **UVICORN_CONFIG)).run()
    else:
        uvicorn.Server(uvicorn.Config(application, **UVICORN_CONFIG)).run(sockets=[socket.socket(fileno=fd)])


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


def listening_socket(bind: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((bind, port))
    listener.listen(1024)
    listener.set_inheritable(True)
    return listener


def _die_with_parent() -> None:
    """In each server process: Linux sends it SIGTERM when this process dies, even killed."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Supervisor:
    """N server processes on one listening socket, restarted when one dies, stopped together."""

    def __init__(self, listener: socket.socket, processes: int):
        self.command = [sys.executable, "-m", "ehrsite.serve", "--processes", "1", "--fd", str(listener.fileno())]
        self.fileno = listener.fileno()
        self.count = processes
        self.children: dict[int, tuple[subprocess.Popen, float]] = {}
        self.stopping = False
        self.crashes = 0

    def start_one(self) -> None:
        # Each process takes its share of the server's connections (ehrsite/connection_budget.py).
        env = {**os.environ, "EHRGYM_WEB_PROCESSES": str(self.count)}
        child = subprocess.Popen(self.command, pass_fds=[self.fileno], preexec_fn=_die_with_parent, env=env)
        self.children[child.pid] = (child, time.monotonic())

    def stop(self, *_signal) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for _ in range(self.count):
            self.start_one()
        status = 0
        while not self.stopping:
            time.sleep(0.5)
            for pid, (child, started) in list(self.children.items()):
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
                self.start_one()
        self._stop_children()
        return status

    def _stop_children(self) -> None:
        for child, _ in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 30
        for child, _ in self.children.values():
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
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # the supervisor's socket, for its processes
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
        run_server(bind=args.bind, port=args.port, fd=args.fd)
        return 0
    try:
        listener = listening_socket(args.bind, args.port)
    except OSError as error:
        print(f"ehrsite.serve: cannot listen on {args.bind}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    return Supervisor(listener, args.processes).run()


if __name__ == "__main__":
    sys.exit(main())
