"""Test-wide fixtures and the rule for tests that need real services.

Tests that need PostgreSQL, Redis or Chromium skip with a clear message when the
service is absent, unless EHRGYM_REQUIRE_SERVICES=1 (as in CI), where they fail.
"""

import os
import secrets
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SYNTHEA_DIR = ROOT.parent / "shared" / "synthea"
ARTIFACTS_DIR = Path(os.environ.get("EHRGYM_ARTIFACTS_DIR", ROOT / "artifacts"))


def pytest_configure(config):
    # No reaper thread in test processes (ehrsite/asgi.py starts one without Redis): it would close episodes that
    # tests travelling in time expect to close themselves. agentenv/tests/test_reaper.py runs one on purpose.
    from django.conf import settings

    settings.EHRGYM_REAPER_INTERVAL_SECONDS = 0


def require_service(available: bool, what: str) -> None:
    """Skip (or, with EHRGYM_REQUIRE_SERVICES=1, fail) when a real service is missing."""
    if available:
        return
    if os.environ.get("EHRGYM_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (EHRGYM_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available on this machine")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per user; tests only need a valid login."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Named patients (clinical/tests/factories.py), shared by every app's tests.
@pytest.fixture
def alice(db):
    from clinical.tests import factories

    return factories.make_alice()


@pytest.fixture
def bob(db):
    from clinical.tests import factories

    return factories.make_bob()


@pytest.fixture
def charlie(db):
    from clinical.tests import factories

    return factories.make_charlie()


@pytest.fixture
def synthea_bundles() -> list[Path]:
    """The twenty real Synthea bundles in ../shared/synthea (skips when absent)."""
    files = sorted(SYNTHEA_DIR.glob("*.json"))
    if not files:
        pytest.skip(f"real Synthea bundles not found in {SYNTHEA_DIR}")
    return files


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


CHROMIUM = Path(os.environ.get("EHRGYM_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("EHRGYM_CHROMEDRIVER", "/usr/bin/chromedriver"))


@pytest.fixture
def chrome(tmp_path):
    """A real headless Chromium driven by Selenium, with a fresh profile."""
    require_service(CHROMIUM.exists() and CHROMEDRIVER.exists(),
                    f"Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager try to download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1280,900", f"--user-data-dir={tmp_path / 'chrome-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # tests read the console (CSP violations)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def forget_celery_connections() -> None:
    """Make Celery read its broker configuration afresh (tests that switch to a real worker).

    Celery caches its producer pool and queue routing from the configuration it first
    saw (eager, in-memory broker), and kombu keeps global producer pools per connection:
    a pool one test closed would otherwise be handed to the next.
    """
    import kombu.pools

    from ehrsite.celery import app

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.__dict__.pop("amqp", None)
    kombu.pools.reset()


def episodes_close_all() -> None:
    """Close every episode a test left open, drain the warm pool, and fail on an episode
    database alias left registered: pytest-django's teardown walks every configured alias,
    so one left behind would break it (and would be a leak)."""
    from django.db import connections

    from agentenv import snapshots
    from agentenv.close import episode_close
    from agentenv.models import Episode
    from agentenv.pool import pool_drain

    for episode in Episode.objects.filter(released_at__isnull=True):
        episode_close(episode=episode)
    pool_drain()
    leaked = [alias for alias in connections.settings if alias.startswith(snapshots.ALIAS_PREFIX)]
    for alias in leaked:
        snapshots.unregister(alias)
    assert not leaked, f"episode aliases left registered: {leaked}"


REDIS_TEST_URL = os.environ.get("EHRGYM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available(url: str = REDIS_TEST_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@contextmanager
def celery_worker(settings, *, queue_prefix: str, worker_options: list[str], env: dict[str, str] | None = None):
    """A real `celery -A ehrsite worker` subprocess over Redis, stopped (and its queue deleted) at the end.

    The worker listens on a queue of its own and works on this test's databases (the test
    runner's renamed ones, passed to agentenv/tests/worker_settings.py); this process sends
    its tasks to that queue while the block runs. `worker_options` chooses the pool
    (`["--pool=solo"]`, `["--pool=threads", "--concurrency=2"]`); `env` adds settings
    (EHRGYM_POOL_SIZE...). Yields the process; its last output is printed at the end, for
    a failing test's report.
    """
    import redis
    from django.db import connections

    from agentenv import snapshots
    from ehrsite.celery import app as celery_app

    require_service(redis_available(), f"Redis at {REDIS_TEST_URL}")
    queue = f"{queue_prefix}-{secrets.token_hex(4)}"
    worker_env = {
        **os.environ,
        "REDIS_URL": REDIS_TEST_URL,
        "DJANGO_SETTINGS_MODULE": "agentenv.tests.worker_settings",
        "EHRGYM_WORKER_DEFAULT_NAME": str(connections.settings["default"]["NAME"]),
        "EHRGYM_WORKER_GOLDEN_NAME": snapshots.golden_name(),
        "EHRGYM_EPISODE_DIR": str(settings.EHRGYM_EPISODE_DIR),
        **(env or {}),
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "ehrsite", "worker", *worker_options, "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    celery_app.conf.update(broker_url=REDIS_TEST_URL, task_always_eager=False, task_default_queue=queue)
    forget_celery_connections()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield process
    finally:
        celery_app.conf.update(previous)
        forget_celery_connections()
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        redis.Redis.from_url(REDIS_TEST_URL).delete(queue)
        print(output[-4000:])
