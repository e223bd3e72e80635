"""Per-episode and per-step figures, and the report they go into."""

import json
from types import SimpleNamespace

from ehrgym_client.tool_env import EpisodeStats

from training.episode_metrics import EpisodeLog, episode_row, summary, tool_calls_in
from training.report import report_write, text_table


def call(name: str, **arguments) -> dict:
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


ACTING = [
    {"role": "assistant", "content": "", "tool_calls": [call("open_chart", mrn="1")]},
    {"role": "tool", "name": "open_chart", "content": "Result: {}"},
    {"role": "assistant", "content": "", "tool_calls": [call("no_such_tool"), call("answer", answer="5")]},
    {"role": "tool", "name": "no_such_tool", "content": "{'error': 'Tool no_such_tool not found.'}"},
    {"role": "tool", "name": "answer", "content": "Result: {}"},
    {"role": "assistant", "content": "Done."},
]
MONOLOGUE = [{"role": "assistant", "content": "The potassium is probably low, I would replace it ..."}]


def environment(**counts) -> SimpleNamespace:
    return SimpleNamespace(episode=EpisodeStats(task_id="ehr/t-v1", seed=1, split="train", episode_id="e", **counts))


def test_it_counts_tool_calls_and_turns():
    assert tool_calls_in(ACTING) == (3, 3) and tool_calls_in(MONOLOGUE) == (0, 1) and tool_calls_in("text") == (0, 1)


def test_a_step_summary_has_the_monologue_share_and_the_invalid_rate():
    acting = episode_row(step=1, completion=ACTING, environment=environment(
        actions=2, errors=0, episode_return=2.0, terminated=True, success=True))
    talking = episode_row(step=1, completion=MONOLOGUE, environment=environment(episode_return=0.0))
    assert (acting.tool_calls, acting.valid_actions, acting.invalid_actions, acting.monologue) == (3, 2, 1, False)
    assert talking.monologue and talking.invalid_actions == 0

    assert summary([acting, talking]) == {
        "episodes": 2, "reward_mean": 1.0, "reward_std": 1.0, "success_rate": 0.5, "tool_calls_per_episode": 1.5,
        "monologue_share": 0.5, "invalid_action_rate": round(1 / 3, 4)}


def test_the_reward_function_scores_nothing_and_logs_the_figures():
    log, logged = EpisodeLog(), {}
    stats = log.reward_function()(
        completions=[ACTING, MONOLOGUE], environments=[environment(actions=2, episode_return=2.0), environment()],
        trainer_state=SimpleNamespace(global_step=4), log_metric=logged.__setitem__, split=["train", "train"])
    assert stats == [None, None]  # the environment's get_reward is the reward
    assert logged["ehrgym/monologue_share"] == 0.5 and logged["ehrgym/episodes"] == 2
    assert [row.step for row in log.rows] == [5, 5] and not log.eval_rows


def test_the_report_is_json_and_a_self_contained_page(tmp_path):
    steps = [{"step": 1, "reward_mean": 0.5, "monologue_share": 1.0}, {"step": 2, "reward_mean": 1.5,
                                                                         "monologue_share": 0.5}]
    data = {"run": {"kind": "GRPO", "model": "tiny"}, "summary": {"episodes": 4, "monologue_share": 0.75},
            "steps": steps, "episodes": [{"step": 1, "task_id": "ehr/t-v1", "tool_calls": 0}]}
    columns = [("step", "step", False), ("monologue_share", "<=1 call", True)]
    report_write(tmp_path, data, plots=[("monologue_share", "Monologue share", True)], step_columns=columns)

    assert json.loads((tmp_path / "report.json").read_text())["summary"]["episodes"] == 4
    page = (tmp_path / "report.html").read_text()
    assert "<script" not in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<desc>Monologue share (monologue_share) over steps 1 to 2: step 1 100%, step 2 50%.</desc>" in page
    assert text_table(steps, columns).splitlines()[2].split() == ["1", "100%"]
