"""Build the data of small server-side SVG charts: hours against the plan, stacked bars."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from competencies.evaluator import Result, add_months
from competencies.forecast import plan_line
from competencies.nodes import NODE_TYPES
from competencies.types import Summary

WIDTH, HEIGHT, PAD = 640, 220, 36


@dataclass(frozen=True)
class Chart:
    """Polyline points (SVG coordinates), axis labels and a plain-text description."""

    training: str
    rsc: str
    plan: str
    y_max: float
    x_labels: tuple[tuple[float, str], ...]
    description: str
    width: int = WIDTH
    height: int = HEIGHT


def hours_chart(result: Result, summary: Summary, started_on: dt.date, as_of: dt.date) -> Chart:
    """Return cumulative training and RSC hours by month since the start, and the plan line."""
    months = max(24, (as_of.year - started_on.year) * 12 + as_of.month - started_on.month + 1)
    first = started_on.replace(day=1)
    # Each node type with hours to show (training, reflective supervision) gives its series.
    series = [s for t in NODE_TYPES.values() if (s := t.chart(result, summary)) is not None]
    by_name = {s.series: s for s in series}
    training_by_month = dict(by_name["training"].monthly)
    rsc_by_month = dict(by_name["rsc"].monthly)
    before = sum(h for k, h in training_by_month.items() if k < first.strftime("%Y-%m"))
    rsc_before = sum(h for k, h in rsc_by_month.items() if k < first.strftime("%Y-%m"))
    target = sum(s.target for s in series)
    plan = plan_line(first, target, 24)
    cum_t, cum_r = before, rsc_before
    t_points, r_points = [], []
    elapsed = min(months, (as_of.year - first.year) * 12 + as_of.month - first.month + 1)
    for m in range(elapsed):
        key = add_months(first, m).strftime("%Y-%m")
        cum_t += training_by_month.get(key, 0.0)
        cum_r += rsc_by_month.get(key, 0.0)
        t_points.append((m, cum_t))
        r_points.append((m, cum_r))
    y_max = max([target, cum_t, cum_r, 1.0]) * 1.1

    def xy(m: float, h: float) -> str:
        x = PAD + (WIDTH - 2 * PAD) * m / months
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * h / y_max
        return f"{x:.1f},{y:.1f}"

    labels = tuple(
        (PAD + (WIDTH - 2 * PAD) * m / months, add_months(first, m).strftime("%Y-%m"))
        for m in range(0, months + 1, 6)
    )
    expected_now = target * min(elapsed, 24) / 24
    description = (
        f"Since {first:%B %Y}: {cum_t:g} h of counted training and {cum_r:g} h of reflective "
        f"supervision that counts. An even two-year plan to {target:g} h expects about "
        f"{expected_now:.0f} h by now."
    )
    return Chart(
        training=" ".join(xy(m, h) for m, h in t_points),
        rsc=" ".join(xy(m, h) for m, h in r_points),
        plan=" ".join(xy(i, p.hours) for i, p in enumerate(plan)),
        y_max=y_max,
        x_labels=labels,
        description=description,
    )


# Okabe–Ito colours: told apart with the common kinds of colour blindness.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")
LEGEND_ITEM_WIDTH = 120


@dataclass(frozen=True)
class Segment:
    """One series' part of a stacked bar (SVG coordinates)."""

    series: str
    count: int
    x: float
    width: float
    colour: str


@dataclass(frozen=True)
class StackedBar:
    """One labelled row of a stacked bar chart, with its total and its segments."""

    label: str
    total: int
    y: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class StackedChart:
    """Horizontal stacked bars, their legend (series, colour, x, y) and a text description."""

    bars: tuple[StackedBar, ...]
    legend: tuple[tuple[str, str, float, float], ...]
    description: str
    width: int
    height: int
    label_width: int
    bar_height: int


def stacked_bars(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    series: Sequence[str],
    *,
    width: int = WIDTH,
    label_width: int = 150,
    bar_height: int = 22,
    gap: int = 6,
) -> StackedChart:
    """Return one horizontal bar per row, split into segments by series, scaled to the largest.

    `rows` are (label, {series: count}); counts of series not listed are ignored.
    """
    colours = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}
    totals = [sum(counts.get(s, 0) for s in series) for _, counts in rows]
    room = width - label_width - 40
    top = max(totals, default=0) or 1
    bars = []
    for i, ((label, counts), total) in enumerate(zip(rows, totals, strict=True)):
        x, segments = float(label_width), []
        for s in series:
            n = counts.get(s, 0)
            if n:
                w = room * n / top
                segments.append(Segment(s, n, x, w, colours[s]))
                x += w
        bars.append(StackedBar(label, total, i * (bar_height + gap), tuple(segments)))
    legend_top = len(rows) * (bar_height + gap) + 8
    per_line = max(1, width // LEGEND_ITEM_WIDTH)
    legend = tuple(
        (
            s,
            colours[s],
            (i % per_line) * LEGEND_ITEM_WIDTH,
            legend_top + (i // per_line) * (bar_height + gap),
        )
        for i, s in enumerate(series)
    )
    lines = -(-len(series) // per_line) if series else 0
    height = legend_top + lines * (bar_height + gap)
    parts = []
    for bar in bars:
        split = ", ".join(f"{seg.series} {seg.count}" for seg in bar.segments)
        parts.append(f"{bar.label} {bar.total}" + (f" ({split})" if split else ""))
    return StackedChart(
        bars=tuple(bars),
        legend=legend,
        description="; ".join(parts) + ".",
        width=width,
        height=height,
        label_width=label_width,
        bar_height=bar_height,
    )
