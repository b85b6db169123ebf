"""The benchmark command runs at size S and prints every figure (budgets are not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "readiness refresh",
    "association readiness report",
    "readiness report after 1 % of clinicians changed",
    "one clinician's evaluation",
    "dashboard queries",
    "progress certificate PDF",
    "CSV import,",
    "CSV import peak memory",
    "load: dashboard p95",
    "load: readiness page p95 right after an import",
    "readiness report after an import, its job done",
    "readiness report after a framework edit, its job done",
)


def test_benchmark_command_completes_and_prints_every_figure(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--size", "S", "--load-seconds", "5", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1 = some budget missed
    report = json.loads(done.stdout)
    assert report["info"]["clinicians"] == 1000
    assert report["info"]["evidence_rows"] >= 290_000
    names = [figure["name"] for figure in report["figures"]]
    for expected in FIGURES:
        assert any(name.startswith(expected) for name in names), (expected, names)
    pdf = next(f for f in report["figures"] if f["name"].startswith("progress certificate"))
    assert pdf["ratio"] and "fair baseline" in pdf["note"]
    refreshes = [f for f in report["figures"] if f["name"].endswith("process(es)")]
    assert refreshes and all("in a process of its own" in f["note"] for f in refreshes)
    load = next(f for f in report["figures"] if f["name"].startswith("load: dashboard"))
    assert "different clinicians" in load["note"]
    for figure in report["figures"]:
        assert figure["value"] == figure["value"], figure  # a number, not NaN
        assert isinstance(figure["passed"], bool)
