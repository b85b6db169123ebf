"""An import re-evaluates the readiness rows it made stale, so no report pays for them."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from tests.courses.conftest import TODAY

DAY = (TODAY - dt.timedelta(days=10)).isoformat()
CSV = f"email,training_code,date,hours\r\nana@example.test,NBO-101,{DAY},3\r\n"


@pytest.fixture
def kept(clinician, association, make_training):
    """Ana works toward IFA and her readiness row is kept (current)."""
    from competencies.pathways import declare_goal
    from competencies.readiness import refresh

    make_training("NBO-101", hours=3)
    pathway = declare_goal(clinician, association, "IFA", TODAY - dt.timedelta(days=100))
    refresh(association)
    assert _current(pathway.id)
    return pathway


def _current(pathway_id: int) -> bool:
    from competencies.models import Standing

    row = Standing.get_by_id(pathway_id)
    return row.computed == row.generation and row.as_of is not None


def _hours_counted(pathway_id: int) -> float:
    from competencies.models import Standing

    return Standing.get_by_id(pathway_id).progress


def test_the_import_command_reevaluates_before_it_ends(runner, coordinator, kept, tmp_path):
    before = _hours_counted(kept.id)
    path = tmp_path / "roster.csv"
    path.write_text(CSV)
    result = runner.invoke(
        args=["courses", "import-completions", str(path), "--as", coordinator.email]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 1 completion(s)" in result.output
    assert "Readiness: 1 open pathways current, 1 evaluated" in result.output
    assert _current(kept.id) and _hours_counted(kept.id) > before


def test_a_dry_run_or_an_import_of_nothing_new_evaluates_nothing(
    runner, coordinator, kept, tmp_path
):
    path = tmp_path / "roster.csv"
    path.write_text(CSV)
    dry = runner.invoke(
        args=["courses", "import-completions", str(path), "--as", coordinator.email, "--dry-run"]
    )
    assert dry.exit_code == 0 and "Readiness" not in dry.output
    runner.invoke(args=["courses", "import-completions", str(path), "--as", coordinator.email])
    again = runner.invoke(
        args=["courses", "import-completions", str(path), "--as", coordinator.email]
    )
    assert again.exit_code == 0 and "1 already recorded" in again.output
    assert "Readiness" not in again.output


def test_the_web_import_reevaluates_in_a_job_shown_on_the_import_page(
    client, auth, coordinator, kept, app
):
    from lms import jobs

    before = _hours_counted(kept.id)
    auth.login(coordinator.email)
    html = client.post(
        "/courses/import",
        data={"file": (io.BytesIO(CSV.encode()), "roster.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    token = re.search(r"/courses/import/([0-9a-f]{32})", html).group(1)
    response = client.post(f"/courses/import/{token}")
    assert response.status_code == 302
    with client.session_transaction() as browser:
        job_id = browser["courses_import_job"]
    assert jobs.wait(job_id, timeout=60).status == "done"
    assert _current(kept.id) and _hours_counted(kept.id) > before
    page = client.get("/courses/import").get_data(as_text=True)
    assert "Readiness re-evaluated: 1 pathway(s)." in page
    progress = client.get(f"/courses/import/jobs/{job_id}").get_json()
    assert progress == {
        "status": "done",
        "done": 1,
        "total": 1,
        "percent": 100,
        "message": "Readiness re-evaluated: 1 pathway(s).",
    }


def test_the_progress_is_shown_while_the_job_runs(client, auth, coordinator, app, kept):
    from lms import jobs

    state = jobs.JobState("abcDEF123", "Readiness after your import", "running", 400, 1000)
    jobs._write(app, jobs._replace(state, owner_id=coordinator.id))
    auth.login(coordinator.email)
    with client.session_transaction() as browser:
        browser["courses_import_job"] = "abcDEF123"
    page = client.get("/courses/import").get_data(as_text=True)
    assert "400 of 1,000 pathways" in page and 'aria-valuenow="40"' in page


def test_only_the_importer_sees_the_job(client, auth, coordinator, make_user, app, kept):
    from lms import jobs

    jobs._write(app, jobs.JobState("abcDEF123", "x", "running", 1, 2, owner_id=coordinator.id))
    other = make_user("other.coord@example.test", roles=("coordinator",))
    auth.login(other.email)
    assert client.get("/courses/import/jobs/abcDEF123").status_code == 404
    assert client.get("/courses/import/jobs/nope").status_code == 404
