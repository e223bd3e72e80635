"""An evaluation's report: report.json (per episode and aggregated) and report.html (self-contained).

The HTML page has no scripts and loads nothing: its plots are inline SVG drawn here, in
the style of clinical/charts.py (a `<title>` and `<desc>` say in words what each shows),
so it can be mailed, archived or opened offline.
"""

import json
import math
from collections import Counter, defaultdict
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from harness.models import Evaluation, EvaluationEpisode

BAR_COLOUR, FAIL_COLOUR, NEGATIVE_COLOUR = "#2f6aa6", "#b3161d", "#8a4b00"
WIDTH, ROW, LABEL_WIDTH, TOP, BOTTOM = 640, 22, 230, 26, 30


def _fmt(value: float, percent: bool = False) -> str:
    return f"{value * 100:.0f}%" if percent else f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _bucket(results: list[EvaluationEpisode]) -> dict:
    n = len(results)
    successes = sum(1 for r in results if r.success)
    scores = [r.score for r in results if r.score is not None]
    return {
        "episodes": n,
        "successes": successes,
        "success_rate": round(successes / n, 4) if n else 0.0,
        "mean_reward": round(sum(r.reward_sum for r in results) / n, 4) if n else 0.0,
        "mean_score": round(sum(scores) / len(scores), 4) if scores else 0.0,
        "mean_steps": round(sum(r.steps for r in results) / n, 2) if n else 0.0,
        "invalid_actions": sum(r.invalid_actions for r in results),
    }


def _grouped(results: list[EvaluationEpisode], key: str) -> dict[str, dict]:
    groups = defaultdict(list)
    for result in results:
        groups[getattr(result, key) or "(unknown)"].append(result)
    return {name: _bucket(members) for name, members in sorted(groups.items())}


def episode_row(result: EvaluationEpisode) -> dict:
    return {
        "index": result.index, "task_id": result.task_id, "tier": result.tier, "domain": result.domain,
        "seed": result.seed, "patient_mrn": result.patient_mrn,
        "episode_id": str(result.episode_id) if result.episode_id else None, "success": result.success,
        "score": result.score, "reward_sum": round(result.reward_sum, 4), "steps": result.steps,
        "invalid_actions": result.invalid_actions, "failure": result.failure or None,
        "failure_detail": result.failure_detail or None, "duration_s": result.duration_s,
        "exploit": result.exploit or None,
    }


def _by_task(results: list[EvaluationEpisode]) -> dict[str, dict]:
    """Per template: its bucket, and its best episode's reward (for exploits: the one a training run would
    find first), which exploit reached it, and how many episodes did not apply."""
    groups = defaultdict(list)
    for result in results:
        groups[result.task_id].append(result)
    table = {}
    for task_id, members in sorted(groups.items()):
        ran = [r for r in members if r.failure != "not applicable"]
        best = max(ran, key=lambda r: (r.success, r.reward_sum), default=None)
        table[task_id] = {**_bucket(ran), "not_applicable": len(members) - len(ran),
                          "best_reward": round(best.reward_sum, 4) if best else None,
                          "best_success": bool(best and best.success), "best_exploit": best.exploit if best else None}
    return table


def report_data(*, evaluation: Evaluation, results: list[EvaluationEpisode]) -> dict:
    return {
        "evaluation": {
            "id": evaluation.pk, "agent": evaluation.agent, "filters": evaluation.filters, "seed": evaluation.seed,
            # An exploit succeeding is a defect of the task, not a result of the agent.
            "adversarial": evaluation.agent.startswith("exploit-"),
            "backend": evaluation.backend, "workers": evaluation.workers, "status": evaluation.status,
            "error": evaluation.error or None, "started_at": evaluation.started_at.isoformat(),
            "finished_at": evaluation.finished_at.isoformat() if evaluation.finished_at else None,
        },
        "summary": _bucket(results),
        "by_tier": _grouped(results, "tier"),
        "by_domain": _grouped(results, "domain"),
        "by_task": _by_task(results),
        "failure_reasons": dict(Counter(r.failure for r in results if not r.success).most_common()),
        "episodes": [episode_row(result) for result in results],
    }


# --- Plots ---------------------------------------------------------------------------


def _svg(title: str, desc: str, height: int, parts: list[str], testid: str) -> SafeString:
    return mark_safe(
        f'<svg class="plot" data-testid="{testid}" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<desc>{escape(desc)}</desc>{"".join(parts)}</svg>'
    )


def bar_chart(*, title: str, bars: dict[str, float], percent: bool = False, testid: str,
              colour: str = BAR_COLOUR, low: float | None = None, high: float | None = None,
              empty: str = "No episodes") -> SafeString:
    """Horizontal bars, one per label (long domain names fit); negative values go left of zero."""
    if not bars:
        return _svg(title, f"{empty}.", 40, [f'<text class="empty" x="10" y="24">{escape(empty)}</text>'], testid)
    values = list(bars.values())
    low = min(0.0, min(values)) if low is None else low
    high = max(max(values), 0.0) if high is None else high
    high = high if high > low else low + 1
    left, right = LABEL_WIDTH, WIDTH - 60
    x = lambda value: left + (right - left) * (value - low) / (high - low)  # noqa: E731
    height = TOP + ROW * len(bars) + BOTTOM
    parts = []
    for tick in (low, (low + high) / 2, high):
        parts.append(f'<line class="grid" x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP - 4}" '
                     f'y2="{height - BOTTOM}"/>')
        parts.append(f'<text class="tick" x="{x(tick):.1f}" y="{height - BOTTOM + 14}" '
                     f'text-anchor="middle">{_fmt(tick, percent)}</text>')
    zero = x(0.0)
    for i, (label, value) in enumerate(bars.items()):
        y = TOP + i * ROW
        start, end = sorted((zero, x(value)))
        fill = NEGATIVE_COLOUR if value < 0 else colour
        text = f"{label}: {_fmt(value, percent)}"
        parts.append(f'<text class="label" x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect class="bar" x="{start:.1f}" y="{y + 3}" width="{max(end - start, 1):.1f}" '
                     f'height="{ROW - 6}" fill="{fill}"><title>{escape(text)}</title></rect>')
        parts.append(f'<text class="value" x="{max(end, zero) + 5:.1f}" y="{y + 14}">{_fmt(value, percent)}</text>')
    parts.append(f'<line class="axis" x1="{zero:.1f}" x2="{zero:.1f}" y1="{TOP - 4}" y2="{height - BOTTOM}"/>')
    desc = "; ".join(f"{label} {_fmt(value, percent)}" for label, value in bars.items())
    return _svg(title, f"{title}: {desc}.", height, parts, testid)


def histogram(*, title: str, values: list[int], testid: str, axis_label: str) -> SafeString:
    """Counts of integer values in up to 20 bins of equal width."""
    if not values:
        return _svg(title, "No episodes.", 40, ['<text class="empty" x="10" y="24">No episodes</text>'], testid)
    low, high = min(values), max(values)
    width = max(1, math.ceil((high - low + 1) / 20))
    bins = Counter((value - low) // width for value in values)
    count = (high - low) // width + 1
    height, left, right, top, bottom = 220, 48, WIDTH - 16, 16, 40
    tallest = max(bins.values())
    step = (right - left) / count
    y = lambda n: top + (height - top - bottom) * (1 - n / tallest)  # noqa: E731
    parts = []
    for tick in sorted({0, tallest // 2, tallest}):
        parts.append(f'<line class="grid" x1="{left}" x2="{right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for b in range(count):
        n = bins.get(b, 0)
        first = low + b * width
        label = str(first) if width == 1 else f"{first}–{first + width - 1}"
        x0 = left + b * step
        if n:
            parts.append(f'<rect class="bar" x="{x0 + 1:.1f}" y="{y(n):.1f}" width="{max(step - 2, 1):.1f}" '
                         f'height="{y(0) - y(n):.1f}" fill="{BAR_COLOUR}"><title>{escape(label)} steps: {n} '
                         f'episode(s)</title></rect>')
        if count <= 25 or b % math.ceil(count / 25) == 0:
            parts.append(f'<text class="tick" x="{x0 + step / 2:.1f}" y="{height - bottom + 14}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{right}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>')
    parts.append(f'<text class="axis-label" x="{(left + right) / 2:.0f}" y="{height - 6}" '
                 f'text-anchor="middle">{escape(axis_label)}</text>')
    parts.append(f'<text class="axis-label" transform="translate(12 {(top + height - bottom) / 2:.0f}) rotate(-90)" '
                 'text-anchor="middle">Episodes</text>')
    desc = f"{len(values)} episodes, {low} to {high} {axis_label.lower()}, most in one bin {tallest}."
    return _svg(title, desc, height, parts, testid)


def report_plots(data: dict) -> dict[str, SafeString]:
    tiers, domains = data["by_tier"], data["by_domain"]
    return {
        "success_by_tier": bar_chart(title="Success rate by tier", percent=True, low=0.0, high=1.0,
                                     bars={k: v["success_rate"] for k, v in tiers.items()},
                                     testid="plot-success-by-tier"),
        "reward_by_tier": bar_chart(title="Mean reward by tier", bars={k: v["mean_reward"] for k, v in tiers.items()},
                                    testid="plot-reward-by-tier"),
        "success_by_domain": bar_chart(title="Success rate by domain", percent=True, low=0.0, high=1.0,
                                       bars={k: v["success_rate"] for k, v in domains.items()},
                                       testid="plot-success-by-domain"),
        "reward_by_domain": bar_chart(title="Mean reward by domain",
                                      bars={k: v["mean_reward"] for k, v in domains.items()},
                                      testid="plot-reward-by-domain"),
        "steps": histogram(title="Steps per episode", values=[e["steps"] for e in data["episodes"]],
                           testid="plot-steps", axis_label="Steps"),
        "failures": bar_chart(title="Failure reasons", bars={k: float(v) for k, v in data["failure_reasons"].items()},
                              colour=FAIL_COLOUR, testid="plot-failures", empty="No failures"),
    }


def report_html(data: dict) -> str:
    run = data["evaluation"]
    when = {key: (run[key] or "")[:19].replace("T", " ") or "—" for key in ("started_at", "finished_at")}
    return render_to_string("harness/report.html", {"data": data, "plots": report_plots(data), "when": when})


def report_write(*, evaluation: Evaluation, results: list[EvaluationEpisode], out_dir) -> Path:
    """Write report.json and report.html into `out_dir` (created); returns the directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = report_data(evaluation=evaluation, results=results)
    (out / "report.json").write_text(json.dumps(data, indent=2) + "\n")
    (out / "report.html").write_text(report_html(data))
    return out
