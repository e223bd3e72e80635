"""Benchmark the FHIR importer: the twenty real Synthea bundles into fresh SQLite databases.

    .venv/bin/python bench/import_bench.py [--repetitions 3] [PATH ...]

Each repetition runs in a child process with its own temporary SQLite database
(DATABASE_URL, EHRGYM_DATA_DIR), migrates it, imports every bundle once (inserts)
and once more (the idempotent update path). Prints a table, then, as the last line,
one JSON object with bundles_per_s and resources_per_s (first imports, median run).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = [ROOT.parent / "shared" / "synthea"]


def _measure(paths: list[str]) -> dict:
    from seeddata.fhir.importer import import_paths

    started_cpu = time.process_time()
    first = import_paths(paths)
    cpu = time.process_time() - started_cpu
    again = import_paths(paths)
    if first.errors or again.errors:
        raise SystemExit(f"import failed: {[str(e) for e in first.errors + again.errors]}")
    return {
        "bundles": first.bundles,
        "resources": first.resources,
        "imported": first.imported(),
        "seconds": first.elapsed,
        "cpu_seconds": cpu,
        "reimport_seconds": again.elapsed,
    }


def child(paths: list[str]) -> None:
    """One repetition, in a fresh database; prints its measurements as JSON."""
    with tempfile.TemporaryDirectory(prefix="ehrgym-bench-") as data_dir:
        os.environ["EHRGYM_DATA_DIR"] = data_dir
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
        os.environ["DJANGO_SETTINGS_MODULE"] = "ehrsite.settings"
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        print(json.dumps(_measure(paths)))


def _run_repetition(paths: list[str]) -> dict:
    command = [sys.executable, __file__, "--child", *paths]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"repetition failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(runs: list[dict]) -> str:
    lines = [f"{'run':>3}  {'bundles':>7}  {'resources':>9}  {'seconds':>7}  {'bundles/s':>9}  {'resources/s':>11}  "
             f"{'CPU s':>6}  {'re-import s':>11}"]
    for number, run in enumerate(runs, start=1):
        lines.append(
            f"{number:>3}  {run['bundles']:>7}  {run['resources']:>9}  {run['seconds']:>7.2f}  "
            f"{run['bundles'] / run['seconds']:>9.1f}  {run['resources'] / run['seconds']:>11.0f}  "
            f"{run['cpu_seconds']:>6.2f}  {run['reimport_seconds']:>11.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="bundle files or folders (default: ../shared/synthea)")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    paths = [str(Path(p).resolve()) for p in args.paths] or [str(p) for p in DEFAULT_PATHS]
    if args.child:
        child(paths)
        return
    runs = [_run_repetition(paths) for _ in range(args.repetitions)]
    median = statistics.median(run["seconds"] for run in runs)
    first = runs[0]
    print(f"FHIR import into fresh SQLite databases, {args.repetitions} repetition(s), {os.cpu_count()} CPU(s)")
    print(_table(runs))
    print(json.dumps({
        "bundles_per_s": round(first["bundles"] / median, 1),
        "resources_per_s": round(first["resources"] / median),
        "imported_rows_per_s": round(first["imported"] / median),
        "cpu_resources_per_s": round(first["resources"] / statistics.median(r["cpu_seconds"] for r in runs)),
        "reimport_resources_per_s": round(first["resources"] / statistics.median(r["reimport_seconds"] for r in runs)),
        "bundles": first["bundles"],
        "resources": first["resources"],
        "median_seconds": round(median, 3),
        "repetitions": args.repetitions,
    }))


if __name__ == "__main__":
    main()
