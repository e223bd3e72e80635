"""The LLM agent against a real local HTTP server speaking the chat-completions wire format.

The server is a test double for an external model endpoint: it returns scripted tool
calls (the oracle's actions for the instance, then a reply with no tool call) and keeps
every request it received.
"""

import json

import pytest
from django.core.management.base import CommandError

from agentenv.models import Episode
from harness.agents.actions import semantic_action_schemas
from harness.tests.conftest import ENV_DBS
from harness.tests.evaluation_support import evaluate
from harness.tests.fake_model import model  # noqa: F401 (fixture)

pytestmark = ENV_DBS
TASK = "ehr/laboratory-medicine.latest-result-v1"


def _tool_call(number: int, action: dict) -> dict:
    arguments = {key: value for key, value in action.items() if key != "type"}
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": f"call_{number}", "type": "function",
                            "function": {"name": action["type"], "arguments": json.dumps(arguments)}}]}


def test_it_acts_with_the_models_tool_calls_and_sends_the_action_registry_as_tools(chart, model, tmp_path):
    # First a real (unscored) pass to learn the instance the seed picks, then script the model with its oracle.
    oracle_run = evaluate(tmp_path / "oracle", agent="oracle", task=TASK, episodes=1, seed=4)
    steps = list(Episode.objects.get(pk=oracle_run["data"]["episodes"][0]["episode_id"]).steps.order_by("index"))
    model.replies = [_tool_call(n, step.action) for n, step in enumerate(steps, 1)]
    model.failures_first = 1

    summary = evaluate(tmp_path / "llm", agent="llm", task=TASK, episodes=1, seed=4)

    assert summary["success_rate"] == 1.0
    episode = Episode.objects.get(pk=summary["data"]["episodes"][0]["episode_id"])
    assert [s.action for s in episode.steps.order_by("index")] == [s.action for s in steps]
    # One request per action (the 503 was retried), the bearer key, the model, every semantic action as a tool.
    assert len(model.requests) == len(steps)
    assert model.headers[0] == {"path": "/v1/chat/completions", "authorization": "Bearer sk-test"}
    first = model.requests[0]
    assert first["model"] == "fake-clinician-1"
    names = [tool["function"]["name"] for tool in first["tools"]]
    assert names == list(semantic_action_schemas()) and "click" not in names
    place = next(t for t in first["tools"] if t["function"]["name"] == "place_order")["function"]
    assert "type" not in place["parameters"]["properties"] and place["parameters"]["required"] == ["orderable"]
    # The observation JSON is the user message; the next request carries the call, its tool reply and the new
    # observation.
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    observation = json.loads(first["messages"][1]["content"])
    assert observation["goal"] == episode.instruction and observation["step"] == 0
    second = model.requests[1]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool", "user"]
    assert second[3]["tool_call_id"] == "call_1"
    assert json.loads(second[4]["content"])["step"] == 1


def test_it_finishes_when_the_model_replies_without_a_tool_call(chart, model, tmp_path):
    model.replies = [{"role": "assistant", "content": "I cannot tell."}]

    summary = evaluate(tmp_path / "llm", agent="llm", task=TASK, episodes=1, seed=1)

    episode = Episode.objects.get(pk=summary["data"]["episodes"][0]["episode_id"])
    assert [s.action for s in episode.steps.all()] == [{"type": "finish", "message": "I cannot tell."}]
    assert summary["success_rate"] == 0.0
    assert summary["data"]["episodes"][0]["failure"].startswith("criterion failed")


def test_it_reports_an_unreachable_endpoint_as_an_agent_error(chart, monkeypatch, tmp_path):
    monkeypatch.setenv("EHRGYM_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # discard port: refused
    monkeypatch.setenv("EHRGYM_LLM_MODEL", "m")
    monkeypatch.setenv("EHRGYM_LLM_API_KEY", "k")
    monkeypatch.setenv("EHRGYM_LLM_RETRIES", "0")

    summary = evaluate(tmp_path / "llm", agent="llm", task=TASK, episodes=1, seed=1)

    assert summary["data"]["failure_reasons"] == {"agent error": 1}


def test_it_refuses_to_start_without_the_endpoint_settings(chart, monkeypatch, tmp_path):
    for name in ("EHRGYM_LLM_BASE_URL", "EHRGYM_LLM_MODEL", "EHRGYM_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(CommandError, match="EHRGYM_LLM_BASE_URL, EHRGYM_LLM_MODEL, EHRGYM_LLM_API_KEY"):
        evaluate(tmp_path / "llm", agent="llm", episodes=1, seed=1)
