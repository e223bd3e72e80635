"""Building the golden database: complete, recorded, and never half-done."""

import gzip
import os
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from clinical.models import Patient, Practitioner
from conftest import require_service
from seeddata.golden import golden_build, golden_build_info
from seeddata.population import PopulationError, population_slice

PATIENTS = 3


@pytest.fixture
def small_population(tmp_path) -> Path:
    """The first three patients of the shipped population, as a population of their own."""
    out = tmp_path / "population"
    population_slice(source_dir=settings.EHRGYM_POPULATION_DIR, out_dir=out, patients=PATIENTS)
    return out


@contextmanager
def golden_alias_at(settings_dict: dict):
    """Point the `golden` alias somewhere disposable, never at the real golden database."""
    configured = connections.settings["golden"]
    original = dict(configured)
    _forget_golden_connection()
    configured.update(settings_dict)
    try:
        yield
    finally:
        _forget_golden_connection()
        configured.clear()
        configured.update(original)


def _forget_golden_connection() -> None:
    # The engine may change, so the next use must build a new connection object.
    connections["golden"].close()
    del connections["golden"]


@pytest.fixture
def sqlite_golden(tmp_path, db, django_db_blocker):
    # `db`: a finished build signals other apps, which read the main (test) database.
    target = tmp_path / "golden.sqlite3"
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(target), "OPTIONS": {"timeout": 20}}
    with django_db_blocker.unblock(), golden_alias_at(sqlite):
        yield target


def _built_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.is_file())


def test_it_builds_the_population_and_the_demo_clinician(sqlite_golden, small_population):
    build = golden_build(population_dir=small_population)

    assert not build.skipped and build.patients == PATIENTS
    assert Patient.objects.using("golden").count() == PATIENTS
    assert Practitioner.objects.using("golden").filter(username="clinician").exists()
    assert build.resources > PATIENTS * 50
    assert _built_files(sqlite_golden.parent) == ["golden.sqlite3"]


def test_it_announces_a_finished_build_so_stale_copies_can_be_dropped(sqlite_golden, small_population):
    from clinical.signals import golden_rebuilt

    heard = []

    def listener(*, alias, **kwargs):
        heard.append(alias)

    golden_rebuilt.connect(listener)
    try:
        golden_build(population_dir=small_population)
        golden_build(population_dir=small_population)  # exists: skipped, nothing rebuilt
    finally:
        golden_rebuilt.disconnect(listener)
    assert heard == ["golden"]


def test_it_records_what_it_was_built_from(sqlite_golden, small_population):
    golden_build(population_dir=small_population)

    info = golden_build_info()
    manifest_sha = (small_population / "manifest.json").read_text()
    assert info["bundles"]["sha256"] in manifest_sha
    assert info["population_dir"] == str(small_population)
    assert info["imported"]["Patient"] == PATIENTS
    assert info["built_at"]


def test_it_leaves_an_existing_golden_database_alone_without_force(sqlite_golden, small_population):
    first = golden_build(population_dir=small_population)
    before = sqlite_golden.stat().st_mtime_ns

    again = golden_build(population_dir=small_population)
    assert again.skipped and again.target == first.target
    assert sqlite_golden.stat().st_mtime_ns == before

    rebuilt = golden_build(population_dir=small_population, force=True)
    assert not rebuilt.skipped and rebuilt.patients == PATIENTS
    assert Patient.objects.using("golden").count() == PATIENTS


def test_it_rebuilds_an_existing_golden_database_that_predates_a_migration(sqlite_golden, small_population):
    golden_build(population_dir=small_population)
    with connections["golden"].cursor() as cursor:  # as if built by the code before the newest migration
        cursor.execute("SELECT name FROM django_migrations WHERE app = 'clinical' ORDER BY id DESC LIMIT 1")
        newest = cursor.fetchone()[0]
        cursor.execute("DELETE FROM django_migrations WHERE app = 'clinical' AND name = %s", [newest])
    connections["golden"].close()
    said = []

    again = golden_build(population_dir=small_population, echo=said.append)

    assert not again.skipped and again.patients == PATIENTS
    assert any(f"predates 1 migration(s) (clinical.{newest})" in line for line in said)
    assert golden_build(population_dir=small_population).skipped


def test_a_failed_build_keeps_the_previous_golden_database(sqlite_golden, small_population):
    golden_build(population_dir=small_population)
    previous = sqlite_golden.read_bytes()
    with gzip.open(small_population / "bundles.ndjson.gz", "ab") as out:
        out.write(b"{}\n")

    with pytest.raises(PopulationError):
        golden_build(population_dir=small_population, force=True)

    assert sqlite_golden.read_bytes() == previous
    assert _built_files(sqlite_golden.parent) == ["golden.sqlite3"]


def test_build_golden_command_prints_a_summary_and_respects_force(sqlite_golden, small_population, settings):
    settings.EHRGYM_POPULATION_DIR = small_population
    out = StringIO()
    call_command("build_golden", stdout=out, verbosity=1)
    assert f"{PATIENTS} patients" in out.getvalue()

    out = StringIO()
    call_command("build_golden", stdout=out)
    assert "use --force to rebuild" in out.getvalue()


def _postgres_settings() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    base = connections["default"].settings_dict if url.startswith("postgres") else {}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": base.get("HOST") or "127.0.0.1",
        "PORT": base.get("PORT") or "5432",
        "USER": base.get("USER") or "postgres",
        "PASSWORD": base.get("PASSWORD", ""),
        "NAME": f"ehrgym_test_golden_{os.getpid()}",
        "OPTIONS": {},
    }


def _postgres_reachable(config: dict) -> bool:
    try:
        import psycopg

        psycopg.connect(dbname="postgres", host=config["HOST"], port=config["PORT"], user=config["USER"],
                        password=config["PASSWORD"] or None, connect_timeout=3).close()
    except Exception:
        return False
    return True


def _drop_postgres_database(config: dict) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", host=config["HOST"], port=config["PORT"], user=config["USER"],
                         password=config["PASSWORD"] or None, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')


def test_it_builds_and_rebuilds_on_postgresql(small_population, db, django_db_blocker):
    config = _postgres_settings()
    require_service(_postgres_reachable(config), "PostgreSQL")
    try:
        with django_db_blocker.unblock(), golden_alias_at(config):
            build = golden_build(population_dir=small_population)
            assert build.patients == PATIENTS and build.target == config["NAME"]

            rebuilt = golden_build(population_dir=small_population, force=True)
            assert rebuilt.patients == PATIENTS
            assert Patient.objects.using("golden").count() == PATIENTS
            assert golden_build_info()["imported"]["Patient"] == PATIENTS
            connections["golden"].close()
    finally:
        _drop_postgres_database(config)
