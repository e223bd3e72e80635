"""What the HTTP benchmarks share: a web server started as `make run` starts it (python -m ehrsite.serve), its
scratch PostgreSQL
databases, and percentiles. Not a benchmark itself (it prints no figures): the bench scripts import it."""

import contextlib
import ctypes
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def p50_p99(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p99": None, "n": 0}
    return {"p50": round(statistics.median(values), 1), "p99": round(pct(values, 0.99), 1), "n": len(values)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def machine() -> dict:
    """What the figures were measured on, and how busy it was."""
    return {"cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "cpu": platform.processor() or platform.machine(), "load_average_1m": round(os.getloadavg()[0], 2),
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def manage(env: dict, *args: str) -> str:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip()


def server_env(data_dir: Path, database_url: str | None = None) -> dict:
    """The environment `make run` gives the server, on `database_url` (default: SQLite in data_dir); no Celery."""
    env = {**os.environ, "EHRGYM_DATA_DIR": str(data_dir), "EHRGYM_LOG_LEVEL": "ERROR",
           "DJANGO_SETTINGS_MODULE": "ehrsite.settings", "SE_OFFLINE": "true"}
    for name in ("REDIS_URL", "DATABASE_URL", "EHRGYM_POOL_SIZE"):  # no Celery; the default pool
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


# Drops the warm pool's copies: run once the server that made them has stopped.
POOL_DRAIN = ("shell", "-c", "from agentenv.pool import pool_drain; pool_drain()")


def serve(name: str, env: dict, data_dir: Path, run, processes: int = 1):
    """run(base, port) against a server started for it (`processes` web processes on its port), stopped after (also
    on failure); its log is data_dir/<name>.log."""
    port = free_port()
    server = start_server({**env, "EHRGYM_BROWSER_BASE_URL": f"http://127.0.0.1:{port}"}, port,
                          log=data_dir / f"{name}.log", processes=processes)
    try:
        return run(f"http://127.0.0.1:{port}", port)
    finally:
        stop_server(server)


def _die_with_parent() -> None:
    """In the server's process, before it starts: Linux sends it SIGTERM when the bench dies, even killed."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: stop_server still stops it on any ordinary exit
        pass


def start_server(env: dict, port: int, log: Path | None = None, processes: int = 1) -> subprocess.Popen:
    """The web server (`python -m ehrsite.serve`, as `make run` starts it) in a process group of its own
    (stop_server ends the group: nothing it started outlives it), with `processes` server processes on the port."""
    out = log.open("w") if log else subprocess.DEVNULL
    address = ["-b", "127.0.0.1", "-p", str(port)]
    command = [PYTHON, "-m", "ehrsite.serve", "--processes", str(processes), *address]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                              preexec_fn=_die_with_parent)
    try:
        _wait_until_up(server, port, log)
    except BaseException:  # a server that did not come up is stopped too
        stop_server(server)
        raise
    return server


def _wait_until_up(server: subprocess.Popen, port: int, log: Path | None) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text()[-3000:] if log else ""
            raise SystemExit(f"the web server exited:\n{tail}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/openenv/health", timeout=5).ok:
                return
        except requests.RequestException:  # not listening yet, or still starting on a busy machine
            time.sleep(0.2)
    raise SystemExit("the web server did not answer within 90 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)  # the group started for it, nothing else
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _postgres_admin(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                           password=parts.password or None, dbname="postgres", autocommit=True, connect_timeout=3)


def postgres_reachable(url: str) -> bool:
    try:
        _postgres_admin(url).close()
    except Exception:  # any failure to connect means: skip PostgreSQL
        return False
    return True


def postgres_reset(url: str, create: bool) -> None:
    """Drop the database of `url` and every one named after it (golden, pool and episode copies); create it
    again if asked."""
    name = urlsplit(url).path.lstrip("/")
    with _postgres_admin(url) as admin:
        rows = admin.execute("SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s",
                             (name, name.replace("_", r"\_") + r"\_%")).fetchall()
        for (db,) in rows:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{name}"')


@contextlib.contextmanager
def bench_environment(engine: str, pg_url: str, *, data_dir: str | None, prefix: str):
    """(data directory, server environment) for one bench run: its own PostgreSQL databases (dropped after, also on
    SIGTERM) or SQLite files in `data_dir` (kept) or a temporary directory (removed)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers are stopped and databases dropped
    if engine == "postgres":
        if not postgres_reachable(pg_url):
            raise SystemExit(f"PostgreSQL at {pg_url} is not reachable")
        postgres_reset(pg_url, create=True)
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
            folder = Path(data_dir or scratch).resolve()
            folder.mkdir(parents=True, exist_ok=True)
            yield folder, server_env(folder, pg_url if engine == "postgres" else None)
    finally:
        if engine == "postgres":
            postgres_reset(pg_url, create=False)
