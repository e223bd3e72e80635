"""Staff pages for evaluation runs and trajectories, and the JSONL export (URL and command)."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from harness.models import Evaluation
from harness.tests.conftest import ENV_DBS
from harness.tests.evaluation_support import evaluate

pytestmark = ENV_DBS


@pytest.fixture
def run(chart, tmp_path):
    summary = evaluate(tmp_path / "report", agent="oracle", episodes=2, seed=21)
    return Evaluation.objects.get(pk=summary["evaluation"])


@pytest.fixture
def dana(client):
    """A staff member reviewing evaluations."""
    user = get_user_model().objects.create_user(username="dana", password="pw", is_staff=True)
    client.force_login(user)
    return client


def _urls(run):
    result = run.results.first()
    return [reverse("harness:evaluation_list"), reverse("harness:evaluation_detail", args=[run.pk]),
            reverse("harness:evaluation_report", args=[run.pk]), reverse("harness:evaluation_jsonl", args=[run.pk]),
            reverse("harness:episode_list"), reverse("harness:episode_detail", args=[result.episode_id]),
            reverse("harness:episode_jsonl", args=[result.episode_id])]


def test_it_sends_anonymous_users_to_login_and_refuses_clinicians(run, client):
    for url in _urls(run):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    get_user_model().objects.create_user(username="erin", password="pw")  # a clinician, not staff
    client.login(username="erin", password="pw")
    assert all(client.get(url).status_code == 403 for url in _urls(run))


def test_it_lists_runs_and_their_episodes_with_filters(run, dana):
    page = dana.get(reverse("harness:evaluation_list")).content.decode()
    assert f'href="{reverse("harness:evaluation_detail", args=[run.pk])}"' in page and "oracle" in page

    result = run.results.order_by("index").first()
    detail = dana.get(reverse("harness:evaluation_detail", args=[run.pk])).content.decode()
    assert detail.count('data-testid="episode-row"') == 2 and result.task_id in detail
    filtered = dana.get(reverse("harness:episode_list"), {"task": result.task_id, "success": "yes"}).content.decode()
    assert filtered.count('data-testid="episode-row"') == run.results.filter(task_id=result.task_id).count()
    assert dana.get(reverse("harness:episode_list"), {"success": "no"}).content.decode().count(
        'data-testid="episode-row"') == 0

    report = dana.get(reverse("harness:evaluation_report", args=[run.pk]))
    assert report["Content-Type"].startswith("text/html") and b'data-testid="plot-steps"' in b"".join(report)


def test_it_shows_each_step_and_the_rubric_breakdown_of_an_episode(run, dana):
    result = run.results.order_by("index").first()
    episode = result.episode
    page = dana.get(reverse("harness:episode_detail", args=[episode.pk])).content.decode()
    assert page.count('data-testid="step-row"') == episode.step_count
    first = episode.steps.order_by("index").first()
    assert f"&quot;type&quot;: &quot;{first.action['type']}&quot;" in page
    assert page.count('data-testid="criterion-row"') == len(episode.score_breakdown["criteria"])
    assert "✓ passed" in page


def test_it_exports_trajectories_as_one_json_object_per_episode(run, dana, tmp_path):
    body = b"".join(dana.get(reverse("harness:evaluation_jsonl", args=[run.pk])).streaming_content).decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["evaluation"]["index"] for line in lines] == [0, 1]
    for line in lines:
        assert len(line["steps"]) == line["steps_taken"] >= 1
        assert set(line["steps"][0]) >= {"index", "action", "reward", "error", "route", "observation", "rubric"}
        assert line["success"] is True and line["score_breakdown"]["criteria"]

    out = tmp_path / "run.jsonl"
    call_command("export_trajectories", run=run.pk, out=str(out), stdout=StringIO())
    assert [json.loads(line) for line in out.read_text().splitlines()] == lines

    episode_id = lines[0]["episode_id"]
    single = b"".join(dana.get(reverse("harness:episode_jsonl", args=[episode_id])).streaming_content).decode()
    assert [json.loads(line) for line in single.splitlines()] == [lines[0]]
