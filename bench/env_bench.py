"""Environment benchmark: reset and step latency, concurrency, and the naive reset.

    .venv/bin/python bench/env_bench.py [--resets 20] [--steps 200] [--concurrent 32]

Runs each engine in its own process (Django settings are per process) against
scratch databases: SQLite files in a temporary EHRGYM_DATA_DIR, PostgreSQL databases
`ehrgym_bench*` on EHRGYM_BENCH_POSTGRES_URL (default: the local server), dropped at
the end. The golden database is the real one: `seeddata.golden.golden_build` from the
shipped population. Prints a table and, as its last line, one JSON object.

"warm" resets take a ready copy from the pool; the refill that follows runs in a
Celery worker (or a background thread) off the request path, so it is not timed.
"cold" resets copy the golden database inside the reset. The naive reset is what
other EHR gyms do between episodes: delete every row of the EHR tables of one shared
database and re-import the population.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("EHRGYM_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ehrgym_bench")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    return {"p50": round(statistics.median(values), 2), "p95": round(pct(values, 0.95), 2), "n": len(values)}


# --- one engine, inside its own process ---------------------------------------------------


def _setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehrsite.settings")
    os.environ["EHRGYM_POOL_REFILL_IN_BACKGROUND"] = "0"
    import django

    django.setup()


def _postgres_databases(create: bool) -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(PG_URL)
    name = parts.path.lstrip("/")
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                         dbname="postgres", autocommit=True) as admin:
        for db in (name, f"{name}_golden"):
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{name}"')


def run_engine(engine: str, resets: int, steps: int, concurrent: int, naive_runs: int) -> dict:
    _setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from agentenv.close import episode_close
    from agentenv.models import Episode
    from agentenv.pool import pool_refill
    from agentenv.reset import ResetParameters, episode_reset
    from agentenv.step import episode_step
    from clinical.models import Patient
    from seeddata.golden import golden_build

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    build = golden_build(force=True)
    golden_s = time.perf_counter() - started
    connections["golden"].close()
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    mrns = list(Patient.objects.using("golden").order_by("mrn").values_list("mrn", flat=True))
    connections["golden"].close()
    settings.EHRGYM_MAX_EPISODES = max(concurrent, resets) + 8
    settings.EHRGYM_POOL_SIZE = 0  # the refill runs off the request path; never inside a timed reset

    def bench_parameters(i: int) -> ResetParameters:
        return ResetParameters(patient_mrn=mrns[i % len(mrns)], instruction="bench")

    def reset_and_close(count: int) -> tuple[list[float], int]:
        times, pooled = [], 0
        for i in range(count):
            t = time.perf_counter()
            episode = episode_reset(owner=owner, parameters=bench_parameters(i))
            times.append((time.perf_counter() - t) * 1000)
            pooled += episode.from_pool
            episode_close(episode=episode)
        return times, pooled

    cold, _ = reset_and_close(resets)
    pool_refill(size=resets)
    warm, pooled = reset_and_close(resets)
    assert pooled == resets, f"only {pooled} of {resets} warm resets came from the pool"

    # Semantic steps: a realistic mix of chart reads, result queries and writes.
    episode = episode_reset(owner=owner, parameters=ResetParameters(patient_mrn=mrns[0], instruction="bench",
                                                                  step_limit=steps + 10))
    mix = [
        {"type": "open_chart", "mrn": mrns[0]},
        {"type": "read_chart_section", "section": "summary"},
        {"type": "read_chart_section", "section": "problems"},
        {"type": "read_chart_section", "section": "results"},
        {"type": "get_observations", "loinc": "8867-4"},
        {"type": "read_chart_section", "section": "medications"},
        {"type": "search_patients", "query": "a"},
        {"type": "record_vitals", "values": {"heart_rate": 72}},
    ]
    step_times = []
    for i in range(steps):
        episode.refresh_from_db()
        t = time.perf_counter()
        step = episode_step(episode=episode, action=mix[i % len(mix)])
        step_times.append((time.perf_counter() - t) * 1000)
        assert not step.error, step.error
    episode_close(episode=episode)

    # Concurrency: `concurrent` episodes open at once, each stepping in its own thread.
    pool_refill(size=concurrent)
    episodes = [episode_reset(owner=owner, parameters=bench_parameters(i)) for i in range(concurrent)]
    ok = []
    errors = []

    def drive(ep: Episode):
        try:
            for action in mix:
                ep.refresh_from_db()
                # Each episode opens its own patient's chart; the other actions act on the open chart.
                own = {**action, "mrn": ep.patient_mrn} if action["type"] == "open_chart" else action
                step = episode_step(episode=ep, action=own)
                if step.error:
                    raise RuntimeError(step.error)
            ok.append(ep.pk)
        except Exception as error:  # counted, reported below
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    t = time.perf_counter()
    threads = [threading.Thread(target=drive, args=(ep,)) for ep in episodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent_s = time.perf_counter() - t
    for ep in episodes:
        episode_close(episode=ep)

    result = {
        "engine": engine,
        "patients": build.patients,
        "golden_build_s": round(golden_s, 1),
        "cold_reset_ms": summary(cold),
        "warm_reset_ms": summary(warm),
        "step_ms": summary(step_times),
        "concurrent_tried": concurrent,
        "concurrent_ok": len(ok),
        "concurrent_wall_s": round(concurrent_s, 2),
        "concurrent_errors": errors[:3],
    }

    if naive_runs:
        result["naive_reset_ms"] = summary(naive_reset(naive_runs))
    return result


def naive_reset(runs: int) -> list[float]:
    """Delete every row of the EHR tables of one database and re-import the population."""
    from django.apps import apps
    from django.conf import settings
    from django.core.management.color import no_style
    from django.db import connections, transaction

    from seeddata.demo import demo_practitioners_ensure
    from seeddata.fhir.importer import import_paths
    from seeddata.population import population_bundles_path

    connection = connections["default"]
    tables = [
        model._meta.db_table
        for label in ("clinical", "orders", "notes")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    bundles = population_bundles_path(Path(settings.EHRGYM_POPULATION_DIR))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))
        import_paths([bundles], using="default")
        with transaction.atomic(using="default"):
            demo_practitioners_ensure(using="default")
        times.append((time.perf_counter() - t) * 1000)
    return times


def child(args) -> None:
    result = run_engine(args.engine, args.resets, args.steps, args.concurrent, args.naive_runs)
    print(json.dumps(result))


# --- the parent: one process per engine, then the table ---------------------------------------


def spawn(engine: str, args, data_dir: str) -> dict:
    env = {**os.environ, "EHRGYM_DATA_DIR": data_dir, "EHRGYM_LOG_LEVEL": "ERROR"}
    env.pop("REDIS_URL", None)
    if engine == "postgres":
        env["DATABASE_URL"] = PG_URL
    else:
        env.pop("DATABASE_URL", None)
    command = [sys.executable, __file__, "--child", engine, "--resets", str(args.resets), "--steps", str(args.steps),
               "--concurrent", str(args.concurrent), "--naive-runs", str(args.naive_runs if engine == "sqlite" else 0)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{engine} benchmark failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resets", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=32)
    parser.add_argument("--naive-runs", type=int, default=3)
    parser.add_argument("--child", choices=["sqlite", "postgres"])
    parser.add_argument("--engine", default=None)
    args = parser.parse_args()
    if args.child:
        args.engine = args.child
        child(args)
        return

    results = {}
    with tempfile.TemporaryDirectory(prefix="ehrgym-bench-") as data_dir:
        results["sqlite"] = spawn("sqlite", args, str(Path(data_dir) / "sqlite"))
        try:
            _postgres_databases(create=True)
        except Exception as error:
            print(f"PostgreSQL at {PG_URL} not reachable ({error}); skipping it", file=sys.stderr)
        else:
            try:
                results["postgres"] = spawn("postgres", args, str(Path(data_dir) / "postgres"))
            finally:
                _postgres_databases(create=False)

    print(f"{'':34}{'sqlite':>16}{'postgres':>16}")
    def row(label, key, sub):
        cells = []
        for engine in ("sqlite", "postgres"):
            value = results.get(engine, {}).get(key)
            cells.append(f"{value[sub]:>16.2f}" if isinstance(value, dict) else f"{'-':>16}")
        print(f"{label:34}{''.join(cells)}")
    for label, key in (("reset, warm pool (ms)", "warm_reset_ms"), ("reset, no pool / cold (ms)", "cold_reset_ms"),
                       ("semantic step (ms)", "step_ms")):
        row(f"{label} p50", key, "p50")
        row(f"{label} p95", key, "p95")
    for engine, result in results.items():
        print(f"{engine}: {result['patients']} patients, golden built in {result['golden_build_s']} s; "
              f"{result['concurrent_ok']}/{result['concurrent_tried']} concurrent episodes stepped without error "
              f"in {result['concurrent_wall_s']} s {result['concurrent_errors'] or ''}")
    sqlite = results["sqlite"]
    naive = sqlite["naive_reset_ms"]["p50"]
    speedup = naive / sqlite["warm_reset_ms"]["p50"]
    print(f"naive reset (delete EHR rows + re-import, sqlite) p50 {naive:.0f} ms, p95 "
          f"{sqlite['naive_reset_ms']['p95']:.0f} ms: warm reset is {speedup:.0f}x faster")
    postgres = results.get("postgres", {})
    final = {
        "sqlite_warm_reset_p50_ms": sqlite["warm_reset_ms"]["p50"],
        "sqlite_warm_reset_p95_ms": sqlite["warm_reset_ms"]["p95"],
        "sqlite_cold_reset_p50_ms": sqlite["cold_reset_ms"]["p50"],
        "sqlite_step_p50_ms": sqlite["step_ms"]["p50"],
        "sqlite_step_p95_ms": sqlite["step_ms"]["p95"],
        "postgres_warm_reset_p50_ms": postgres.get("warm_reset_ms", {}).get("p50"),
        "postgres_cold_reset_p50_ms": postgres.get("cold_reset_ms", {}).get("p50"),
        "postgres_step_p50_ms": postgres.get("step_ms", {}).get("p50"),
        "naive_reset_p50_ms": naive,
        "reset_speedup_vs_naive": round(speedup, 1),
        "max_concurrent_episodes": min(r["concurrent_ok"] for r in results.values()),
        "patients": sqlite["patients"],
    }
    print(json.dumps(final))


if __name__ == "__main__":
    main()
