"""Build the golden database: migrations + the default population + its scenario overlay + demo clinicians.

The population is Synthea's output as shipped (fixtures/population). The scenario
overlay (fixtures/scenarios.json, seeddata/scenarios.py) is authored data, not Synthea's:
a few dozen results (low potassium, low and normal magnesium, creatinine and eGFR) added
on top of chosen patients so that tasks' rarer branches have instances. Every added
resource is marked as such (id prefix `ehrgym-scenario-`, meta.tag authored-scenario),
and the build record lists them; `build_golden --no-scenarios` leaves them out.

Episode databases are copies of it, so it is built completely somewhere else and
only then put in place: a half-built golden database is never visible, and a failed
build leaves the previous one as it was. SQLite builds into a scratch file next to
the target and renames it over; PostgreSQL builds into a scratch database and swaps
the names.
"""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone

from clinical.models import AuditEvent, Patient
from clinical.signals import golden_rebuilt, population_seeded
from seeddata.demo import demo_practitioners_ensure
from seeddata.population import population_bundles_path, verify_population
from seeddata.scenarios import ScenarioError, ScenarioSummary, scenarios_apply

BUILD_ACTION = "golden.build"
Echo = Callable[[str], None]


class GoldenBuildError(Exception):
    """The golden database could not be built; the previous one is untouched."""


@dataclass(frozen=True)
class GoldenBuild:
    target: str
    skipped: bool = False
    patients: int = 0
    resources: int = 0
    seconds: float = 0.0
    source: dict = field(default_factory=dict)
    # Authored scenario resources added on top of the population (seeddata.scenarios).
    scenario_resources: int = 0
    scenario_patients: int = 0


# --- where the database lives ----------------------------------------------------


class _SqliteTarget:
    SIDECARS = ("-journal", "-wal", "-shm")

    def __init__(self, settings_dict: dict):
        self.path = Path(settings_dict["NAME"])
        self.name = str(self.path)

    def exists(self) -> bool:
        # Opening a missing SQLite file creates it empty: an empty file is no database.
        return self.path.is_file() and self.path.stat().st_size > 0

    def create_scratch(self) -> str:
        scratch = self.path.with_name(f".{self.path.name}.building-{os.getpid()}")
        self._remove(scratch)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return str(scratch)

    def publish(self, scratch: str) -> None:
        # A leftover journal of the old file would be replayed into the new one.
        for suffix in self.SIDECARS:
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        os.replace(scratch, self.path)

    def discard(self, scratch: str) -> None:
        self._remove(Path(scratch))

    def _remove(self, path: Path) -> None:
        for name in (str(path), *(f"{path}{suffix}" for suffix in self.SIDECARS)):
            Path(name).unlink(missing_ok=True)

    @staticmethod
    def tune(connection) -> None:
        # The scratch file is thrown away if anything fails, so durability during the
        # build buys nothing; an in-memory journal still lets a failed bundle roll back.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA journal_mode = MEMORY")

    @staticmethod
    def finish(connection) -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode = DELETE")
            cursor.execute("ANALYZE")


class _PostgresTarget:
    def __init__(self, settings_dict: dict):
        self.settings_dict = settings_dict
        self.name = settings_dict["NAME"]

    @contextmanager
    def _maintenance(self) -> Iterator:
        """CREATE/DROP/ALTER DATABASE run outside transactions, from the `postgres` database."""
        import psycopg

        options = {
            "dbname": "postgres",
            "host": self.settings_dict.get("HOST") or None,
            "port": self.settings_dict.get("PORT") or None,
            "user": self.settings_dict.get("USER") or None,
            "password": self.settings_dict.get("PASSWORD") or None,
        }
        with psycopg.connect(**{k: v for k, v in options.items() if v}, autocommit=True) as connection:
            yield connection

    def _exists(self, connection, name: str) -> bool:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None

    def exists(self) -> bool:
        with self._maintenance() as connection:
            return self._exists(connection, self.name)

    def create_scratch(self) -> str:
        scratch = f"{self.name}_build_{os.getpid()}"[-63:]
        with self._maintenance() as connection:
            self._drop(connection, scratch)
            connection.execute(self._sql("CREATE DATABASE {}", scratch))
        return scratch

    def publish(self, scratch: str) -> None:
        """Swap names so the old golden database exists until the new one has its name."""
        retired = f"{self.name}_old_{os.getpid()}"[-63:]
        with self._maintenance() as connection:
            had_target = self._exists(connection, self.name)
            if had_target:
                self._disconnect(connection, self.name)
                connection.execute(self._sql("ALTER DATABASE {} RENAME TO {}", self.name, retired))
            connection.execute(self._sql("ALTER DATABASE {} RENAME TO {}", scratch, self.name))
            if had_target:
                self._drop(connection, retired)

    def discard(self, scratch: str) -> None:
        with self._maintenance() as connection:
            self._drop(connection, scratch)

    def _drop(self, connection, name: str) -> None:
        self._disconnect(connection, name)
        connection.execute(self._sql("DROP DATABASE IF EXISTS {}", name))

    def _disconnect(self, connection, name: str) -> None:
        # A database with sessions can be neither renamed nor dropped; --force means it.
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )

    @staticmethod
    def _sql(template: str, *names: str):
        from psycopg import sql

        return sql.SQL(template).format(*(sql.Identifier(name) for name in names))

    @staticmethod
    def tune(connection) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")

    @staticmethod
    def finish(connection) -> None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _target_for(alias: str):
    connection = connections[alias]
    if connection.vendor == "sqlite":
        return _SqliteTarget(connection.settings_dict)
    if connection.vendor == "postgresql":
        return _PostgresTarget(connection.settings_dict)
    raise GoldenBuildError(f"golden databases on {connection.vendor} are not supported")


@contextmanager
def _alias_pointed_at(alias: str, name: str) -> Iterator:
    """Point the alias at the scratch database for the build, as Django's test runner
    does for test databases, so migrations and routers see the alias they expect."""
    connection = connections[alias]
    connection.close()
    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = name
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


# --- the build ------------------------------------------------------------------------


def _import_population(*, bundles: Path, alias: str, progress: bool):
    from seeddata.fhir.importer import import_paths

    summary = import_paths([bundles], using=alias, progress=progress)
    if summary.errors:
        raise GoldenBuildError(f"the population did not import cleanly:\n{summary.as_table()}")
    return summary


def _source(*, population_dir: Path, manifest: dict) -> dict:
    keys = ("seed", "reference_date", "patients", "generator", "command", "bundles", "format")
    return {"population_dir": str(population_dir), **{key: manifest[key] for key in keys if key in manifest}}


def _record_build(*, alias: str, source: dict, summary, scenarios: dict) -> None:
    """What the database was built from, read back by `golden_build_info`."""
    AuditEvent.objects.using(alias).create(
        at=timezone.now(),
        actor="system",
        action=BUILD_ACTION,
        target_type="clinical.population",  # a label, not a module path: kept so that builds stay identical
        target_id=source.get("bundles", {}).get("sha256", "")[:16] or "unknown",
        details={**source, "imported": {kind: summary.imported(kind) for kind in sorted(summary.counts)},
                 "scenarios": scenarios},
    )


def _apply_scenarios(*, alias: str, manifest: dict, path: Path | None, echo: Echo) -> ScenarioSummary | None:
    """The authored scenario overlay, dated from the population's reference date."""
    if not manifest.get("reference_date"):
        echo("No reference_date in the population manifest: the scenario overlay is not applied")
        return None
    try:
        applied = scenarios_apply(using=alias, reference_date=date.fromisoformat(manifest["reference_date"]),
                                  path=path)
    except ScenarioError as error:
        raise GoldenBuildError(f"the scenario overlay could not be applied: {error}") from error
    per = ", ".join(f"{name} {s['resources']} on {len(s['mrns'])}" for name, s in applied.scenarios.items())
    echo(f"Added {applied.resources} authored scenario resources (not Synthea output) to {applied.patients} "
         f"patients from {applied.path}: {per}")
    return applied


def _populate(*, alias: str, population_dir: Path, progress: bool, echo: Echo, scenarios: bool,
              scenarios_path: Path | None) -> tuple[int, int, dict, ScenarioSummary | None]:
    manifest = verify_population(population_dir)
    source = _source(population_dir=population_dir, manifest=manifest)
    echo("Applying migrations")
    call_command("migrate", database=alias, interactive=False, verbosity=0)
    echo(f"Importing {manifest.get('patients', 'the')} patients from {population_dir}")
    summary = _import_population(bundles=population_bundles_path(population_dir), alias=alias, progress=progress)
    applied = _apply_scenarios(alias=alias, manifest=manifest, path=scenarios_path, echo=echo) if scenarios else None
    reference_date = date.fromisoformat(manifest["reference_date"]) if manifest.get("reference_date") else None
    with transaction.atomic(using=alias):
        # What apps above the chart derive from it (the In Basket's recent results), in the same database.
        population_seeded.send(sender=GoldenBuild, using=alias, reference_date=reference_date)
        demo_practitioners_ensure(using=alias)
        _record_build(alias=alias, source=source, summary=summary,
                      scenarios=applied.as_json() if applied else {"applied": False})
    return Patient.objects.using(alias).count(), summary.imported(), source, applied


def golden_build(
    *,
    force: bool = False,
    alias: str = "golden",
    population_dir: Path | None = None,
    progress: bool = False,
    echo: Echo = lambda message: None,
    scenarios: bool = True,
    scenarios_path: Path | None = None,
) -> GoldenBuild:
    """Build the golden database from the population (and, unless `scenarios` is false, the
    authored scenario overlay on top of it), or leave an existing one alone."""
    started = time.monotonic()
    population_dir = Path(population_dir or settings.EHRGYM_POPULATION_DIR)
    target = _target_for(alias)
    if target.exists() and not force:
        stale = _unapplied_migrations(alias)
        if not stale:
            return GoldenBuild(target=target.name, skipped=True)
        # Episodes copy its schema: a golden database older than the code would fail them all.
        echo(f"The golden database predates {len(stale)} migration(s) ({', '.join(stale[:3])}"
             f"{', ...' if len(stale) > 3 else ''}): rebuilding it")
    scratch = target.create_scratch()
    echo(f"Building into {scratch}")
    try:
        with _alias_pointed_at(alias, scratch) as connection:
            target.tune(connection)
            patients, resources, source, applied = _populate(
                alias=alias, population_dir=population_dir, progress=progress, echo=echo, scenarios=scenarios,
                scenarios_path=scenarios_path,
            )
            target.finish(connection)
        target.publish(scratch)
    except BaseException:
        target.discard(scratch)
        raise
    golden_rebuilt.send(sender=GoldenBuild, alias=alias)
    return GoldenBuild(
        target=target.name,
        patients=patients,
        resources=resources,
        seconds=time.monotonic() - started,
        source=source,
        scenario_resources=applied.resources if applied else 0,
        scenario_patients=applied.patients if applied else 0,
    )


def _unapplied_migrations(alias: str) -> list[str]:
    """Migrations the existing database at `alias` has not had, as "app.name"."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    finally:
        connections[alias].close()
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]


def golden_build_info(*, alias: str = "golden") -> dict | None:
    """The latest build record of a golden database (None if it was never built)."""
    event = AuditEvent.objects.using(alias).filter(action=BUILD_ACTION).order_by("-at", "-id").first()
    return event.details | {"built_at": event.at.isoformat()} if event else None
