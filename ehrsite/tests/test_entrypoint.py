"""scripts/entrypoint.sh, the Docker image's entrypoint, run on this machine (issue 19): `web` prepares a fresh data
directory and serves, `worker` answers a Celery ping over Redis, `beat` schedules the reaper and the pool's refill."""

import os
import secrets
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from celery import Celery

from conftest import REDIS_TEST_URL, redis_available, require_service
from ehrsite.tests.waiting import answers, wait_for

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "scripts" / "entrypoint.sh"
# A fresh data directory means building the golden database: minutes on a busy 2-core machine.
START_DEADLINE_S = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def entrypoint_env(data_dir: Path, **extra: str) -> dict:
    env = {name: value for name, value in os.environ.items()
           if name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "EHRGYM_POOL_SIZE"}}
    return {**env, "PYTHON": sys.executable, "EHRGYM_DATA_DIR": str(data_dir), "EHRGYM_LOG_LEVEL": "ERROR",
            "EHRGYM_BIND": "127.0.0.1", **extra}


@contextmanager
def entrypoint(role: str, *args: str, env: dict, log: Path):
    """The entrypoint in a process group of its own, ended with its group (SIGTERM, then SIGKILL)."""
    with log.open("w") as out:
        process = subprocess.Popen([str(ENTRYPOINT), role, *args], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs on SQLite, once: in the SQLite pass")
def test_web_prepares_an_empty_data_directory_and_serves(tmp_path):
    port = free_port()
    log = tmp_path / "web.log"
    with entrypoint("web", env=entrypoint_env(tmp_path / "data", EHRGYM_PORT=str(port)), log=log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers(f"{base}/openenv/health"), process, log, "health answer", START_DEADLINE_S)
        # The whole `make run` sequence ran: the golden database, the demo logins, the task library.
        assert (tmp_path / "data" / "golden.sqlite3").exists()
        output = log.read_text()
        from harness.library import library_load

        assert "Demo logins" in output and f"{len(library_load())} created" in output
        assert requests.get(f"{base}/accounts/login/", timeout=10).status_code == 200


def test_unknown_roles_and_celery_roles_without_redis_are_refused(tmp_path):
    done = subprocess.run([str(ENTRYPOINT), "serve"], cwd=ROOT, env=entrypoint_env(tmp_path), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "unknown role 'serve'" in done.stderr
    for role in ("worker", "beat"):
        done = subprocess.run([str(ENTRYPOINT), role], cwd=ROOT, env=entrypoint_env(tmp_path), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2 and f"the {role} role needs REDIS_URL" in done.stderr


def test_worker_answers_a_ping_over_redis(tmp_path):
    require_service(redis_available(), f"Redis at {REDIS_TEST_URL}")
    name = f"entrypoint-{secrets.token_hex(4)}@{socket.gethostname()}"
    log = tmp_path / "worker.log"
    env = entrypoint_env(tmp_path / "data", REDIS_URL=REDIS_TEST_URL)
    # Its own queue: it must not take tasks other tests send to the default one.
    with entrypoint("worker", "--pool=solo", "-n", name, "-Q", f"entrypoint-{secrets.token_hex(4)}",
                    "--without-gossip", "--without-mingle", env=env, log=log) as process:
        app = Celery(broker=REDIS_TEST_URL)
        try:
            replies = wait_for(lambda: app.control.ping(destination=[name], timeout=1), process, log, "ping reply",
                               START_DEADLINE_S)
        finally:
            app.close()
        assert replies == [{name: {"ok": "pong"}}]


def test_beat_schedules_the_reaper_and_the_pool_refill(tmp_path):
    require_service(redis_available(), f"Redis at {REDIS_TEST_URL}")
    log = tmp_path / "beat.log"
    data_dir = tmp_path / "data"
    try:
        with entrypoint("beat", env=entrypoint_env(data_dir, REDIS_URL=REDIS_TEST_URL), log=log) as process:
            wait_for(lambda: "Sending due task" in log.read_text(), process, log, "task sent", START_DEADLINE_S)
    finally:
        # What it sent went to the default queue of the test Redis database, which no test's worker reads.
        redis.Redis.from_url(REDIS_TEST_URL).delete("celery")
    output = log.read_text()
    assert "agentenv-episodes-reap" in output or "agentenv-pool-refill" in output
    # Its schedule file went to the data directory, not the working directory.
    assert list(data_dir.glob("celerybeat-schedule*"))
