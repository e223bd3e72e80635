"""A PostgreSQL server with every connection taken answers requests with 503 and Retry-After, not 500: two web
processes and 64 resets at once on a server of 100 connections gave clients 500s ("too many clients already")."""

import json
import secrets
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.test import RequestFactory

from bench.server import postgres_reachable
from ehrsite.errors import DATABASE_FULL_RETRY_AFTER_S, DatabaseFullMiddleware, database_full

PG_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="module")
def refusals():
    """Two real refusals from PostgreSQL: one for want of connections (a role allowed none, the same refusal a full
    server gives), one for another reason (a database that does not exist)."""
    from conftest import require_service

    require_service(postgres_reachable(PG_SERVER), "PostgreSQL at 127.0.0.1:5432")
    parts, role = urlsplit(PG_SERVER), f"ehrgym_full_{secrets.token_hex(4)}"
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
    try:
        found = {}
        for name, url in (("full", f"postgresql://{role}@{parts.hostname}:{parts.port}/postgres"),
                          ("other", f"{PG_SERVER}_no_such_database_{role}")):
            with pytest.raises(psycopg.OperationalError) as raised:
                psycopg.connect(url, connect_timeout=5)
            found[name] = raised.value
        yield found
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def _answer(path: str, error: Exception):
    middleware = DatabaseFullMiddleware(lambda request: None)
    return middleware.process_exception(RequestFactory().post(path), error)


def test_the_middleware_is_installed():
    assert "ehrsite.errors.DatabaseFullMiddleware" in settings.MIDDLEWARE


def test_no_free_connection_is_a_503_with_retry_after_on_each_surface(refusals):
    wrapped = RuntimeError("reset failed")
    wrapped.__cause__ = refusals["full"]  # as Django re-raises a driver's error, wrapped
    assert database_full(refusals["full"]) and database_full(wrapped)

    api = _answer("/api/v1/episodes", wrapped)
    assert api.status_code == 503 and api["Retry-After"] == str(DATABASE_FULL_RETRY_AFTER_S)
    assert "max_connections" in json.loads(api.content)["detail"]

    fhir = _answer("/fhir/r4/Patient", refusals["full"])
    assert fhir.status_code == 503 and json.loads(fhir.content)["resourceType"] == "OperationOutcome"

    page = _answer("/patients/", refusals["full"])
    assert page.status_code == 503 and page["Retry-After"] and b"retry" in page.content


def test_other_database_errors_stay_server_errors(refusals):
    assert not database_full(refusals["other"])
    assert _answer("/api/v1/episodes", refusals["other"]) is None  # Django's 500 handler answers
