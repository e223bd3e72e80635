"""Oracle evaluation at scale: `manage.py evaluate --agent oracle` on 1,000 task instances of the library, as a
task author validating the library (or a CI job) runs it.

    .venv/bin/python bench/oracle_bench.py [--engine sqlite|postgres] [--episodes N] [--workers W] [--quick]

Prepares the databases as `make run` does in a temporary EHRGYM_DATA_DIR (PostgreSQL: databases on
EHRGYM_BENCH_ORACLE_POSTGRES_URL, dropped at the end), then times the evaluate command end to end: every
instance is a real episode (reset on a copy of the golden database, the oracle's actions as steps, scored,
closed). Prints a table and, as its last line, one JSON object.
"""

import argparse
import json
import os
import time

from server import bench_environment, machine, manage

PG_URL = os.environ.get("EHRGYM_BENCH_ORACLE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ehrgym_bench_oracle")
TARGET_S = 180  # issue 17: 1,000 instances in under 3 minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--quick", action="store_true", help="20 episodes: a smoke test of the bench, not figures")
    args = parser.parse_args()
    episodes = 20 if args.quick else args.episodes
    with bench_environment(args.engine, PG_URL, data_dir=None, prefix="ehrgym-oracle-bench-") as (data_dir, env):
        started = time.monotonic()
        manage(env, "migrate", "--noinput")
        manage(env, "build_golden")
        manage(env, "tasks", "sync")
        setup_s = time.monotonic() - started
        started = time.monotonic()
        output = manage(env, "evaluate", "--agent", "oracle", "--episodes", str(episodes), "--split", "all",
                        "--workers", str(args.workers), "--seed", "0", "--backend", "threads",
                        "--out", str(data_dir / "report"))
        seconds = time.monotonic() - started
    summary = json.loads(output.splitlines()[-1])
    figures = machine()
    rate = summary["episodes"] / seconds if seconds else 0.0
    scaled = seconds * 1000 / summary["episodes"] if summary["episodes"] else None
    print(f"Oracle evaluation through `manage.py evaluate` ({args.engine}, {args.workers} workers); databases ready "
          f"in {setup_s:.0f} s")
    print(f"{'episodes':>9}{'seconds':>10}{'episodes/s':>12}{'success':>10}{'s per 1,000':>13}")
    print(f"{summary['episodes']:>9}{seconds:>10.1f}{rate:>12.2f}{summary['success_rate']:>10.3f}{scaled or 0:>13.0f}")
    print(f"target: 1,000 instances in under {TARGET_S} s; machine: {figures['cores']} cores, 1-min load "
          f"{figures['load_average_1m']} (other work on the machine slows every figure above)")
    print(json.dumps({"engine": args.engine, "quick": args.quick, "workers": args.workers,
                      "episodes": summary["episodes"], "seconds": round(seconds, 1),
                      "episodes_per_s": round(rate, 2), "success_rate": summary["success_rate"],
                      "seconds_per_1000": round(scaled, 1) if scaled else None, "target_s": TARGET_S,
                      "date": figures.pop("date"), "machine": figures}))


if __name__ == "__main__":
    main()
