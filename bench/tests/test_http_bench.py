"""bench/http_bench.py --quick end to end on SQLite: its last line is the JSON of figures, and it leaves no server
and no database copy behind. The golden database is kept in var/bench-http-test between runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "var" / "bench-http-test"
KEYS = {
    "engine", "date", "machine", "task", "reset_warm_p50_ms", "reset_warm_p99_ms", "reset_burst_p50_ms",
    "reset_burst_p99_ms", "reset_cold_p50_ms", "reset_cold_p99_ms", "step_1_p50_ms", "step_25_p50_ms",
    "step_50_p50_ms", "step_50_p99_ms", "max_concurrent_episodes", "concurrency", "openenv_ws_reset_p50_ms",
    "openenv_ws_step_p50_ms", "browser_click_p50_ms", "web_processes", "max_concurrent_agents_thinking_1s",
    "steps_per_s_max",
}


def servers_on(data_dir: Path) -> list[psutil.Process]:
    """Processes (the server, its browsers) started with this EHRGYM_DATA_DIR."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("EHRGYM_DATA_DIR") == str(data_dir) and process.pid != os.getpid():
                found.append(process)
        except psutil.Error:
            continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the bench's SQLite run is checked in the SQLite pass")
def test_quick_run_prints_its_figures_as_json_and_leaves_nothing_running():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    done = subprocess.run([sys.executable, "bench/http_bench.py", "--quick", "--data-dir", str(DATA_DIR)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= figures.keys()
    assert figures["engine"] == "sqlite" and figures["machine"]["cores"] >= 1
    assert figures["reset_warm_p50_ms"] > 0 and figures["step_50_p50_ms"] > 0 and figures["reset_burst_errors"] == 0
    assert figures["max_concurrent_episodes"] >= 1 and figures["max_concurrent_agents_thinking_1s"] >= 1
    assert figures["steps_per_s_max"] > 0 and figures["web_processes"] == 1
    assert {level["think_s"] for level in figures["concurrency"]} == {0.0, 1.0}
    assert servers_on(DATA_DIR) == []
    assert list((DATA_DIR / "episodes").glob("*.sqlite3")) == []  # episodes closed, pool drained


def test_several_web_processes_are_refused_on_sqlite_with_a_message():
    done = subprocess.run([sys.executable, "bench/http_bench.py", "--web-processes", "2"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "--web-processes must be 1, or more with --engine postgres" in done.stderr
