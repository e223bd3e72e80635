"""A training run's report: report.json (the run, its steps, its episodes) and report.html.

Like `manage.py evaluate`'s report, the page has no scripts and loads nothing: its plots
are inline SVG with a <title> and a <desc> that say in words what they show, so it can be
mailed, archived or opened offline.
"""

import html
import json
from pathlib import Path

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 220, 56, 16, 18, 40
LINE_COLOUR = "#2f6aa6"


def _fmt(value, percent: bool = False) -> str:
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def line_chart(*, title: str, points: list[tuple[int, float]], axis_label: str, percent: bool = False) -> str:
    """A line over training steps; one point per step (gaps where a step has no value)."""
    points = [(x, y) for x, y in points if y is not None]
    esc = html.escape
    if not points:
        return (f'<svg class="plot" role="img" viewBox="0 0 {WIDTH} 40" width="{WIDTH}" height="40">'
                f'<title>{esc(title)}</title><desc>No values.</desc><text x="10" y="24">No values</text></svg>')
    xs, ys = [x for x, _ in points], [y for _, y in points]
    low, high = (0.0, 1.0) if percent else (min(0.0, min(ys)), max(0.0, max(ys)))
    high = high if high > low else low + 1
    x_low, x_high = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    sx = lambda x: LEFT + (WIDTH - LEFT - RIGHT) * (x - x_low) / (x_high - x_low)  # noqa: E731
    sy = lambda y: TOP + (HEIGHT - TOP - BOTTOM) * (1 - (y - low) / (high - low))  # noqa: E731
    parts = []
    for tick in (low, (low + high) / 2, high):
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{sy(tick):.1f}" '
                     f'y2="{sy(tick):.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{sy(tick) + 4:.1f}" text-anchor="end">'
                     f'{_fmt(tick, percent)}</text>')
    for x in sorted({x_low, x_high}):
        parts.append(f'<text class="tick" x="{sx(x):.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{x}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(points))
    parts.append(f'<path d="{path}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2"/>')
    for x, y in points:
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{LINE_COLOUR}">'
                     f'<title>step {x}: {_fmt(y, percent)}</title></circle>')
    parts.append(f'<text class="axis-label" x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT - 6}" '
                 f'text-anchor="middle">Training step</text>')
    desc = f"{title} ({axis_label}) over steps {x_low} to {max(xs)}: " + ", ".join(
        f"step {x} {_fmt(y, percent)}" for x, y in points[:50])
    return (f'<svg class="plot" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{esc(title)}</title><desc>{esc(desc)}.</desc>'
            f'{"".join(parts)}</svg>')


STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2430; }
table { border-collapse: collapse; margin: 8px 0 20px; } th, td { border: 1px solid #c9d1dc; padding: 3px 8px; }
th { background: #eef2f7; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.plot { display: block; margin: 6px 0 18px; } .grid { stroke: #e3e8ef; }
.tick, .axis-label { font-size: 11px; fill: #556; }
.note { color: #556; max-width: 60em; }
"""


def _table(rows: list[dict], columns: list[tuple[str, str, bool]]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in columns)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{html.escape(_fmt(row.get(key), percent))}</td>'
                         if isinstance(row.get(key), int | float) and not isinstance(row.get(key), bool)
                         else f"<td>{html.escape(str(row.get(key, '')))}</td>"
                         for key, _, percent in columns) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(data: dict, *, plots: list[tuple[str, str, bool]], step_columns: list[tuple[str, str, bool]]) -> str:
    """`plots`: (step key, title, percent) drawn from data["steps"]; `step_columns`: the steps table."""
    run = data["run"]
    charts = "".join(line_chart(title=title, points=[(s["step"], s.get(key)) for s in data["steps"]],
                                axis_label=key, percent=percent) for key, title, percent in plots)
    summary = _table([data["summary"]], [(key, key.replace("_", " "), key.endswith(("rate", "share")))
                                         for key in data["summary"]])
    episodes = data.get("episodes") or []
    episode_table = ""
    if episodes:
        keys = [key for key in episodes[0] if key not in ("split",)]
        episode_table = "<h2>Episodes</h2>" + _table(episodes, [(key, key.replace("_", " "), False) for key in keys])
    return (
        f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(run['kind'])} run "
        f"— EHRGym</title><style>{STYLE}</style></head><body><h1>{html.escape(run['kind'])} run</h1>"
        f"<p class=\"note\">Model {html.escape(str(run.get('model')))}; {html.escape(run.get('note', ''))}</p>"
        f"<h2>Summary</h2>{summary}<h2>Per step</h2>{charts}{_table(data['steps'], step_columns)}"
        f"{episode_table}<h2>Settings</h2><pre>{html.escape(json.dumps(run, indent=2))}</pre></body></html>\n"
    )


def report_write(out_dir: Path, data: dict, **html_options) -> Path:
    """report.json and report.html in `out_dir`; returns the directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(data, indent=2) + "\n")
    (out / "report.html").write_text(report_html(data, **html_options))
    return out


def text_table(rows: list[dict], columns: list[tuple[str, str, bool]]) -> str:
    """A plain-text table for the terminal."""
    cells = [[label for _, label, _ in columns]]
    cells += [[_fmt(row.get(key), percent) for key, _, percent in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in cells]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])
