"""The client's tests talk HTTP to a real server: pytest-django's live server, on the harness's
small golden database with the task library loaded (harness/tests/conftest.py)."""

from dataclasses import dataclass

import pytest

from harness.tests.conftest import alice, chart, harness_golden  # noqa: F401 (fixtures)

LATEST_RESULT = "ehr/laboratory-medicine.latest-result-v1"


@dataclass
class Server:
    url: str
    token: str


@pytest.fixture
def server(chart, live_server, alice) -> Server:  # noqa: F811
    """The EHR serving the task library at a real URL, and alice's API token."""
    return Server(url=live_server.url, token=alice.auth_token.key)


@pytest.fixture
def server_env(server, monkeypatch) -> Server:
    """The server, also named in EHRGYM_BASE_URL and EHRGYM_TOKEN (what the TRL environment reads)."""
    monkeypatch.setenv("EHRGYM_BASE_URL", server.url)
    monkeypatch.setenv("EHRGYM_TOKEN", server.token)
    return server
