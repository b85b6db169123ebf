"""A benchmark run that crosses midnight says so and fails: from midnight on, its day is no
longer today, so nothing evaluated is kept and the readiness figures are not the code's."""

from __future__ import annotations

import datetime as dt

import bench.__main__ as command
import bench.runner
from bench.figures import Figure

INFO = {"size": "XS", "clinicians": 1, "evidence_rows": 1, "database": "SQLite"}


def _run(monkeypatch, days):
    calls = iter(days)
    monkeypatch.setattr(command, "_today", lambda: next(calls))
    figure = Figure("a figure", 1.0, "s", "≤ 2 s", None, None, True, "")
    monkeypatch.setattr(
        bench.runner, "run_all", lambda **kw: ([figure], {**INFO, "build_seconds": 0.1})
    )
    return command.main(["run", "--size", "XS", "--no-load"])


def test_a_run_within_one_day_reports_its_figures(monkeypatch, capsys):
    day = dt.date(2026, 12, 8)
    assert _run(monkeypatch, [day, day, day]) == 0
    out, err = capsys.readouterr()
    assert "a figure" in out and "midnight" not in err


def test_a_run_across_midnight_fails_and_says_why(monkeypatch, capsys):
    before, after = dt.date(2026, 12, 7), dt.date(2026, 12, 8)
    assert _run(monkeypatch, [before, after, after]) == 2
    err = capsys.readouterr().err
    assert "crossed midnight" in err and "2026-12-07" in err and "Run it again" in err
