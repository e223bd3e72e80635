"""EHRGymToolEnv, the TRL tool environment: its methods match the server's actions, and an
oracle's actions replayed through them solve the task."""

import inspect
import re
from typing import get_type_hints

import pytest
from ehrgym_client import EHRGymClient, EHRGymToolEnv
from ehrgym_client._codegen import MODULE, render_module
from ehrgym_client.text import first_observation, task_text
from ehrgym_client.tool_schema import tool_schema

from agentenv.models import Episode
from harness.agents.actions import semantic_action_schemas
from harness.runner import task_run

from .conftest import LATEST_RESULT

REGENERATE = "EHRGYM_BASE_URL=... EHRGYM_TOKEN=... python -m ehrgym_client._codegen"


def public_methods() -> dict:
    return {name: member for name, member in inspect.getmembers(EHRGymToolEnv, predicate=inspect.isfunction)
            if not name.startswith("_")}


def test_the_action_methods_are_what_the_server_lists(server):
    with EHRGymClient(server.url, server.token) as client:
        actions = [{"type": a.type, "description": a.description, "json_schema": a.json_schema}
                   for a in client.actions()]
    regenerated = render_module(actions)
    assert regenerated == MODULE.read_text(), f"actions.py has drifted from GET /api/v1/actions: run {REGENERATE}"
    # TRL offers every public method but reset and get_reward as a tool: exactly the semantic actions.
    assert set(public_methods()) - {"reset", "get_reward"} == set(semantic_action_schemas())


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("action_type", sorted(semantic_action_schemas()))
def test_each_tool_schema_says_what_the_action_schema_says(action_type):
    server = semantic_action_schemas()[action_type]
    offered = tool_schema(public_methods()[action_type])["function"]
    properties = {key: value for key, value in server["properties"].items() if key != "type"}

    assert offered["name"] == action_type and _normal(offered["description"]) == _normal(server["description"])
    assert list(offered["parameters"]["properties"]) == sorted(properties, key=lambda k: k not in server["required"])
    assert offered["parameters"].get("required", []) == [k for k in properties if k in server["required"]]
    for name, given in offered["parameters"]["properties"].items():
        expected = properties[name]
        assert _normal(given["description"]) == _normal(expected["description"]), name
        options = [o for o in expected.get("anyOf", [expected]) if o.get("type") != "null"]
        assert given.get("nullable", False) == (len(options) < len(expected.get("anyOf", [expected]))), name
        assert given.get("enum") == options[0].get("enum"), name
        assert given["type"] == options[0]["type"], name
        if given["type"] == "array":
            assert given["items"]["type"] == options[0]["items"]["type"], name
        default = inspect.signature(public_methods()[action_type]).parameters[name].default
        if name not in server["required"]:
            assert default == expected.get("default"), name
    assert get_type_hints(public_methods()[action_type])["return"] is str


def test_an_oracles_actions_through_the_tools_solve_the_task(server_env, alice):
    oracle = task_run(owner=alice, task_id=LATEST_RESULT, seed=7)
    assert oracle.success
    actions = list(Episode.objects.get(pk=oracle.episode_id).steps.order_by("index").values_list("action", flat=True))

    env = EHRGymToolEnv()
    prompt = env.reset(prompt=[{"role": "user", "content": ""}], task_id=LATEST_RESULT, seed=7)
    episode = Episode.objects.get(pk=env.episode.episode_id)
    assert prompt == task_text(first_observation(goal=episode.instruction, step_limit=episode.step_limit))
    texts = [getattr(env, action["type"])(**{k: v for k, v in action.items() if k != "type"}) for action in actions]

    assert texts[-1].endswith("The episode has ended.") and not any(t.startswith("Error") for t in texts)
    assert env.get_reward() == pytest.approx(oracle.total_reward)
    stats = env.episode
    assert (stats.actions, stats.errors, stats.terminated, stats.success) == (len(actions), 0, True, True)
    episode.refresh_from_db()
    assert episode.released_at is not None  # the episode ended, so its database was dropped at once
    assert env.finish() == "Error: the episode has ended; no further action is taken."
    assert (stats.after_end, stats.valid_actions) == (1, len(actions))


def test_a_refused_action_is_an_error_text_and_counts_as_invalid(server_env):
    env = EHRGymToolEnv()
    env.reset(task_id=LATEST_RESULT, seed=3)
    text = env.read_chart_section(section="summary", mrn="E404")
    assert text.startswith("Error: No patient with MRN 'E404'.")
    assert (env.episode.actions, env.episode.errors, env.episode.valid_actions) == (1, 1, 0)
    assert env.get_reward() == pytest.approx(env.episode.episode_return) and env.episode.episode_return < 0
