"""With REDIS_URL set and Redis down (issue 16, item 3): what needs only the database keeps working,
and what needs Redis says so instead of failing with a 500 or a bare 1011. Before: a reset answered
500 (its episode created all the same), the spectator handshake 500, the OpenEnv socket 1011.

The outage is real: the channel layer points at a port where nothing listens.
"""

import json
import socket

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from agentenv.consumers import CLOSE_TRY_AGAIN_LATER
from agentenv.models import Episode
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN, act, start
from agentenv.tests.test_spectator import _session_cookie, _socket
from conftest import forget_celery_connections
from ehrsite.asgi import application

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


def _dead_redis_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{probe.getsockname()[1]}/0"


@pytest.fixture
def redis_down(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": [_dead_redis_url()]}}}


def test_a_spectator_gets_the_steps_so_far_then_a_clear_error_and_close_code_1013(redis_down, alice):
    episode = start(alice)
    act(episode, type="open_chart", mrn=MARIA_MRN)  # its live message cannot be published: the step still counts

    cookie = _session_cookie(alice)

    async def watch():
        spectator = _socket(episode, cookie)
        connected, _ = await spectator.connect()
        assert connected
        state = await spectator.receive_json_from(timeout=10)
        step = await spectator.receive_json_from(timeout=10)
        error = await spectator.receive_json_from(timeout=10)
        assert state["kind"] == "episode" and step["kind"] == "step" and step["index"] == 1
        assert error["type"] == "error" and "channel layer is unreachable" in error["detail"]
        closed = await spectator.receive_output(timeout=10)
        assert closed == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER}

    async_to_sync(watch)()
    episode.refresh_from_db()
    assert episode.step_count == 1


def test_an_openenv_socket_resets_and_steps_without_the_channel_layer(redis_down, alice):
    async def session():
        socket_ = WebsocketCommunicator(application, f"/openenv/ws?token={alice.auth_token.key}")
        connected, _ = await socket_.connect()
        assert connected
        await socket_.send_to(text_data=json.dumps(
            {"type": "reset", "data": {"patient_mrn": JAMES_MRN, "instruction": "Review."}}))
        reset = json.loads(await socket_.receive_from(timeout=30))
        assert reset["type"] == "observation", reset
        await socket_.send_to(text_data=json.dumps(
            {"type": "step", "data": {"type": "open_chart", "mrn": JAMES_MRN}}))
        step = json.loads(await socket_.receive_from(timeout=30))
        assert step["type"] == "observation" and step["data"]["observation"]["step"] == 1, step
        await socket_.disconnect()

    async_to_sync(session)()
    assert Episode.objects.get(owner=alice).step_count == 1


@pytest.fixture
def broker_down(settings):
    """Celery as with REDIS_URL (tasks go to a broker), the broker unreachable, a warm pool to refill."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = _dead_redis_url()
    settings.EHRGYM_POOL_SIZE = 2
    forget_celery_connections()
    yield
    forget_celery_connections()


def test_a_reset_succeeds_in_process_when_the_broker_is_down_and_nothing_is_left_half_made(broker_down, alice_api):
    response = alice_api.post("/api/v1/episodes", {"patient_mrn": MARIA_MRN, "instruction": "Review."}, format="json")
    assert response.status_code == 201, response.content
    episode = Episode.objects.get(pk=response.json()["episode_id"])
    assert episode.status == Episode.Status.RUNNING and not episode.from_pool
    step = alice_api.post(f"/api/v1/episodes/{episode.pk}/step", {"action": {"type": "open_chart", "mrn": MARIA_MRN}},
                          format="json")
    observation = step.json()["observation"]
    assert step.status_code == 200 and observation["last_action_error"] is None
    assert observation["patient_mrn"] == MARIA_MRN
