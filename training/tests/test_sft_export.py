"""`export_trajectories --format sft`: oracle episodes as TRL tool-calling conversations."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from ehrgym_client.text import SYSTEM_PROMPT, first_observation, task_text
from ehrgym_client.tool_env import tool_schemas

from agentenv.models import Episode
from harness import evaluation as evaluations
from harness.agents import agent_get
from harness.models import Evaluation

from .conftest import LATEST_RESULT

pytestmark = pytest.mark.django_db


@pytest.fixture
def oracle_run(chart) -> Evaluation:
    run = evaluations.evaluation_create(agent="oracle", episodes=3, seed=5, task_id=LATEST_RESULT)
    evaluations.evaluation_run_threads(evaluation=run, agent=agent_get("oracle"), workers=1, on_result=lambda r: None)
    return run


def export(tmp_path, **options) -> tuple[list[dict], str]:
    out, stdout = tmp_path / "sft.jsonl", StringIO()
    call_command("export_trajectories", out=str(out), output_format="sft", stdout=stdout, **options)
    return [json.loads(line) for line in out.read_text().splitlines()], stdout.getvalue()


def test_it_writes_each_episode_as_a_tool_calling_conversation(oracle_run, tmp_path):
    rows, said = export(tmp_path, run=oracle_run.pk)

    assert len(rows) == 3 and "3 conversation(s) written" in said
    episode = Episode.objects.get(pk=rows[0]["episode_id"])
    steps = list(episode.steps.order_by("index"))
    messages = rows[0]["messages"]
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
    first = first_observation(goal=episode.instruction, step_limit=episode.step_limit)
    assert messages[1] == {"role": "user", "content": task_text(first)}  # what the tool environment's reset says
    calls = [m for m in messages if m.get("tool_calls")]
    assert [call["tool_calls"][0]["function"]["name"] for call in calls] == [s.action["type"] for s in steps]
    assert calls[-1]["tool_calls"][0]["function"]["arguments"] == {"answer": episode.answer}
    results = [m for m in messages if m["role"] == "tool"]
    assert len(results) == len(steps) and results[-1]["content"].endswith("The episode has ended.")
    assert messages[-1] == {"role": "assistant", "content": "Done."}
    assert rows[0]["tools"] == tool_schemas() and rows[0]["success"] is True
    assert {row["task_id"] for row in rows} == {LATEST_RESULT}


def test_it_leaves_out_what_is_not_a_successful_tool_conversation(oracle_run, tmp_path, alice):
    failed = oracle_run.results.order_by("index").first().episode
    Episode.objects.filter(pk=failed.pk).update(success=False)

    rows, said = export(tmp_path, run=oracle_run.pk, successful_only=True)
    assert len(rows) == 2 and "1 left out (1 not successful)" in said
    one, _ = export(tmp_path, episode=str(failed.pk))
    assert len(one) == 1 and one[0]["success"] is False
