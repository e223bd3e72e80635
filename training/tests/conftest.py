"""Training tests run against a live server on the harness's small golden database (as the
client's tests do); the ones that need torch and TRL skip when the training extras are missing."""

import os
from dataclasses import dataclass

import pytest

from harness.tests.conftest import alice, chart, harness_golden  # noqa: F401 (fixtures)

LATEST_RESULT = "ehr/laboratory-medicine.latest-result-v1"
EXTRAS = "the training extras are not installed (pip install -r requirements-train.txt, or make train-test)"


def require_training_extras():
    """Skip the calling test module unless torch, TRL, transformers and datasets import."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may come from a model hub in the tests
    for module in ("torch", "trl", "transformers", "datasets"):
        pytest.importorskip(module, reason=EXTRAS)


@dataclass
class Server:
    url: str
    token: str


@pytest.fixture
def server(chart, live_server, alice) -> Server:  # noqa: F811
    """The EHR serving the task library at a real URL, and alice's API token."""
    return Server(url=live_server.url, token=alice.auth_token.key)
