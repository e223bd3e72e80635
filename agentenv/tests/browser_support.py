"""Fixtures of the browser-mode tests: the live server as the EHR the browsers reach, and a
guarantee that no Chromium outlives its test.

Test modules import the fixtures they use (`from agentenv.tests.browser_support import ...`).
"""

import socket
import time
from contextlib import contextmanager

import psutil
import pytest
from channels.routing import get_default_application
from daphne.testing import DaphneProcess
from django.db import connections

from agentenv.browser import drivers
from agentenv.browser import sessions as browser_sessions
from agentenv.close import episode_close
from agentenv.models import Episode
from agentenv.tests.conftest import MARIA_MRN, client_for
from conftest import CHROMEDRIVER, CHROMIUM, require_service

BROWSER_DBS = pytest.mark.django_db(transaction=True, databases=["default", "golden"])
RESET = "/api/v1/episodes"


def browser_processes() -> list[psutil.Process]:
    """chromedriver and Chromium processes started by this test process."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if process.name() in {"chromedriver", "chromium", "chrome"} and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


def wait_until_gone(timeout: float = 10.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := browser_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture
def ehr(settings, live_server, golden):
    """The EHR served by the live server, reachable by episode browsers; pool off, so each
    test controls when browsers start. On exit every browser must be gone."""
    require_service(
        CHROMIUM.exists() and CHROMEDRIVER.exists(), f"Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})"
    )
    settings.EHRGYM_BROWSER_BASE_URL = live_server.url
    settings.EHRGYM_BROWSER_POOL_SIZE = 0
    yield live_server
    for episode in Episode.objects.filter(released_at__isnull=True):
        episode_close(episode=episode)
    browser_sessions.sessions_close_all()
    drivers.pool.drain()
    leaked = wait_until_gone()
    assert not leaked, f"browser processes left running: {[(p.pid, p.name()) for p in leaked]}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def daphne_serving(settings):
    """Daphne serving ehrsite.asgi (HTTP and WebSockets, as `make run` does) in a child process on the test's
    databases, as they are when it starts; its episode browsers reach it at its own URL. Yields the URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings.EHRGYM_BROWSER_BASE_URL = url
    settings.EHRGYM_BROWSER_POOL_SIZE = 0
    # The child inherits this process's state (the test database names, these settings):
    # no open database connection may be shared with it.
    connections.close_all()
    server = DaphneProcess("127.0.0.1", get_default_application, port=port)
    server.start()
    if not server.ready.wait(timeout=20):
        server.terminate()
        pytest.fail(f"Daphne did not start: {server.errors.get(False) if not server.errors.empty() else 'no error'}")
    try:
        yield url
    finally:
        server.terminate()
        server.join(10)


@pytest.fixture
def asgi_server(settings):
    """The test's server (daphne_serving)."""
    with daphne_serving(settings) as url:
        yield url


def browser_reset(api, **overrides) -> dict:
    body = {"patient_mrn": MARIA_MRN, "instruction": "Review Maria Garcia's hemoglobin A1c.", "mode": "browser",
            **overrides}
    response = api.post(RESET, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def browser_step(api, episode_id: str, **action) -> dict:
    response = api.post(f"{RESET}/{episode_id}/step", {"action": action}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


__all__ = ["BROWSER_DBS", "asgi_server", "browser_processes", "browser_reset", "browser_step", "client_for", "ehr",
           "daphne_serving", "free_port", "wait_until_gone"]
