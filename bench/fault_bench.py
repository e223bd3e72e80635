"""Fault benchmark: break what a running EHRGym depends on, through a real server process (uvicorn), and check that
each fault ends clean: no 5xx (a 503 must say Retry-After), no database nothing refers to, no episode stuck half
created, no browser or profile left.

    .venv/bin/python bench/fault_bench.py [--engine sqlite|postgres] [--quick] [--only NAME ...] [--data-dir DIR]

Scenarios (bench/fault_scenarios.py): SIGKILL the server during resets and during steps, Redis killed and restarted
(a redis-server of the bench's own, never the machine's), a Celery worker killed while it refills the warm pool,
Chromium killed mid-episode, TTL expiry with the in-process reaper, and every slot taken. Prints a table and, as its
last line, one JSON object (`scenarios`, `survived`, `skipped`, and each scenario's details); exits 1 if one failed.
"""

import argparse
import json
import os
import sys
import time

from fault_lab import Lab, Scenario
from fault_scenarios import SCENARIOS, Skipped
from server import bench_environment, machine

PG_URL = os.environ.get("EHRGYM_BENCH_FAULT_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ehrgym_bench_fault")


def run(lab: Lab, name: str, quick: bool) -> dict:
    """One scenario, then what it left (its servers stopped): each ends clean or fails."""
    scenario = lab.scenario = Scenario(name)
    print(f"{name} ...", file=sys.stderr, flush=True)
    try:
        SCENARIOS[name](lab, scenario, quick)
    except Skipped as why:
        lab.clean()
        return {"name": name, "skipped": str(why)}
    except Exception as error:  # a server that would not start, a garbled answer: the scenario failed
        scenario.check(False, f"crashed: {type(error).__name__}: {str(error)[:300]}")
    left = lab.clean()
    scenario.facts["left"] = left
    allowed_open = scenario.facts.pop("open_allowed", 0)
    scenario.check(left["unreferenced"] == 0, f"{left['unreferenced']} database(s) nothing refers to")
    scenario.check(left["created"] == 0 and left["creating"] == 0, f"half-made episodes or copies: {left}")
    scenario.check(left["open_without_database"] == 0, f"open episodes without a database: {left}")
    scenario.check(left["open"] <= allowed_open, f"{left['open']} episode(s) left open")
    return scenario.as_json()


def report(engine: str, results: list[dict], seconds: float) -> dict:
    print(f"EHRGym fault bench through HTTP (uvicorn), {engine}: {len(results)} scenarios, {seconds:.0f} s")
    print(f"{'scenario':24}{'result':>10}{'s':>7}  answers; details")
    for entry in results:
        if "skipped" in entry:
            print(f"{entry['name']:24}{'SKIPPED':>10}{'':>7}  {entry['skipped']}")
            continue
        details = {k: v for k, v in entry.items() if k not in ("name", "survived", "failures", "statuses", "seconds",
                                                                "left")}
        answers = ", ".join(f"{s}: {n}" for s, n in entry["statuses"].items())
        print(f"{entry['name']:24}{'SURVIVED' if entry['survived'] else 'FAILED':>10}{entry['seconds']:>7.1f}  "
              f"{answers}; {json.dumps(details)}")
        for failure in entry["failures"]:
            print(f"{'':42}FAIL {failure}")
    ran = [entry for entry in results if "skipped" not in entry]
    figures = machine()
    print(f"machine: {figures['cores']} cores, {figures['ram_gb']} GB RAM, 1-min load {figures['load_average_1m']}")
    return {"engine": engine, "scenarios": len(ran), "survived": sum(entry["survived"] for entry in ran),
            "skipped": [entry["name"] for entry in results if "skipped" in entry], "details": results,
            "run_s": round(seconds, 1), "date": figures.pop("date"), "machine": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="fewer resets, steps and pool copies per scenario")
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), help="run these scenarios only")
    parser.add_argument("--data-dir", help="EHRGYM_DATA_DIR to use and keep (default: a temporary one)")
    args = parser.parse_args()
    started = time.monotonic()
    scratch = bench_environment(args.engine, PG_URL, data_dir=args.data_dir, prefix="ehrgym-fault-bench-")
    with scratch as (data_dir, env):
        lab = Lab(env, data_dir)
        results = [run(lab, name, args.quick) for name in args.only or SCENARIOS]
    final = report(args.engine, results, time.monotonic() - started)
    print(json.dumps(final))
    sys.exit(0 if final["survived"] == final["scenarios"] else 1)


if __name__ == "__main__":
    main()
