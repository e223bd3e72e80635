"""bench/fault_bench.py --quick end to end on SQLite: every fault scenario ends clean, its last line is the JSON of
results, and nothing is left running. Redis, Celery and Chromium scenarios need their services: without them the
test skips (or, with EHRGYM_REQUIRE_SERVICES=1, fails). The golden database is kept in var/bench-fault-test."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_http_bench import servers_on

from conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "var" / "bench-fault-test"
SCENARIOS = {"sigkill_resets", "sigkill_steps", "redis_restart", "celery_worker_killed", "chromium_killed",
             "ttl_expiry", "capacity_full"}


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the bench's SQLite run is checked in the SQLite pass")
def test_every_fault_scenario_ends_clean():
    require_service(bool(shutil.which("redis-server")), "redis-server (the bench starts its own)")
    require_service(Path(os.environ.get("EHRGYM_CHROMIUM", "/usr/bin/chromium")).exists(), "Chromium")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run([sys.executable, "bench/fault_bench.py", "--quick", "--data-dir", str(DATA_DIR)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    results = json.loads(done.stdout.strip().splitlines()[-1])
    failures = {entry["name"]: entry.get("failures") for entry in results["details"]}
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    assert results["skipped"] == [] and {entry["name"] for entry in results["details"]} == SCENARIOS
    assert results["scenarios"] == len(SCENARIOS) and results["survived"] == len(SCENARIOS), failures
    by_name = {entry["name"]: entry for entry in results["details"]}
    # Each fault landed where it should: a reset half way, a copy being made, an answer after Chromium died.
    left_by_kill = by_name["sigkill_resets"]["left_by_kill"]
    assert left_by_kill["created"] + left_by_kill["creating"] + left_by_kill["unreferenced"] >= 1
    assert by_name["celery_worker_killed"]["ready_at_kill"] < by_name["celery_worker_killed"]["pool_size"]
    assert by_name["chromium_killed"]["step_after_kill"]["status"] in (200, 409)
    assert by_name["capacity_full"]["retry_after_s"]
    assert by_name["ttl_expiry"]["reaped"] == 3
    assert servers_on(DATA_DIR) == []
    assert list((DATA_DIR / "episodes").glob("*.sqlite3*")) == []
