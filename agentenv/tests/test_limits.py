"""Sizes the agent-facing APIs accept, each refused with a JSON message that names the limit (issue 16, item 6).

Before: a 10 MB body got Django's HTML error page, a step stored whatever action it was sent, and an OpenEnv socket
dropped a message over Daphne's limit without a word (`make run` now raises Daphne's limit above the environment's,
which answers and closes with 4413; checked by hand with a 5 MB message).
"""

import json

import pytest

from agentenv.models import Episode
from agentenv.tests.browser_support import asgi_server  # noqa: F401
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN
from agentenv.tests.test_openenv_ws import _ws

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]
RESET = "/api/v1/episodes"
REVIEW = {"patient_mrn": MARIA_MRN, "instruction": "Review the chart."}


def test_a_body_over_the_upload_limit_is_a_413_in_json(alice_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({**REVIEW, "instruction": "x" * 20_000})

    for path in (RESET, "/openenv/reset"):
        response = alice_api.post(path, body, content_type="application/json")
        assert response.status_code == 413 and response["Content-Type"] == "application/json"
        assert response.json()["detail"].endswith("the API accepts at most 10000 bytes.")
    assert not Episode.objects.exists()


def test_a_step_refuses_an_action_over_the_size_limit_and_stores_nothing(alice_api, settings):
    settings.EHRGYM_MAX_ACTION_BYTES = 2048
    episode_id = alice_api.post(RESET, REVIEW, format="json").json()["episode_id"]
    huge = {"type": "search_patients", "query": "Garcia " * 1000}

    rest = alice_api.post(f"{RESET}/{episode_id}/step", {"action": huge}, format="json")
    assert rest.status_code == 400
    size = len(json.dumps(huge).encode())
    assert rest.json()["action"] == [f"The action is {size} bytes of JSON; a step takes at most 2048."]
    assert Episode.objects.get(pk=episode_id).step_count == 0

    alice_api.post("/openenv/reset", REVIEW, format="json")
    openenv = alice_api.post("/openenv/step", {"action": huge}, format="json")
    assert openenv.status_code == 422 and "a step takes at most 2048" in openenv.json()["detail"]


@pytest.fixture
def small_messages(settings) -> int:
    """A low message limit, set before the server process starts (it inherits this process's settings)."""
    settings.EHRGYM_MAX_WS_MESSAGE_BYTES = 4096
    return 4096


def test_an_openenv_socket_closes_with_4413_on_a_message_too_big(small_messages, asgi_server, alice):
    limit = small_messages
    with _ws(asgi_server, f"/openenv/ws?token={alice.auth_token.key}") as socket:
        socket.send(json.dumps({"type": "reset", "data": {**REVIEW, "instruction": "x" * 2 * limit}}))
        refused = json.loads(socket.recv(timeout=30))
        assert refused["data"]["code"] == "MESSAGE_TOO_BIG" and f"at most {limit}" in refused["data"]["message"]
        with pytest.raises(Exception):  # noqa: B017 (websockets' ConnectionClosed, with the close code checked below)
            socket.recv(timeout=10)
        assert socket.close_code == 4413
    assert not Episode.objects.filter(owner=alice).exists()
