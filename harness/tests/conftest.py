"""A real golden database, the task library in the main database, and people to run episodes.

The golden database is built once per test session from the shipped population (all of it
by default: oracles and exploits run against the charts users get; EHRGYM_HARNESS_TEST_PATIENTS
takes the first N for a quicker run) into a database of its own; tests that run episodes point the
`golden` alias at it for their duration, so other apps' tests keep their own golden
database. Criterion unit tests need none of this: they write to the main test database
with the clinical factories, inside `episode_step_context`, as an episode would.
"""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.testcases import SimpleTestCase, _DatabaseFailure
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agentenv import snapshots
from agentenv.browser import drivers
from agentenv.browser import sessions as browser_sessions
from agentenv.models import Episode
from agentenv.reset import ResetParameters, episode_reset
from agentenv.step import episode_step
from conftest import CHROMEDRIVER, CHROMIUM, episodes_close_all, require_service
from harness.library import library_load
from harness.services import task_sync
from seeddata.golden import golden_build
from seeddata.population import population_slice

PATIENTS = int(os.environ.get("EHRGYM_HARNESS_TEST_PATIENTS", "0"))  # 0: the whole population
# Env-level tests run in a rolled-back transaction on the main database (no flush between
# tests); the golden database and the episodes' copies are reached past Django's guard.
ENV_DBS = pytest.mark.django_db
GUARDED_METHODS = [name for name, _ in SimpleTestCase._disallowed_connection_methods]


def _reachable(alias: str) -> bool:
    return alias == "golden" or alias.startswith(snapshots.ALIAS_PREFIX)


@contextmanager
def _unguarded(monkeypatch):
    """Let the test reach the golden database and episode copies, which it does not list in `databases`.

    Django guards unlisted aliases twice: it wraps methods of their connection objects
    (unwrapped here, and wrapped again after, so the test case can remove its wrappers),
    and patches ensure_connection, whose real method its closure keeps.
    """
    connection = connections["golden"]
    guarded = {name: getattr(connection, name) for name in GUARDED_METHODS}
    for name, method in guarded.items():
        if isinstance(method, _DatabaseFailure):
            setattr(connection, name, method.wrapped)
    patched = BaseDatabaseWrapper.ensure_connection
    cells = dict(zip(patched.__code__.co_freevars, (c.cell_contents for c in patched.__closure__ or ()), strict=True))
    real = cells.get("real_ensure_connection")
    if real is not None:
        def ensure_connection(self, *args, **kwargs):
            return (real if _reachable(self.alias) else patched)(self, *args, **kwargs)

        monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)
    try:
        yield
    finally:
        for name, method in guarded.items():
            setattr(connection, name, method)


@contextmanager
def golden_pointed_at(name: str):
    """The `golden` alias on database `name` (same engine), then back where it was."""
    configured = connections.settings["golden"]
    saved = {"NAME": configured["NAME"], "TEST": dict(configured.get("TEST") or {})}
    connections["golden"].close()
    configured["NAME"] = name
    configured["TEST"] = {**saved["TEST"], "NAME": name}
    try:
        yield
    finally:
        connections["golden"].close()
        configured.update(saved)


def _harness_golden_name(tmp_path_factory) -> str:
    if connections.settings["golden"]["ENGINE"].endswith("sqlite3"):
        return str(tmp_path_factory.mktemp("harness-golden") / "golden.sqlite3")
    main = connections.settings["default"]["TEST"]["NAME"] or f"test_{connections.settings['default']['NAME']}"
    return f"{main}_hgolden"[-63:]


def _drop_postgres(name: str) -> None:
    import psycopg

    gold = connections.settings["golden"]
    options = {"dbname": "postgres", "user": gold["USER"] or None, "password": gold["PASSWORD"] or None,
               "host": gold["HOST"] or None, "port": gold["PORT"] or None}
    with psycopg.connect(**{k: v for k, v in options.items() if v}, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def golden_built_at(name: str, population: Path, django_db_blocker) -> None:
    """Build a golden database named `name` from `population`, from a session fixture. Such a fixture may be first
    asked for inside a test, whose database guard would refuse the build: it is let past."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch, _unguarded(patch), \
            golden_pointed_at(name):
        golden_build(force=True, population_dir=population)


@pytest.fixture(scope="session")
def harness_golden(django_db_setup, django_db_blocker, tmp_path_factory) -> str:
    """Name of the session's golden database: the population (or its first PATIENTS patients)."""
    population = Path(settings.EHRGYM_POPULATION_DIR)
    if PATIENTS:
        population = tmp_path_factory.mktemp("harness-population")
        population_slice(source_dir=Path(settings.EHRGYM_POPULATION_DIR), out_dir=population, patients=PATIENTS)
    name = _harness_golden_name(tmp_path_factory)
    golden_built_at(name, population, django_db_blocker)
    yield name
    if not name.endswith(".sqlite3"):
        with django_db_blocker.unblock():
            _drop_postgres(name)


@pytest.fixture
def chart(harness_golden, db, monkeypatch, settings, tmp_path):
    """Episodes run on the harness golden database, with the library's tasks loaded."""
    settings.EHRGYM_POOL_SIZE = 0
    settings.EHRGYM_POOL_REFILL_IN_BACKGROUND = False
    settings.EHRGYM_EPISODE_DIR = tmp_path / "episodes"
    with _unguarded(monkeypatch), golden_pointed_at(harness_golden):
        task_sync()
        yield harness_golden
        episodes_close_all()


@pytest.fixture
def ehr(chart, live_server, settings):
    """(Browser tests) The EHR served by the live server, which episode browsers reach; every browser gone after."""
    require_service(CHROMIUM.exists() and CHROMEDRIVER.exists(),
                    f"Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})")
    settings.EHRGYM_BROWSER_BASE_URL = live_server.url
    settings.EHRGYM_BROWSER_POOL_SIZE = 0
    yield live_server
    browser_sessions.sessions_close_all()
    drivers.pool.drain()


def _user_with_token(username: str):
    user = get_user_model().objects.create_user(username=username)
    Token.objects.create(user=user)
    return user


@pytest.fixture
def alice(db):
    """An agent developer with an API token."""
    return _user_with_token("alice")


@pytest.fixture
def alice_api(alice) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {alice.auth_token.key}")
    return client


def template_ids() -> list[str]:
    return sorted(library_load())


def criterion_kinds(rubric: list) -> set[str]:
    """Every criterion kind in a rubric, nested ones included."""
    kinds = set()
    for criterion in rubric:
        kinds.add(criterion["kind"])
        kinds |= criterion_kinds(criterion.get("criteria", []))
    return kinds


def templates_sampled_on_postgresql(task_ids: list[str]) -> list[str]:
    """`task_ids` on SQLite; on PostgreSQL, the fewest of them that together still have
    every criterion kind, tier and domain that `task_ids` have.

    For checks of rubric logic (the exploits, doing nothing), which does not depend on the
    database engine: they run for every template on SQLite, and PostgreSQL still runs every
    kind of criterion against its own engine. That keeps the suite's second pass well within
    CI's time. Oracles and seeds run for every template on both engines (instances are drawn
    by queries, and every query must work on both).
    """
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return list(task_ids)
    library = library_load()
    features = {
        task_id: {f"kind:{kind}" for kind in criterion_kinds(library[task_id].rubric)}
        | {f"tier:{library[task_id].tier}", f"domain:{library[task_id].domain}"}
        for task_id in sorted(task_ids)
    }
    uncovered, chosen = set().union(*features.values()), []
    while uncovered:  # greedy set cover; ties go to the first id, so the sample is stable
        best = max(features, key=lambda task_id: len(features[task_id] & uncovered))
        chosen.append(best)
        uncovered -= features[best]
    return sorted(chosen)


def reset(owner, task_id: str, seed: int = 0, **options) -> Episode:
    return episode_reset(owner=owner, parameters=ResetParameters(task_id=task_id, seed=seed, **options))


def act(episode: Episode, **action):
    episode.refresh_from_db()
    return episode_step(episode=episode, action=action)
