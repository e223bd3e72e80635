"""Staff pages: evaluation runs, their episodes, each episode's steps, reports and JSONL exports."""

import json
from functools import wraps
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render

from agentenv.models import Episode
from harness import selectors, trajectories
from harness.agents import AGENT_NAMES
from harness.models import Evaluation, Task

PAGE_SIZE = 50
# base.html marks the "My Patients" tab current on every page that is not a chart; these pages
# have workspace tabs of their own, so they take the chart's place in the tab strip.
CHART_ACTIVITY = "chart"


def staff_required(view):
    """Logged in (else the login page) and staff (else 403): trajectories hold every expected answer."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Evaluation pages are for staff.")
        return view(request, *args, **kwargs)

    return wrapped


def _episode_filters(request, evaluation=None):
    filters = {name: request.GET.get(name, "").strip() for name in ("agent", "run", "task", "tier", "domain",
                                                                     "success")}
    return selectors.evaluation_episode_list(evaluation=evaluation, **filters), filters


def _choices():
    return {"agents": AGENT_NAMES, "tiers": Task.Tier.choices, "domains": Task.Domain.choices}


@staff_required
def evaluation_list(request):
    agent, status = request.GET.get("agent", ""), request.GET.get("status", "")
    runs = selectors.evaluation_list(agent=agent, status=status)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "harness/evaluation_list.html", {
        "page": page, "filters": {"agent": agent, "status": status}, "statuses": Evaluation.Status.choices,
        "activity": CHART_ACTIVITY, "harness_tab": "evaluations", **_choices(),
    })


@staff_required
def evaluation_detail(request, pk: int):
    run = get_object_or_404(Evaluation, pk=pk)
    results, filters = _episode_filters(request, run)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    has_report = bool(run.report_path) and (Path(run.report_path) / "report.html").is_file()
    return render(request, "harness/evaluation_detail.html", {
        "run": run, "page": page, "filters": filters, "has_report": has_report, "activity": CHART_ACTIVITY,
        "harness_tab": "evaluations",
        **_choices(),
    })


@staff_required
def evaluation_report(request, pk: int):
    run = get_object_or_404(Evaluation, pk=pk)
    path = Path(run.report_path) / "report.html" if run.report_path else None
    if path is None or not path.is_file():
        raise Http404("This run has no report yet.")
    return FileResponse(path.open("rb"), content_type="text/html; charset=utf-8")


@staff_required
def evaluation_jsonl(request, pk: int):
    run = get_object_or_404(Evaluation, pk=pk)
    response = StreamingHttpResponse(trajectories.evaluation_jsonl(run), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="evaluation-{run.pk}.jsonl"'
    return response


@staff_required
def episode_list(request):
    results, filters = _episode_filters(request)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "harness/episode_list.html", {
        "page": page, "filters": filters, "activity": CHART_ACTIVITY, "harness_tab": "episodes", **_choices(),
    })


@staff_required
def episode_detail(request, pk):
    episode = get_object_or_404(Episode, pk=pk)
    result = selectors.evaluation_episode_of(episode)
    data = trajectories.episode_json(episode, result)
    for step in data["steps"]:
        step["action_text"] = json.dumps(step["action"], indent=2)
    return render(request, "harness/episode_detail.html", {
        "episode": episode, "result": result, "data": data, "activity": CHART_ACTIVITY, "harness_tab": "episodes",
        "criteria": (episode.score_breakdown or {}).get("criteria", []),
    })


@staff_required
def episode_jsonl(request, pk):
    episode = get_object_or_404(Episode, pk=pk)
    response = StreamingHttpResponse(trajectories.episode_jsonl(episode), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="episode-{episode.pk}.jsonl"'
    return response
