"""The OpenEnv WebSocket, /openenv/ws, served by Daphne as in `make run`, driven by the
`openenv` package's GenericEnvClient exactly as any OpenEnv user would: one episode per
connection, many connections at once."""

import json
import threading
import time

import pytest
from openenv import GenericEnvClient
from websockets.sync.client import connect

from agentenv.models import Episode
from agentenv.tests.browser_support import asgi_server, daphne_serving  # noqa: F401
from agentenv.tests.conftest import EPISODE_DBS, JAMES_MRN, MARIA_MRN
from clinical.models import Patient

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]


def _released(episode: Episode, timeout: float = 10.0) -> bool:
    """The server closes a connection's episode after the socket closed: wait for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        episode.refresh_from_db()
        if episode.released_at is not None:
            return True
        time.sleep(0.05)
    return False


def _client(url: str, user) -> GenericEnvClient:
    return GenericEnvClient(base_url=f"{url}/openenv", headers={"Authorization": f"Bearer {user.auth_token.key}"})


def test_it_runs_a_whole_episode_through_generic_env_client(asgi_server, alice):
    with _client(asgi_server, alice).sync() as env:
        reset = env.reset(patient_mrn=MARIA_MRN, instruction="What is the latest A1c?", episode_id="ws-1", seed=5)
        assert reset.done is False and reset.reward is None
        assert reset.observation["goal"] == "What is the latest A1c?" and reset.observation["step"] == 0
        assert reset.metadata["episode_id"] == "ws-1"

        opened = env.step({"type": "open_chart", "mrn": MARIA_MRN})
        assert opened.observation["patient_mrn"] == MARIA_MRN and opened.reward == 0.0
        results = env.step({"type": "get_observations", "loinc": "4548-4"})
        assert results.observation["last_action_result"]["observations"][0]["value"] == 6.9

        state = env.state()
        assert (state["episode_id"], state["step_count"], state["status"]) == ("ws-1", 2, "running")

        answered = env.step({"type": "answer", "answer": "6.9 %"})
        assert answered.done is True and answered.metadata["terminated"] is True
        episode_id = answered.metadata["ehrgym_episode_id"]
        with pytest.raises(RuntimeError, match="EPISODE_ENDED"):
            env.step({"type": "finish"})

    episode = Episode.objects.get(pk=episode_id)
    assert episode.channel == Episode.Channel.OPENENV_WS and episode.status == Episode.Status.TERMINATED
    assert episode.answer == "6.9 %" and episode.steps.count() == 3
    assert _released(episode)  # closing the client closed the episode: its database is gone


def test_it_runs_two_clients_at_once_on_separate_episodes(asgi_server, alice, bob):
    results, failures = {}, []

    def run(user, code_status):
        try:
            with _client(asgi_server, user).sync() as env:
                env.reset(patient_mrn=MARIA_MRN, instruction=f"Set code status to {code_status}.")
                for _ in range(3):
                    env.step({"type": "set_code_status", "mrn": MARIA_MRN, "code_status": code_status})
                    env.step({"type": "search_patients", "query": "Garcia"})
                read = env.step({"type": "read_chart_section", "section": "summary", "mrn": MARIA_MRN})
                results[user.username] = (read.observation["last_action_result"]["code_status"],
                                          env.state()["ehrgym_episode_id"])
        except Exception as error:  # reported below, with the thread's name
            failures.append(f"{user.username}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=run, args=(alice, "dnr")), threading.Thread(target=run, args=(bob, "comfort"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not failures, failures
    assert results["alice"][0] == "dnr" and results["bob"][0] == "comfort"
    assert results["alice"][1] != results["bob"][1]
    assert all(_released(episode) for episode in Episode.objects.filter(channel=Episode.Channel.OPENENV_WS))
    # Nothing reached the golden database.
    assert Patient.objects.using("golden").get(mrn=MARIA_MRN).code_status == "full"


def _ws(url: str, path: str, **kwargs):
    return connect(url.replace("http://", "ws://") + path, open_timeout=10, **kwargs)


def test_it_accepts_the_token_in_the_query_and_refuses_a_missing_or_wrong_one(asgi_server, alice):
    with _ws(asgi_server, f"/openenv/ws?token={alice.auth_token.key}") as socket:
        socket.send(json.dumps({"type": "reset", "data": {"patient_mrn": JAMES_MRN, "instruction": "Review."}}))
        answer = json.loads(socket.recv(timeout=30))
        assert answer["type"] == "observation" and answer["data"]["observation"]["step"] == 0

    for path, headers in (("/openenv/ws", None), ("/openenv/ws", {"Authorization": "Bearer nope"})):
        with _ws(asgi_server, path, additional_headers=headers) as socket:
            error = json.loads(socket.recv(timeout=10))
            assert error["type"] == "error" and error["data"]["code"] == "UNAUTHORIZED"
    assert Episode.objects.filter(owner=alice).count() == 1


def test_a_second_reset_at_the_episode_limit_replaces_the_first_and_drops_its_database(alice, settings):
    # The previous episode gives its slot back before the new one takes one; its database is dropped after the answer.
    from agentenv import snapshots

    settings.EHRGYM_MAX_EPISODES = 1  # before the server starts: its process inherits the settings as they are then
    with daphne_serving(settings) as url, _ws(url, f"/openenv/ws?token={alice.auth_token.key}") as socket:
        for _ in range(2):
            socket.send(json.dumps({"type": "reset", "data": {"patient_mrn": JAMES_MRN, "instruction": "Review."}}))
            answer = json.loads(socket.recv(timeout=30))
            assert answer["type"] == "observation", answer
        first, second = Episode.objects.filter(owner=alice).order_by("created_at")
        assert first.released_at is not None and first.status == Episode.Status.CLOSED
        assert second.is_running
        deadline = time.monotonic() + 10
        while first.database_name in {copy.name for copy in snapshots.copies_existing()}:
            assert time.monotonic() < deadline, "the first episode's database was not dropped"
            time.sleep(0.05)


def test_it_refuses_a_nul_character_with_a_message_and_the_session_goes_on(asgi_server, alice):
    # PostgreSQL cannot store U+0000: it reached a query and came back as "Internal error: DataError".
    with _ws(asgi_server, f"/openenv/ws?token={alice.auth_token.key}") as socket:
        socket.send(json.dumps({"type": "reset", "data": {"patient_mrn": MARIA_MRN, "instruction": "Review.\x00"}}))
        refused = json.loads(socket.recv(timeout=30))
        assert refused["type"] == "error" and "NUL characters" in refused["data"]["message"]
        socket.send(json.dumps({"type": "reset", "data": {"patient_mrn": MARIA_MRN, "instruction": "Review."}}))
        assert json.loads(socket.recv(timeout=30))["type"] == "observation"
        socket.send(json.dumps({"type": "step", "data": {"type": "search_patients", "query": "\x00"}}))
        assert "NUL characters" in json.loads(socket.recv(timeout=30))["data"]["message"]
    assert Episode.objects.filter(owner=alice).count() == 1


def test_it_answers_protocol_mistakes_with_openenv_error_messages(asgi_server, alice):
    token = {"Authorization": f"Token {alice.auth_token.key}"}
    with _ws(asgi_server, "/openenv/ws", additional_headers=token) as socket:
        def ask(raw: str) -> dict:
            socket.send(raw)
            return json.loads(socket.recv(timeout=30))

        assert ask("{not json")["data"]["code"] == "INVALID_JSON"
        assert ask(json.dumps({"type": "teleport"}))["data"]["code"] == "UNKNOWN_TYPE"
        assert ask(json.dumps({"type": "step", "data": {"type": "finish"}}))["data"]["code"] == "SESSION_ERROR"
        assert ask(json.dumps({"type": "state"}))["data"]["code"] == "SESSION_ERROR"
        invalid = ask(json.dumps({"type": "reset", "data": {"patient_mrn": MARIA_MRN}}))
        assert invalid["data"]["code"] == "VALIDATION_ERROR"
        assert "give task_id, or patient_mrn and instruction" in invalid["data"]["message"]
        ask(json.dumps({"type": "reset", "data": {"patient_mrn": MARIA_MRN, "instruction": "x"}}))
        bad_action = ask(json.dumps({"type": "step", "data": {"type": "fly"}}))
        assert bad_action["type"] == "observation" and "fly" in bad_action["data"]["observation"]["last_action_error"]
        state = ask(json.dumps({"type": "state"}))
        assert state["type"] == "state" and state["data"]["step_count"] == 1

    assert _released(Episode.objects.get(owner=alice))  # the disconnect closed it


def test_its_mcp_message_lists_and_calls_tools_on_the_connections_episode(asgi_server, alice):
    token = {"Authorization": f"Bearer {alice.auth_token.key}"}
    with _ws(asgi_server, "/openenv/ws", additional_headers=token) as socket:
        def rpc(method: str, params: dict | None = None) -> dict:
            socket.send(json.dumps({"type": "mcp", "data": {"jsonrpc": "2.0", "id": 7, "method": method,
                                                            **({"params": params} if params else {})}}))
            answer = json.loads(socket.recv(timeout=30))
            assert answer["type"] == "mcp" and answer["data"]["id"] == 7
            return answer["data"]

        names = [tool["name"] for tool in rpc("tools/list")["result"]["tools"]]
        assert "reset_task" in names and "finish" in names
        early = rpc("tools/call", {"name": "get_observations", "arguments": {"loinc": "4548-4", "mrn": MARIA_MRN}})
        assert early["result"]["isError"] is True
        goal = {"patient_mrn": MARIA_MRN, "instruction": "A1c?"}
        reset = rpc("tools/call", {"name": "reset_task", "arguments": goal})
        assert reset["result"]["structuredContent"]["goal"] == "A1c?"
        # The connection's episode: OpenEnv's own messages see what the tools did, and the other way round.
        socket.send(json.dumps({"type": "step", "data": {"type": "open_chart", "mrn": MARIA_MRN}}))
        assert json.loads(socket.recv(timeout=30))["data"]["observation"]["step"] == 1
        found = rpc("tools/call", {"name": "get_observations", "arguments": {"loinc": "4548-4"}})["result"]
        assert found["structuredContent"]["last_action_result"]["observations"][0]["value"] == 6.9
        socket.send(json.dumps({"type": "state"}))
        assert json.loads(socket.recv(timeout=30))["data"]["step_count"] == 2
        assert rpc("tools/call", {"name": "finish", "arguments": {}})["result"]["structuredContent"]["steps"] == 3
        socket.send(json.dumps({"type": "state"}))
        assert json.loads(socket.recv(timeout=30))["data"]["code"] == "SESSION_ERROR"  # finish closed it

    episode = Episode.objects.get(owner=alice)
    assert episode.channel == Episode.Channel.OPENENV_WS and episode.status == Episode.Status.TERMINATED
