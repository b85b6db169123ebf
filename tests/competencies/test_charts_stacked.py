"""Stacked bar charts: proportional segments, a legend and a plain-text description."""

from __future__ import annotations

from competencies.charts import PALETTE, stacked_bars


def test_segments_are_proportional_to_the_largest_bar_and_stack_left_to_right():
    chart = stacked_bars(
        [("Ready", {"IFA": 2, "IMHS": 2}), ("Stalled", {"IMHS": 1}), ("At risk", {})],
        ["IFA", "IMHS"],
        width=640,
        label_width=150,
    )
    room = 640 - 150 - 40
    ready, stalled, at_risk = chart.bars
    assert [b.total for b in chart.bars] == [4, 1, 0]
    assert [(s.series, s.count) for s in ready.segments] == [("IFA", 2), ("IMHS", 2)]
    assert ready.segments[0].x == 150 and ready.segments[0].width == room / 2
    assert ready.segments[1].x == 150 + room / 2
    assert stalled.segments[0].width == room / 4 and stalled.segments[0].colour == PALETTE[1]
    assert at_risk.segments == ()
    assert stalled.y > ready.y and at_risk.y > stalled.y
    assert chart.description == "Ready 4 (IFA 2, IMHS 2); Stalled 1 (IMHS 1); At risk 0."
    assert [name for name, *_ in chart.legend] == ["IFA", "IMHS"]
    assert chart.height > at_risk.y + chart.bar_height


def test_no_data_gives_empty_bars_not_a_division_by_zero():
    chart = stacked_bars([("Ready", {}), ("Stalled", {})], [])
    assert [b.total for b in chart.bars] == [0, 0]
    assert chart.legend == () and chart.description == "Ready 0; Stalled 0."


def test_legend_wraps_when_the_series_do_not_fit_on_one_line():
    series = [f"C{i}" for i in range(9)]
    chart = stacked_bars([("Ready", dict.fromkeys(series, 1))], series, width=640)
    rows = sorted({y for *_, y in chart.legend})
    assert len(rows) == 2
    assert chart.height >= rows[-1] + chart.bar_height
    colours = [colour for _, colour, *_ in chart.legend]
    assert colours[: len(PALETTE)] == list(PALETTE)
