"""bench/oracle_bench.py and bench/db_pool_bench.py --quick end to end: each prints its figures as one JSON object
on its last line, from real runs (every oracle episode succeeds; both connection settings answer every step)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
ONCE = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the benches pick their engine: run once")


def _postgres_reachable(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def _figures(*command: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    done = subprocess.run([sys.executable, *command, "--quick"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@ONCE
def test_the_oracle_bench_times_a_real_evaluation():
    figures = _figures("bench/oracle_bench.py")
    assert figures["episodes"] == 20 and figures["success_rate"] == 1.0
    assert figures["seconds"] > 0 and figures["seconds_per_1000"] > 0 and figures["target_s"] == 180


@pytest.mark.slow
@ONCE
def test_the_db_pool_bench_compares_both_settings_in_one_run():
    url = os.environ.get("EHRGYM_BENCH_DB_POOL_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ehrgym_bench_db_pool")
    require_service(_postgres_reachable(url), f"PostgreSQL at {url}")
    figures = _figures("bench/db_pool_bench.py")
    assert figures["errors"] == 0 and figures["engine"] == "postgres"
    # The web server's pool holds its connections between requests; without it none stays open.
    assert figures["idle_connections"]["pooled"] >= 1 and figures["idle_connections"]["per request"] == 0
    assert [row["label"] for row in figures["rows"]] == ["step, one episode", "step, 2 episodes at once"]
    for row in figures["rows"]:
        assert row["per_request"]["n"] > 0 and row["pooled"]["n"] > 0 and row["p50_ratio"] > 0
