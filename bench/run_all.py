"""Run every benchmark, one after another, and write their figures to bench/results/latest.md and latest.json
(with the machine, the engine and the date): what `make bench` does.

    .venv/bin/python bench/run_all.py [--only NAME ...] [--out DIR]

Each bench prints a table and, as its last line, one JSON object; a bench that fails is reported as failed and
the others still run. With --only, the other benches' last figures are kept, each section with its own date and
commit. Run it on a quiet machine: every figure is a latency, and other work slows them all.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from server import PYTHON, ROOT, machine, postgres_reachable

PG_URL = os.environ.get("EHRGYM_BENCH_HTTP_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ehrgym_bench_http")
BENCHES = {  # name: (command, engine)
    "import_bench": (["bench/import_bench.py"], "sqlite"),
    "env_bench": (["bench/env_bench.py"], "sqlite and postgres"),
    "browser_bench": (["bench/browser_bench.py"], "sqlite"),
    "http_bench_sqlite": (["bench/http_bench.py", "--engine", "sqlite"], "sqlite"),
    "http_bench_postgres": (["bench/http_bench.py", "--engine", "postgres"], "postgres"),
    "http_bench_postgres_2_processes": (["bench/http_bench.py", "--engine", "postgres", "--web-processes", "2"],
                                        "postgres"),
    "load_bench_sqlite": (["bench/load_bench.py", "--engine", "sqlite"], "sqlite"),
    "load_bench_postgres": (["bench/load_bench.py", "--engine", "postgres"], "postgres"),
    "fault_bench_sqlite": (["bench/fault_bench.py", "--engine", "sqlite"], "sqlite"),
    "fault_bench_postgres": (["bench/fault_bench.py", "--engine", "postgres"], "postgres"),
    "db_pool_bench": (["bench/db_pool_bench.py"], "postgres"),
    "oracle_bench": (["bench/oracle_bench.py"], "sqlite"),
}


def run_bench(name: str) -> dict:
    command, engine = BENCHES[name]
    print(f"== {name}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}  # each bench picks its engine
    done = subprocess.run([PYTHON, *command], cwd=ROOT, env=env, capture_output=True, text=True)
    entry = {"command": " ".join(["python", *command]), "engine": engine, "seconds": round(time.monotonic() - started),
             "load_average_1m_after": round(os.getloadavg()[0], 2), "commit": _commit()}
    lines = done.stdout.strip().splitlines()
    try:
        entry["figures"] = json.loads(lines[-1])
        entry["table"] = "\n".join(lines[:-1])
    except (IndexError, json.JSONDecodeError):
        entry["error"] = f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-1500:]}"
    print(entry.get("table") or entry["error"], flush=True)
    return entry


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def _kept(out: Path, names: list[str]) -> dict:
    """The benches of the last full report that this run (--only) does not repeat: kept, each with its commit."""
    try:
        last = json.loads((out / "latest.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return {name: {"commit": last.get("commit", "unknown"), "date": last.get("date"), **entry}
            for name, entry in last["benches"].items()
            if name not in names and name in BENCHES}


def markdown(report: dict) -> str:
    box = report["machine"]
    lines = ["# EHRGym benchmarks", "",
             f"Measured {report['date']} on {box['cores']} cores, {box['ram_gb']} GB RAM ({box['cpu']}); "
             f"1-min load average {box['load_average_1m']} at the start. Commit {report['commit']}.", ""]
    if report.get("note"):
        lines += [f"**{report['note']}**", ""]
    for name, entry in report["benches"].items():
        lines += [f"## {name} ({entry['engine']})", "", f"`{entry['command']}`, {entry['seconds']} s; "
                  f"load {entry['load_average_1m_after']} at its end; commit {entry.get('commit', report['commit'])}"
                  + (f", {entry['date']}." if entry.get("date") else "."), ""]
        if "error" in entry:
            lines += ["Failed:", "", "```", entry["error"], "```", ""]
        else:
            lines += ["```", entry["table"], "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), help="run these benches only")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    names = args.only or list(BENCHES)
    postgres_benches = ("http_bench_postgres", "http_bench_postgres_2_processes", "load_bench_postgres",
                        "fault_bench_postgres", "db_pool_bench")
    for name in postgres_benches:
        if name in names and not postgres_reachable(PG_URL):
            print(f"PostgreSQL at {PG_URL} is not reachable: {name} skipped", flush=True)
            names.remove(name)
    box = machine()
    date = box.pop("date")
    ran = {name: {**run_bench(name), "date": date} for name in names}
    # With --only, the other benches' last figures stay in the report, each section saying when it was measured.
    report = {"date": date, "machine": box, "commit": _commit(),
              "benches": ran}
    if args.only:
        merged = {**_kept(args.out, names), **ran}
        report["benches"] = {name: merged[name] for name in BENCHES if name in merged}
    if box["load_average_1m"] > 0.5 * box["cores"]:  # before the first bench: other work, not the benches' own
        report["note"] = (f"Measured while the machine was busy (load {box['load_average_1m']} on {box['cores']} "
                          "cores): slower than on a quiet machine.")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "latest.md").write_text(markdown(report))
    print(f"written: {args.out / 'latest.md'}, {args.out / 'latest.json'}")
    failed = [name for name, entry in report["benches"].items() if "error" in entry]
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
