"""Server-side SVG line plots for result trends and vital signs.

Plots are plain inline SVG strings (no JavaScript), so browsers, screenshots and
accessibility-tree readers all get the same picture: a `<title>` and `<desc>` state
in words what the plot shows, and every point carries its own `<title>`.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 760, 250
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 18, 14, 38
SERIES_COLOURS = ("#2f5d8a", "#6b4c9a")
HIGH_COLOUR, LOW_COLOUR = "#c0262d", "#1f5fbf"
Y_TICKS = 5
X_TICKS = 6


# UCUM codes as a clinician reads them; anything else is shown unchanged.
UNIT_DISPLAY = {"Cel": "°C", "[degF]": "°F", "mm[Hg]": "mmHg", "{score}": "", "kg/m2": "kg/m²", "[lb_av]": "lb"}


def display_unit(code: str) -> str:
    if code in UNIT_DISPLAY:
        return UNIT_DISPLAY[code]
    return code.strip("{}") if code else ""


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    flag: str = ""


@dataclass(frozen=True)
class Series:
    label: str
    points: list[Point]


@dataclass(frozen=True)
class _Frame:
    """Maps data coordinates to pixels inside the plot area."""

    t0: float
    t1: float
    y0: float
    y1: float

    def x(self, at: datetime) -> float:
        span = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
        return MARGIN_LEFT + span * (at.timestamp() - self.t0) / (self.t1 - self.t0)

    def y(self, value: float) -> float:
        span = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
        return HEIGHT - MARGIN_BOTTOM - span * (value - self.y0) / (self.y1 - self.y0)


def nice_ticks(low: float, high: float, count: int = Y_TICKS) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 × 10^n steps) covering [low, high]."""
    if high <= low:
        high = low + 1
    raw_step = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def _value(value: float, decimals: int | None) -> str:
    """A plotted value as the chart prints it: at the analyte's precision when known."""
    return _fmt(value) if decimals is None else f"{value:.{decimals}f}"


def _flag_colour(flag: str, default: str) -> str:
    if flag.startswith("H"):
        return HIGH_COLOUR
    if flag.startswith("L"):
        return LOW_COLOUR
    return default


def _local(at: datetime) -> datetime:
    return timezone.localtime(at) if timezone.is_aware(at) else at


def _frame(series: list[Series], ref_low: float | None, ref_high: float | None) -> tuple[_Frame, list[float]]:
    points = [p for s in series for p in s.points]
    values = [p.value for p in points] + [v for v in (ref_low, ref_high) if v is not None]
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or max(abs(high) * 0.1, 1)
    ticks = nice_ticks(low - pad, high + pad)
    times = [p.at.timestamp() for p in points]
    t0, t1 = min(times), max(times)
    if t1 - t0 < 1:
        t0, t1 = t0 - 86400, t1 + 86400
    margin = (t1 - t0) * 0.03
    return _Frame(t0 - margin, t1 + margin, ticks[0], ticks[-1]), ticks


def _y_axis(frame: _Frame, ticks: list[float], unit: str) -> list[str]:
    parts = []
    for tick in ticks:
        y = frame.y(tick)
        parts.append(f'<line class="grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    mid = (MARGIN_TOP + HEIGHT - MARGIN_BOTTOM) / 2
    parts.append(
        f'<text class="axis-label" transform="translate(14 {mid:.1f}) rotate(-90)" text-anchor="middle">'
        f"{escape(unit or 'Value')}</text>"
    )
    return parts


def _x_axis(frame: _Frame) -> list[str]:
    start = datetime.fromtimestamp(frame.t0, tz=timezone.get_current_timezone())
    span = timedelta(seconds=frame.t1 - frame.t0)
    fmt = "%m/%d %H:%M" if span < timedelta(days=3) else "%m/%d/%Y"
    base = HEIGHT - MARGIN_BOTTOM
    parts = [f'<line class="axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{base}" y2="{base}"/>']
    for i in range(X_TICKS):
        at = start + span * (i + 0.5) / X_TICKS
        x = frame.x(at)
        parts.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{base + 16}" text-anchor="middle">{at:{fmt}}</text>')
    centre = (MARGIN_LEFT + WIDTH) / 2
    parts.append(f'<text class="axis-label" x="{centre:.0f}" y="{HEIGHT - 4}" text-anchor="middle">Date</text>')
    return parts


def _reference_band(frame: _Frame, ref_low: float | None, ref_high: float | None) -> list[str]:
    if ref_low is None and ref_high is None:
        return []
    top = frame.y(ref_high if ref_high is not None else frame.y1)
    bottom = frame.y(ref_low if ref_low is not None else frame.y0)
    width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    return [
        f'<rect class="ref-band" x="{MARGIN_LEFT}" y="{top:.1f}" width="{width}" height="{bottom - top:.1f}">'
        "<title>Reference range</title></rect>",
        f'<text class="ref-label" x="{WIDTH - MARGIN_RIGHT - 4}" y="{top + 11:.1f}" text-anchor="end">Ref range</text>',
    ]


def _series(frame: _Frame, series: Series, colour: str, unit: str, decimals: int | None) -> list[str]:
    coords = " ".join(f"{frame.x(p.at):.1f},{frame.y(p.value):.1f}" for p in series.points)
    parts = [f'<polyline class="trend-line" fill="none" stroke="{colour}" points="{coords}"/>']
    for point in series.points:
        fill = _flag_colour(point.flag, colour)
        radius = 4.5 if point.flag else 3.2
        label = f"{series.label} {_local(point.at):%m/%d/%Y %H:%M}: {_value(point.value, decimals)} {unit}".strip()
        if point.flag:
            label += f" ({point.flag})"
        parts.append(
            f'<circle class="pt{" pt-flagged" if point.flag else ""}" cx="{frame.x(point.at):.1f}" '
            f'cy="{frame.y(point.value):.1f}" r="{radius}" fill="{fill}"><title>{escape(label)}</title></circle>'
        )
    return parts


def _legend(series: list[Series]) -> list[str]:
    if len(series) < 2:
        return []
    parts = []
    for i, s in enumerate(series):
        x = MARGIN_LEFT + 10 + i * 130
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        parts.append(f'<rect x="{x}" y="{MARGIN_TOP + 2}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text class="legend" x="{x + 14}" y="{MARGIN_TOP + 11}">{escape(s.label)}</text>')
    return parts


def describe(series: list[Series], unit: str, ref_low: float | None, ref_high: float | None,
             decimals: int | None = None) -> str:
    """The plot in words, for screen readers and agents reading the accessibility tree."""
    sentences = []
    for s in series:
        first, last = s.points[0], s.points[-1]
        latest = f"{_value(last.value, decimals)} {unit}".strip() + (f" ({last.flag})" if last.flag else "")
        sentences.append(
            f"{s.label}: {len(s.points)} values from {_local(first.at):%m/%d/%Y} to {_local(last.at):%m/%d/%Y}, "
            f"latest {latest}, lowest {_value(min(p.value for p in s.points), decimals)}, "
            f"highest {_value(max(p.value for p in s.points), decimals)}."
        )
    flagged = sum(1 for s in series for p in s.points if p.flag)
    if flagged:
        sentences.append(f"{flagged} flagged abnormal.")
    if ref_low is not None or ref_high is not None:
        low = _fmt(ref_low) if ref_low is not None else "–"
        high = _fmt(ref_high) if ref_high is not None else "–"
        sentences.append(f"Reference range {low} to {high} {unit}.".replace("  ", " "))
    return " ".join(sentences)


def line_plot(
    series: list[Series],
    *,
    title: str,
    unit: str = "",
    ref_low: float | None = None,
    ref_high: float | None = None,
    testid: str = "trend-plot",
    decimals: int | None = None,
) -> SafeString:
    """An accessible SVG line plot; series without points are left out. `decimals`: the precision values are
    printed with (the analyte's display precision), else up to two."""
    series = [s for s in series if s.points]
    unit = display_unit(unit)
    if not series:
        return mark_safe("")
    frame, ticks = _frame(series, ref_low, ref_high)
    body = _reference_band(frame, ref_low, ref_high) + _y_axis(frame, ticks, unit) + _x_axis(frame)
    for i, s in enumerate(series):
        body += _series(frame, s, SERIES_COLOURS[i % len(SERIES_COLOURS)], unit, decimals)
    body += _legend(series)
    desc = describe(series, unit, ref_low, ref_high, decimals)
    svg = (
        f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}. {escape(desc)}" '
        f'data-testid="{escape(testid)}"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )
    return mark_safe(svg)
