"""Settings come from the environment and fail loudly on values they cannot use."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import ConnectionHandler

from conftest import require_service
from ehrsite.databases import database_settings
from ehrsite.env import env_bool, env_int, env_list


@pytest.mark.parametrize("raw, expected", [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False)])
def test_it_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("EHRGYM_X", raw)
    assert env_bool("EHRGYM_X") is expected


def test_it_refuses_a_boolean_it_cannot_read(monkeypatch):
    monkeypatch.setenv("EHRGYM_X", "treu")
    with pytest.raises(ImproperlyConfigured, match="EHRGYM_X must be one of"):
        env_bool("EHRGYM_X")


def test_it_refuses_a_non_numeric_or_too_small_integer(monkeypatch):
    monkeypatch.setenv("EHRGYM_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("EHRGYM_N", 3)
    monkeypatch.setenv("EHRGYM_N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("EHRGYM_N", 3, minimum=1)


def test_it_uses_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("EHRGYM_N", raising=False)
    assert env_int("EHRGYM_N", 3) == 3
    assert env_list("EHRGYM_N", ["a"]) == ["a"]


def test_sqlite_is_the_default_with_a_golden_file_beside_the_main_one(tmp_path):
    databases = database_settings("", tmp_path)
    assert databases["default"]["NAME"] == str(tmp_path / "ehrgym.sqlite3")
    assert databases["golden"]["NAME"] == str(tmp_path / "golden.sqlite3")
    # Live-server and Channels tests share the test database across threads.
    assert databases["default"]["TEST"]["NAME"]


def test_the_main_sqlite_database_uses_write_ahead_logging(tmp_path, django_db_blocker):
    databases = database_settings("", tmp_path)
    path = tmp_path / "ehrgym.sqlite3"
    wrapper = ConnectionHandler({"default": databases["default"]})["default"]
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        wrapper.close()
    assert path.exists()


def test_a_postgres_url_switches_both_databases_to_postgres():
    databases = database_settings("postgres://ehr:s%40cret@db.example:5433/ehrgym", Path("/unused"))
    default, golden = databases["default"], databases["golden"]
    assert default["ENGINE"] == "django.db.backends.postgresql"
    assert (default["USER"], default["PASSWORD"], default["HOST"], default["PORT"]) == (
        "ehr", "s@cret", "db.example", "5433")
    assert (default["NAME"], golden["NAME"]) == ("ehrgym", "ehrgym_golden")
    assert default["TEST"]["NAME"] == "test_ehrgym"


@pytest.mark.parametrize("url", ["mysql://root@localhost/ehr", "postgres://localhost:5432/"])
def test_it_refuses_a_database_url_it_cannot_use(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_settings(url, Path("/unused"))


def test_tasks_run_in_process_without_a_broker(settings):
    from ehrsite.celery import app

    assert not settings.REDIS_URL
    assert app.conf.task_always_eager is True


def test_the_asgi_application_routes_http_and_websockets():
    from ehrsite.asgi import application

    assert set(application.application_mapping) == {"http", "websocket"}


def _manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=120)


def test_an_unreachable_postgres_is_a_short_error_not_a_traceback():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = _manage("migrate", database_url=f"postgres://postgres@127.0.0.1:{port}/ehrgym")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("Error: Cannot reach PostgreSQL (connection failed")
    assert "unset DATABASE_URL to use the embedded SQLite default" in run.stderr and len(run.stderr.splitlines()) == 1


def test_a_missing_postgres_database_says_how_to_create_it():
    require_service(_postgres_reachable(), "PostgreSQL at 127.0.0.1:5432")
    run = _manage("migrate", database_url="postgres://postgres@127.0.0.1:5432/ehrgym_no_such_database")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip() == ("Error: The PostgreSQL database 'ehrgym_no_such_database' (default) does not exist "
                                  "on 127.0.0.1:5432. Create it: createdb -h 127.0.0.1 -p 5432 -U postgres "
                                  "ehrgym_no_such_database")


def _postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(dbname="postgres", host="127.0.0.1", port=5432, user="postgres", connect_timeout=3).close()
    except Exception:
        return False
    return True
