"""An edit of a framework (a replaced import, an area renamed or given other categories) stales
every open pathway whose rule set reads it; the edit re-evaluates them after its commit, so no
readiness report pays for it: in a background job for the page (its progress shown on the
framework's page), in the same command for `import-framework`."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from competencies import reevaluate
from competencies.frameworks import framework_doc, save_framework
from competencies.frameworks_io import demo_framework, dump_framework
from competencies.models import Framework, Pathway, Standing
from tests.kept_rows import keep_all, wait_for_jobs

TODAY = dt.date.today()


@pytest.fixture
def shared(defaults):
    """The shared framework the default rule sets read."""
    return Framework.get(Framework.association.is_null())


@pytest.fixture
def pathways(make_user, association, shared):
    """Two clinicians working toward IFA, their rows kept; the pathways' ids."""
    from competencies.pathways import declare_goal

    ids = [
        declare_goal(make_user(email), association, "IFA", TODAY - dt.timedelta(days=90)).id
        for email in ("ana@example.test", "ben@example.test")
    ]
    keep_all(association)
    return ids


def _hold_the_framework_as_it_is(pathway_ids) -> bool:
    """Tell whether each kept row is current and was evaluated with the framework as it is."""
    from competencies import standing

    for pathway_id in pathway_ids:
        p = Pathway.get_by_id(pathway_id)
        row = Standing.get_by_id(pathway_id)
        kept = (row.generation, row.computed, row.as_of, row.valid_until, row.basis)
        if not standing.is_current(kept, TODAY.isoformat(), standing.basis(p, p.rule_set)):
            return False
    return True


def _renamed(framework: Framework):
    doc = framework_doc(framework)
    return replace(doc, name=doc.name + " (edited)")


def test_an_edit_stales_the_rows_reading_the_framework_and_the_edit_evaluates_them(
    pathways, association, shared
):
    assert reevaluate.associations_reading(shared.id) == [association.id]
    save_framework(_renamed(shared))
    assert not _hold_the_framework_as_it_is(pathways)  # what a report would have paid for
    said = reevaluate.after_framework_edit(shared.id, background=False)
    assert said.startswith("Readiness: 2 open pathways current, 2 evaluated")
    assert _hold_the_framework_as_it_is(pathways)


def test_a_framework_no_rule_set_reads_starts_nothing(pathways, association):
    own = save_framework(replace(demo_framework(), idnumber="OWN-FW"), association=association)
    assert reevaluate.associations_reading(own.id) == []
    assert reevaluate.after_framework_edit(own.id, background=True) == ""
    assert reevaluate.after_framework_edit(own.id, background=False) == ""


def test_an_area_edited_on_its_page_is_followed_by_a_job_whose_progress_the_page_shows(
    app, client, auth, make_user, pathways, shared
):
    admin = make_user("admin@example.test", roles=("admin",))
    auth.login(admin.email)
    response = client.post(
        f"/competencies/frameworks/{shared.id}/areas/TF-PREG",
        data={"name": "Pregnancy", "categories": ["IFA", "IFS"]},
    )
    assert response.status_code == 302
    (job,) = wait_for_jobs(app)
    assert (job.status, job.owner_id) == ("done", admin.id)
    assert job.message == "Readiness re-evaluated: 2 pathway(s)."
    assert _hold_the_framework_as_it_is(pathways)
    page = client.get(f"/competencies/frameworks/{shared.id}").text
    assert "After your edit" not in page  # the job's own label heads the section
    assert "Readiness after the framework edit" in page
    assert "Readiness re-evaluated: 2 pathway(s)." in page
    other = make_user("other-admin@example.test", roles=("admin",))
    auth.logout()
    auth.login(other.email)  # not theirs: another session shows no job
    assert (
        "Readiness after the framework edit"
        not in client.get(f"/competencies/frameworks/{shared.id}").text
    )


def test_import_framework_replacing_one_evaluates_in_the_same_command(
    runner, pathways, shared, tmp_path
):
    file = tmp_path / "shared.yaml"
    file.write_text(dump_framework(_renamed(shared), "yaml"))
    result = runner.invoke(args=["competencies", "import-framework", str(file)])
    assert result.exit_code == 0, result.output
    assert "Readiness: 2 open pathways current, 2 evaluated" in result.output
    assert _hold_the_framework_as_it_is(pathways)
