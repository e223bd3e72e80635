"""What the fault bench's scenarios share: servers started and killed on one data directory, HTTP calls that record
every answer (a 5xx is a failure unless it is a 503 with Retry-After), a probe of what the episodes hold, and a clean
slate between scenarios. Not a benchmark itself: bench/fault_bench.py runs the scenarios (bench/fault_scenarios.py)."""

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import psutil
import requests
from server import PYTHON, ROOT, free_port, manage, start_server, stop_server

CELERY = str(Path(PYTHON).with_name("celery"))
REDIS_SERVER = shutil.which("redis-server")

# In `manage.py shell` (the server may be running): what the episodes and the pool hold now.
STATE = """
import json
from agentenv import snapshots
from agentenv.models import DatabaseCopy, Episode

def state():
    existing = {copy.name for copy in snapshots.copies_existing()}
    opened = Episode.objects.filter(released_at__isnull=True)
    held = set(opened.exclude(database_name="").values_list("database_name", flat=True))
    rows = DatabaseCopy.objects.all()
    pooled = set(rows.values_list("name", flat=True))
    return {"copies": len(existing), "open": opened.count(), "created": opened.filter(status="created").count(),
            "unreferenced": len(existing - held - pooled), "creating": rows.filter(status="creating").count(),
            "ready": rows.filter(status="ready").count(), "open_without_database": len(held - existing)}
"""
PROBE = STATE + "print(json.dumps(state()))\n"
# Once the scenario's servers have stopped: what it left, then nothing (the next scenario starts from zero).
CLEAN = STATE + """
from agentenv.close import episode_close
from agentenv.pool import pool_drain
found = state()
for episode in Episode.objects.filter(released_at__isnull=True):
    episode_close(episode=episode)
pool_drain()
DatabaseCopy.objects.all().delete()
for copy in snapshots.copies_existing():
    snapshots.copy_drop(copy)
print(json.dumps(found))
"""

SETUP = """
import json
from django.core.management import call_command
from clinical.models import Patient
call_command("agent_token", "fault-bench")
print(json.dumps(list(Patient.objects.using("golden").order_by("mrn").values_list("mrn", flat=True)[:1])))
"""

# Every scenario's servers: a start-up pass and then a pass a second of the in-process reaper, and episodes still
# "created" 3 s after they began count as left by a dead process (600 s by default).
FAST_REAPER = {"EHRGYM_REAPER_INTERVAL_SECONDS": "1", "EHRGYM_STALE_CREATE_SECONDS": "3"}


class Scenario:
    """One scenario's record: every answer, what counts as a failure, and figures for the table."""

    def __init__(self, name: str):
        self.name, self.statuses, self.failures, self.facts = name, Counter(), [], {}
        self.started = time.monotonic()

    def check(self, passed: bool, what: str) -> bool:
        if not passed:
            self.failures.append(what)
        return passed

    def as_json(self) -> dict:
        statuses = {str(status): n for status, n in self.statuses.items()}
        return {"name": self.name, "survived": not self.failures, "failures": self.failures,
                "statuses": dict(sorted(statuses.items())), **self.facts,
                "seconds": round(time.monotonic() - self.started, 1)}


class Lab:
    """The bench's data directory, server environment, agent token and patient, and the HTTP calls of a scenario."""

    def __init__(self, env: dict, data_dir: Path):
        self.env, self.data_dir = {**env, **FAST_REAPER}, data_dir
        manage(env, "migrate", "--noinput")
        manage(env, "build_golden")
        *lines, mrns = manage(env, "shell", "-c", SETUP).splitlines()
        self.token, self.mrn = lines[-1], json.loads(mrns)[0]
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.scenario: Scenario | None = None

    # --- servers ---------------------------------------------------------------------------------------------

    def start(self, name: str, **overrides: str) -> "Server":
        port = free_port()
        env = {**self.env, "EHRGYM_BROWSER_BASE_URL": f"http://127.0.0.1:{port}", **overrides}
        return Server(start_server(env, port, log=self.data_dir / f"fault-{name}.log"), f"http://127.0.0.1:{port}")

    def probe(self, **overrides: str) -> dict:
        return json.loads(manage({**self.env, **overrides}, "shell", "-c", PROBE).splitlines()[-1])

    def clean(self) -> dict:
        """What the scenario left once its servers stopped; then nothing is left."""
        return json.loads(manage(self.env, "shell", "-c", CLEAN).splitlines()[-1])

    def count(self, table: str, status: str) -> int:
        """Rows of an agentenv table with this status, read straight from the main database: cheap enough to poll
        for the moment a fault should land (an episode "created": a reset half way; a copy "creating")."""
        query = f"SELECT count(*) FROM agentenv_{table} WHERE status = %s"
        if self.env.get("DATABASE_URL"):
            import psycopg

            with psycopg.connect(self.env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)) as db:
                return db.execute(query, [status]).fetchone()[0]
        with contextlib.closing(sqlite3.connect(f"file:{self.data_dir / 'ehrgym.sqlite3'}?mode=ro", uri=True,
                                                timeout=5)) as db:
            return db.execute(query.replace("%s", "?"), [status]).fetchone()[0]

    def wait_for_probe(self, good, timeout_s: float, **overrides: str) -> dict:
        """Probe until good(probe) holds or the time is up; the last probe."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.probe(**overrides)
            if good(found) or time.monotonic() > deadline:
                return found
            time.sleep(1)

    # --- HTTP ------------------------------------------------------------------------------------------------

    def call(self, base: str, method: str, path: str, *, expect_down: bool = False, timeout: float = 60,
             **kwargs) -> requests.Response | None:
        """One request, its status counted in the scenario; None when nothing answered (a failure unless the server
        is being killed: expect_down). A 5xx is a failure, but for a 503 that says when to retry."""
        try:
            response = self.http.request(method, f"{base}/api/v1/{path}", timeout=timeout, **kwargs)
        except requests.RequestException as error:
            self.scenario.statuses["no answer"] += 1
            if not expect_down:
                self.scenario.check(False, f"{method} {path}: no answer ({type(error).__name__})")
            return None
        self.scenario.statuses[response.status_code] += 1
        if response.status_code >= 500 and not (response.status_code == 503 and response.headers.get("Retry-After")):
            self.scenario.check(False, f"{method} {path} -> {response.status_code} {response.text[:200]}")
        return response

    def reset(self, base: str, *, expect_down: bool = False, **options) -> requests.Response | None:
        return self.call(base, "POST", "episodes", expect_down=expect_down, json={
            "patient_mrn": self.mrn, "instruction": "Fault bench: read the chart.", **options})

    def step(self, base: str, episode_id: str, action: dict | None = None, **kwargs) -> requests.Response | None:
        action = action or {"type": "read_chart_section", "section": "summary", "mrn": self.mrn}
        return self.call(base, "POST", f"episodes/{episode_id}/step", json={"action": action}, **kwargs)

    def close(self, base: str, episode_id: str) -> None:
        response = self.call(base, "DELETE", f"episodes/{episode_id}")
        if response is not None:
            self.scenario.check(response.status_code == 200, f"DELETE {episode_id} -> {response.status_code}")


class Server:
    """A web server of the bench (in a process group of its own) and its address."""

    def __init__(self, process: subprocess.Popen, base: str):
        self.process, self.base = process, base

    def kill(self) -> None:
        """SIGKILL the server and everything it started, as a crash (or the OOM killer) would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        stop_server(self.process)

    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


class Redis:
    """A redis-server of the bench's own on a free port (never the machine's shared one), without persistence."""

    def __init__(self, data_dir: Path):
        self.port, self.data_dir, self.process = free_port(), data_dir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", str(self.data_dir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        import redis

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    return self
            except redis.RedisError:
                time.sleep(0.1)
        raise SystemExit(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Worker:
    """A real `celery -A ehrsite worker` (one process) on the bench's databases, its output in a log file."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [CELERY, "-A", "ehrsite", "worker", "--pool=solo", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the Celery worker exited:\n{self.log.read_text()[-2000:]}")
            if " ready." in self.log.read_text():
                return
            time.sleep(0.2)
        raise SystemExit("the Celery worker did not become ready")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
