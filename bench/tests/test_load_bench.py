"""bench/load_bench.py --quick end to end on SQLite: its last line is the JSON of figures, every check passes, and
nothing is left running. The golden database is kept in var/bench-load-test between runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_http_bench import servers_on

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "var" / "bench-load-test"


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the bench's SQLite run is checked in the SQLite pass")
def test_quick_run_has_no_server_error_no_leak_and_leaves_nothing_behind():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    done = subprocess.run([sys.executable, "bench/load_bench.py", "--quick", "--data-dir", str(DATA_DIR)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert figures["engine"] == "sqlite" and figures["machine"]["cores"] >= 1 and figures["date"]
    assert figures["requests"] >= 4 * 20 and figures["p50_ms"] > 0 and figures["p99_ms"] >= figures["p50_ms"]
    assert figures["server_errors"] == 0, figures["server_error_examples"]
    assert figures["leaks"] == 0, figures["leak_examples"]
    assert figures["databases_left"] == 0
    assert figures["golden_unchanged"] is True
    assert servers_on(DATA_DIR) == []
    assert list((DATA_DIR / "episodes").glob("*.sqlite3")) == []
