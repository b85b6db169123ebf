"""The missing list comes from the root result (issue 15, point 3): the CLI and the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

TODAY = dt.date.today()


@pytest.fixture
def signed_in(client, auth, clinician):
    auth.login(clinician.email)
    return client


def _ready_without_education(ifa_areas) -> dict:
    """An IFA portfolio met through two years of paid work, with no education record."""
    day = (TODAY - dt.timedelta(days=30)).isoformat()
    until = (TODAY + dt.timedelta(days=365)).isoformat()
    evidence = [
        {"kind": "training", "date": day, "hours": 30, "areas": list(ifa_areas)},
        {
            "kind": "work",
            "date": day,
            "details": {"kind": "paid_infant_family", "years": 2.5},
        },
        {"kind": "membership", "date": day, "details": {"valid_until": until}},
        {"kind": "agreement", "date": day, "details": {"document": "code_of_ethics"}},
        {"kind": "agreement", "date": day, "details": {"document": "endorsement_agreement"}},
    ]
    evidence += [{"kind": "reference", "date": day} for _ in range(3)]
    return {"category": "IFA", "evidence": evidence}


def test_cli_prints_no_missing_task_for_an_unmet_option_of_a_met_group(app, ifa_areas, tmp_path):
    path = tmp_path / "ready.yaml"
    path.write_text(yaml.safe_dump(_ready_without_education(ifa_areas)))
    out = app.test_cli_runner().invoke(args=["competencies", "evaluate-portfolio", str(path)])
    assert out.exit_code == 0, out.output
    assert "READY" in out.output
    assert "Missing" not in out.output and "proof of education" not in out.output


def test_dashboard_lists_what_the_root_needs_once(signed_in, ifa_areas):
    import json

    doc = _ready_without_education(ifa_areas)
    doc["evidence"] = [e for e in doc["evidence"] if e["kind"] != "reference"]
    response = signed_in.post(
        "/competencies/planner",
        data={"category": "IFA", "portfolio": json.dumps({"evidence": doc["evidence"]})},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ask 3 more people for reference ratings" in body
    assert "Add proof of education" not in body
