"""OpenEnv's HTTP endpoints: health, schema and metadata for anyone; reset, step and state
on the API token's current episode, in OpenEnv's payload shapes."""

import pytest
from rest_framework.test import APIClient

from agentenv.models import Episode
from agentenv.rewards import INVALID_ACTION_PENALTY
from agentenv.tests.conftest import EPISODE_DBS, MARIA_MRN, client_for

pytestmark = [EPISODE_DBS, pytest.mark.usefixtures("golden")]

TASK = {"patient_mrn": MARIA_MRN, "instruction": "What is Maria Garcia's latest hemoglobin A1c?"}


@pytest.fixture
def agent(alice) -> APIClient:
    return client_for(alice, "Bearer")


def test_it_reports_health_schema_and_metadata_without_a_token():
    anonymous = APIClient()
    assert anonymous.get("/openenv/health").json() == {"status": "healthy"}
    schema = anonymous.get("/openenv/schema").json()
    assert set(schema) == {"action", "observation", "state"}
    action_types = set(schema["action"]["discriminator"]["mapping"])
    assert {"click", "goto", "open_chart", "get_observations", "answer"} <= action_types
    assert {"goal", "axtree", "last_action_error"} <= set(schema["observation"]["properties"])
    assert {"episode_id", "step_count"} <= set(schema["state"]["required"])
    assert anonymous.get("/openenv/metadata").json()["name"] == "EHRGym"


def test_it_needs_a_token_for_reset_step_and_state(alice):
    anonymous = APIClient()
    assert anonymous.post("/openenv/reset", TASK, format="json").status_code == 401
    assert anonymous.post("/openenv/step", {"action": {"type": "noop"}}, format="json").status_code == 401
    assert anonymous.get("/openenv/state").status_code == 401


def test_it_resets_steps_and_reports_state_in_openenv_shapes(agent):
    reset = agent.post("/openenv/reset", {**TASK, "seed": 3, "episode_id": "run-17/episode-1"}, format="json")

    assert reset.status_code == 200
    body = reset.json()
    assert set(body) == {"observation", "reward", "done", "metadata"}
    assert body["reward"] is None and body["done"] is False
    assert body["observation"]["goal"] == TASK["instruction"] and body["observation"]["step"] == 0
    assert body["metadata"]["episode_id"] == "run-17/episode-1" and body["metadata"]["seed"] == 3
    episode = Episode.objects.get(pk=body["metadata"]["ehrgym_episode_id"])
    assert episode.channel == Episode.Channel.OPENENV_HTTP

    step = agent.post("/openenv/step", {"action": {"type": "get_observations", "mrn": MARIA_MRN, "loinc": "4548-4"},
                                        "request_id": "r1"}, format="json").json()
    assert step["observation"]["last_action_result"]["observations"][0]["value"] == 6.9
    assert (step["reward"], step["done"]) == (0.0, False)
    assert step["metadata"]["request_id"] == "r1" and step["metadata"]["timings_ms"]["step"] > 0

    state = agent.get("/openenv/state").json()
    assert (state["episode_id"], state["step_count"], state["status"]) == ("run-17/episode-1", 1, "running")
    assert state["ehrgym_episode_id"] == str(episode.pk)

    done = agent.post("/openenv/step", {"action": {"type": "answer", "answer": "6.9 %"}}, format="json").json()
    assert done["done"] is True and done["metadata"]["terminated"] is True
    after = agent.post("/openenv/step", {"action": {"type": "finish"}}, format="json")
    assert after.status_code == 409 and after.json()["code"] == "EPISODE_ENDED"


def test_it_reports_an_invalid_action_in_the_observation_with_a_penalty(agent):
    agent.post("/openenv/reset", TASK, format="json")
    action = {"type": "open_chart", "mrn": MARIA_MRN, "tab": 1}
    step = agent.post("/openenv/step", {"action": action}, format="json").json()
    assert "Extra inputs are not permitted" in step["observation"]["last_action_error"]
    assert step["reward"] == -INVALID_ACTION_PENALTY and step["done"] is False


@pytest.mark.parametrize("body, message", [
    ({"instruction": "x"}, "give task_id, or patient_mrn and instruction"),
    ({**TASK, "task_id": "ehr/x-v1"}, "give task_id or instruction, not both"),
    ({"task_id": "ehr/no-such.task-v1", "seed": 1}, "task_id:"),
    ({**TASK, "mode": "teleport"}, "mode: Input should be 'api' or 'browser'"),
    ({**TASK, "screenshot": True}, "Screenshots need a browser"),
    ({**TASK, "patient_mrn": "E404"}, "No patient with MRN 'E404'"),
    ({**TASK, "colour": "blue"}, "colour: Unknown field."),
])
def test_it_refuses_an_invalid_reset_with_a_clear_422(agent, body, message):
    response = agent.post("/openenv/reset", body, format="json")
    assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR"
    assert message in response.json()["detail"]


def test_it_refuses_a_step_without_an_episode_or_with_a_malformed_body(agent):
    before = agent.post("/openenv/step", {"action": {"type": "finish"}}, format="json")
    assert before.status_code == 409 and "send reset first" in before.json()["detail"]
    assert agent.get("/openenv/state").status_code == 404
    agent.post("/openenv/reset", TASK, format="json")
    for body in ({}, {"action": "finish"}, {"action": {"type": "finish"}, "timeout_s": 3}, {"action": {"oops": 1}}):
        response = agent.post("/openenv/step", body, format="json")
        assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR", body


def test_it_closes_the_previous_episode_of_the_token_on_reset(agent, alice):
    first = agent.post("/openenv/reset", TASK, format="json").json()["metadata"]["ehrgym_episode_id"]
    second = agent.post("/openenv/reset", TASK, format="json").json()["metadata"]["ehrgym_episode_id"]

    assert Episode.objects.get(pk=first).status == Episode.Status.CLOSED
    assert Episode.objects.get(pk=first).released_at is not None
    assert agent.get("/openenv/state").json()["ehrgym_episode_id"] == second
    # A mistyped reset leaves the running episode alone.
    agent.post("/openenv/reset", {"instruction": "x"}, format="json")
    assert Episode.objects.get(pk=second).status == Episode.Status.RUNNING


def test_it_keeps_each_tokens_current_episode_apart(agent, bob):
    agent.post("/openenv/reset", TASK, format="json")
    bobs = client_for(bob, "Bearer")
    assert bobs.get("/openenv/state").status_code == 404
    assert bobs.post("/openenv/step", {"action": {"type": "finish"}}, format="json").status_code == 409


def test_it_answers_503_with_retry_after_when_every_slot_is_taken(agent, settings):
    settings.EHRGYM_MAX_EPISODES = 0
    response = agent.post("/openenv/reset", TASK, format="json")
    assert response.status_code == 503 and response.json()["code"] == "CAPACITY_REACHED"
    assert int(response["Retry-After"]) > 0


def test_it_serves_an_openapi_document_of_the_openenv_endpoints():
    document = APIClient().get("/openenv/openapi.json").json()
    assert document["info"]["version"] == "1.0.0" and document["servers"] == [{"url": "/openenv"}]
    assert {"/reset", "/step", "/state", "/health", "/schema", "/metadata"} <= set(document["paths"])


def _rpc(client, method: str, params: dict | None = None, request_id=1):
    return client.post("/openenv/mcp", {"jsonrpc": "2.0", "id": request_id, "method": method,
                                        **({"params": params} if params is not None else {})}, format="json")


def test_its_mcp_endpoint_lists_tools_without_a_token_and_calls_them_with_one(agent, alice):
    anonymous = APIClient()
    listed = _rpc(anonymous, "tools/list").json()
    names = [tool["name"] for tool in listed["result"]["tools"]]
    assert listed["id"] == 1 and names[0] == "reset_task" and "get_observations" in names and "click" not in names
    refused = _rpc(anonymous, "tools/call", {"name": "reset_task", "arguments": TASK})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == -32001

    early = _rpc(agent, "tools/call", {"name": "open_chart", "arguments": {"mrn": MARIA_MRN}}).json()["result"]
    assert early["isError"] is True and "reset_task" in early["content"][0]["text"]
    reset = _rpc(agent, "tools/call", {"name": "reset_task", "arguments": TASK}, request_id="r").json()
    assert reset["id"] == "r" and reset["result"]["structuredContent"]["goal"] == TASK["instruction"]
    episode_id = reset["result"]["_meta"]["ehrgym"]["episode_id"]
    # The token's current episode: OpenEnv's /step and the MCP tools act on the same one.
    agent.post("/openenv/step", {"action": {"type": "open_chart", "mrn": MARIA_MRN}}, format="json")
    found = _rpc(agent, "tools/call", {"name": "get_observations", "arguments": {"loinc": "4548-4"}}).json()["result"]
    assert found["isError"] is False and found["structuredContent"]["step"] == 2
    assert found["structuredContent"]["last_action_result"]["observations"][0]["value"] == 6.9
    _rpc(agent, "tools/call", {"name": "answer", "arguments": {"answer": "6.9 %"}})
    finished = _rpc(agent, "tools/call", {"name": "finish", "arguments": {}}).json()["result"]
    assert finished["structuredContent"]["status"] == "terminated" and finished["structuredContent"]["steps"] == 3
    episode = Episode.objects.get(pk=episode_id)
    assert episode.channel == Episode.Channel.OPENENV_HTTP and episode.released_at is not None


def test_its_mcp_endpoint_answers_mistakes_with_json_rpc_errors(agent):
    assert agent.post("/openenv/mcp", "{", content_type="application/json").json()["error"]["code"] == -32700
    assert agent.post("/openenv/mcp", {}, format="json").json()["error"]["code"] == -32600
    assert _rpc(agent, "resources/list").json()["error"]["code"] == -32601
    assert _rpc(agent, "tools/call", {"arguments": {}}).json()["error"]["code"] == -32602
    unknown = _rpc(agent, "tools/call", {"name": "teleport", "arguments": {}}).json()["result"]
    assert unknown["isError"] is True and "Unknown tool 'teleport'" in unknown["content"][0]["text"]
    bad = _rpc(agent, "tools/call", {"name": "reset_task", "arguments": {"task_id": 7}}).json()["result"]
    assert bad["isError"] is True and "Invalid arguments for reset_task" in bad["content"][0]["text"]
    started = _rpc(agent, "initialize", {"protocolVersion": "2025-06-18"}).json()["result"]
    assert started["serverInfo"]["name"] == "EHRGym" and started["protocolVersion"] == "2025-06-18"
    notified = agent.post("/openenv/mcp", {"jsonrpc": "2.0", "method": "notifications/initialized"}, format="json")
    assert notified.status_code == 202
