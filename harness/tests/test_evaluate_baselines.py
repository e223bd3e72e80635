"""`manage.py evaluate` with the oracle and the random agent: results, the report files, parallel workers."""

from pathlib import Path

import pytest

from agentenv.models import Episode
from harness.exploits import EXPLOITS
from harness.models import Evaluation, EvaluationEpisode
from harness.tests.conftest import ENV_DBS
from harness.tests.evaluation_support import evaluate

pytestmark = ENV_DBS

EPISODE_KEYS = {"index", "task_id", "tier", "domain", "seed", "patient_mrn", "episode_id", "success", "score",
                "reward_sum", "steps", "invalid_actions", "failure", "failure_detail", "duration_s", "exploit"}
AGGREGATE_KEYS = {"episodes", "successes", "success_rate", "mean_reward", "mean_score", "mean_steps",
                  "invalid_actions"}
PLOTS = ("plot-success-by-tier", "plot-reward-by-tier", "plot-success-by-domain", "plot-reward-by-domain",
         "plot-steps", "plot-failures")


def test_it_solves_every_sampled_instance_with_the_oracle_and_writes_the_report(chart, tmp_path):
    summary = evaluate(tmp_path / "oracle", agent="oracle", episodes=4, seed=11)

    assert summary["episodes"] == 4
    assert summary["success_rate"] == 1.0
    assert summary["mean_reward"] > 1.0  # full progress plus the success bonus
    data = summary["data"]
    assert set(data) == {"evaluation", "summary", "by_tier", "by_domain", "by_task", "failure_reasons", "episodes"}
    assert data["evaluation"]["filters"]["split"] == "heldout" and not data["evaluation"]["adversarial"]
    assert data["evaluation"]["agent"] == "oracle" and data["evaluation"]["seed"] == 11
    assert set(data["summary"]) == AGGREGATE_KEYS
    assert all(set(bucket) == AGGREGATE_KEYS for bucket in [*data["by_tier"].values(), *data["by_domain"].values()])
    assert len({e["task_id"] for e in data["episodes"]}) == 4  # spread over the tasks
    assert all(set(e) == EPISODE_KEYS and e["success"] and e["failure"] is None for e in data["episodes"])
    assert data["failure_reasons"] == {}

    html = Path(summary["report_html"]).read_text()
    assert html.count("<svg") == len(PLOTS)
    assert all(f'data-testid="{plot}"' in html for plot in PLOTS)
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")

    run = Evaluation.objects.get(pk=summary["evaluation"])
    assert (run.status, run.episodes_done, run.successes) == (Evaluation.Status.FINISHED, 4, 4)
    assert Path(run.report_path) == Path(summary["report"]).parent
    # The trajectories are the environment's own episodes, linked to the run.
    episodes = Episode.objects.filter(evaluation_result__evaluation=run)
    assert episodes.count() == 4 and all(e.steps.exists() and e.released_at for e in episodes)


def test_it_runs_the_random_agent_to_a_valid_low_scoring_report(chart, tmp_path):
    summary = evaluate(tmp_path / "random", agent="random", episodes=6, seed=5)

    data = summary["data"]
    assert summary["episodes"] == 6
    assert summary["success_rate"] <= 0.34
    assert sum(data["failure_reasons"].values()) == 6 - data["summary"]["successes"]
    for episode in data["episodes"]:
        run = Episode.objects.get(pk=episode["episode_id"])
        last = run.steps.order_by("-index").first()
        assert last.action["type"] == "finish"  # it ends by its own choice, before the step limit
        assert episode["steps"] == run.step_count >= 1
        assert episode["success"] or episode["failure"]
    # It acts on the chart, not only with invalid actions.
    steps = [step for e in data["episodes"] for step in Episode.objects.get(pk=e["episode_id"]).steps.all()]
    assert any(not step.error and step.action["type"] != "finish" for step in steps)


@pytest.mark.django_db(transaction=True)
def test_it_gives_the_same_results_with_two_worker_threads_as_with_one(chart, tmp_path):
    keys = ("index", "task_id", "seed", "patient_mrn", "success", "score", "reward_sum", "steps", "invalid_actions",
            "failure")
    runs = {}
    for workers in (1, 2):
        summary = evaluate(tmp_path / f"w{workers}", agent="random", episodes=4, seed=3, workers=workers)
        runs[workers] = [{k: e[k] for k in keys} for e in summary["data"]["episodes"]]
        assert summary["data"]["evaluation"]["workers"] == workers
    assert runs[1] == runs[2]
    assert EvaluationEpisode.objects.count() == 8


def test_it_runs_every_exploit_as_an_agent_and_reports_the_best_exploit_reward_per_task(chart, tmp_path):
    summary = evaluate(tmp_path / "exploits", agent="exploit-all", episodes=2 * len(EXPLOITS), seed=4)

    data = summary["data"]
    ran = [e for e in data["episodes"] if e["failure"] != "not applicable"]
    assert summary["success_rate"] == 0.0 and ran
    assert {e["exploit"] for e in data["episodes"]} == set(EXPLOITS)  # each one, in turn
    assert data["evaluation"]["adversarial"]
    for task_id, row in data["by_task"].items():
        assert row["best_success"] is False, task_id
        assert row["episodes"] + row["not_applicable"] == sum(1 for e in data["episodes"] if e["task_id"] == task_id)
    html = Path(summary["report_html"]).read_text()
    assert 'data-testid="report-by-task"' in html and "succeeded" not in html
