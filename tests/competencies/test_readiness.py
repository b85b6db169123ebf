"""The association readiness report: buckets, filters, CSV, permissions and query count."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from playhouse.test_utils import count_queries

from tests.competencies.conftest import TODAY


def _report(association, **kw):
    from competencies.readiness import association_report

    return association_report(association, TODAY, **kw)


def test_each_clinician_lands_in_the_right_bucket(cohort, association):
    report = _report(association)
    by_name = {r.name: r for r in report.matching}
    assert {name: r.status for name, r in by_name.items()} == {
        "Ana Ready": "ready",
        "Ben Soon": "within 3 months",
        "Cara Track": "on track",
        "Dev Late": "at risk",
        "Eli Warned": "at risk",
        "Fay Idle": "stalled",
        # Only an action is missing (references): paced, not stalled; the flag says what to do.
        "Gus Noref": "within 3 months",
    }
    assert report.counts == {
        "ready": 1,
        "within 3 months": 2,
        "on track": 1,
        "at risk": 2,
        "stalled": 1,
    }
    assert by_name["Ana Ready"].ready and by_name["Ana Ready"].percent == 100
    assert by_name["Ana Ready"].projected is None and by_name["Ana Ready"].flags == ()
    assert by_name["Ben Soon"].projected <= TODAY + dt.timedelta(days=92)
    assert by_name["Ben Soon"].agency == "North Clinic"
    assert by_name["Gus Noref"].projected is not None
    assert "Needs action: Reference ratings" in by_name["Gus Noref"].flags
    assert any(f.startswith("No evidence since") for f in by_name["Fay Idle"].flags)
    assert any("membership ends" in f for f in by_name["Eli Warned"].flags)
    assert all(": renew it" not in f for f in by_name["Eli Warned"].flags)  # shortened


@pytest.mark.parametrize(
    "projected_days,started_days,warnings,last_days,expected",
    [
        (10, 100, (), 5, "within 3 months"),
        (10, 100, ("RSC window closes",), 5, "at risk"),
        (200, 100, (), 5, "on track"),
        (200, 700, (), 5, "at risk"),
        (None, 100, (), 5, "stalled"),
        (10, 100, (), 200, "stalled"),
        (10, 100, (), None, "stalled"),
    ],
)
def test_bucket_rules(projected_days, started_days, warnings, last_days, expected):
    from competencies.readiness_rows import bucket

    as_of = dt.date(2026, 6, 15)
    assert (
        bucket(
            ready=False,
            projected=None if projected_days is None else as_of + dt.timedelta(days=projected_days),
            started_on=as_of - dt.timedelta(days=started_days),
            warnings=warnings,
            last_evidence_on=None if last_days is None else as_of - dt.timedelta(days=last_days),
            as_of=as_of,
        )
        == expected
    )
    assert bucket(
        ready=True,
        projected=None,
        started_on=as_of,
        warnings=("x",),
        last_evidence_on=None,
        as_of=as_of,
    ) == ("ready")


def test_bucket_boundary_three_months_is_within():
    from competencies.readiness_rows import bucket

    as_of = dt.date(2026, 1, 31)
    args = dict(ready=False, started_on=as_of, warnings=(), last_evidence_on=as_of, as_of=as_of)
    assert bucket(projected=dt.date(2026, 4, 30), **args) == "within 3 months"
    assert bucket(projected=dt.date(2026, 5, 1), **args) == "on track"


def test_filters_sort_and_pagination(cohort, association, make_ifa):
    from competencies.pathways import declare_goal
    from lms.models import Agency

    declare_goal(cohort["ready"], association, "IFS", TODAY - dt.timedelta(days=10))
    assert [r.name for r in _report(association, category="IFS").matching] == ["Ana Ready"]
    at_risk = _report(association, status="at risk")
    assert [r.name for r in at_risk.matching] == ["Dev Late", "Eli Warned"]
    assert at_risk.counts["stalled"] == 2 and at_risk.total == 8  # counts ignore filters
    south = Agency.get(Agency.name == "South Clinic")
    assert {r.name for r in _report(association, agency_id=south.id).matching} == {
        "Cara Track",
        "Dev Late",
        "Eli Warned",
    }
    assert [r.name for r in _report(association, search="BEN.S").matching] == ["Ben Soon"]
    by_progress = _report(association, sort="-progress").matching
    assert by_progress[0].progress == 1.0
    assert [r.progress for r in by_progress] == sorted(
        (r.progress for r in by_progress), reverse=True
    )
    projected = _report(association, sort="projected").matching
    dated = [r.projected for r in projected if r.projected]
    assert dated == sorted(dated) and projected[-1].projected is None and projected[0].ready
    assert [r.name for r in _report(association, sort="-name").matching][0] == "Gus Noref"
    page = _report(association, per_page=3, page=3)
    assert (page.pages, page.page, len(page.rows)) == (3, 3, 2)
    assert _report(association, per_page=3, page=99).page == 3


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"sort": "age"}, "sort"),
        ({"status": "late"}, "status"),
        ({"per_page": 201}, "per_page"),
        ({"page": 0}, "page"),
    ],
)
def test_bad_report_parameters_name_the_field(association, defaults, kw, field):
    from competencies.readiness import ReportError

    with pytest.raises(ReportError) as info:
        _report(association, **kw)
    assert info.value.field == field


def test_report_query_count_does_not_grow_with_clinicians(
    association, defaults, make_user, ifa_areas, monkeypatch
):
    from competencies import ledger, summaries
    from competencies.pathways import declare_goal

    # The three summary queries whatever the count (up to FEW_CLINICIANS clinicians take one
    # statement instead: tests/competencies/test_summaries_few.py).
    monkeypatch.setattr(summaries, "FEW_CLINICIANS", 0)

    def add_clinicians(n, start):
        for i in range(start, start + n):
            user = make_user(f"c{i}@example.test")
            for days, hours in ((40, 3), (90, 4)):
                ledger.record(
                    clinician=user,
                    association=association,
                    kind="training",
                    occurred_on=TODAY - dt.timedelta(days=days),
                    status="verified",
                    hours=hours,
                    areas=ifa_areas[:3],
                    source="test",
                )
            declare_goal(user, association, "IFA" if i % 2 else "IMHS", TODAY)

    add_clinicians(2, 0)
    with count_queries() as few_cold:  # every row evaluated and kept
        assert _report(association).total == 2
    with count_queries() as few_kept:  # every row read as kept
        assert _report(association).total == 2
    add_clinicians(12, 2)
    with count_queries() as many_cold:  # 12 new rows evaluated, 2 read as kept
        assert _report(association).total == 14
    with count_queries() as many_kept:
        assert _report(association).total == 14
    assert many_cold.count == few_cold.count <= 10
    assert many_kept.count == few_kept.count <= 3


# --- pages -----------------------------------------------------------------------------------


@pytest.fixture
def reviewer(make_user, defaults):
    return make_user("rev@example.test", roles=("reviewer",))


def test_readiness_page_answers_first_and_links_each_clinician(client, auth, reviewer, cohort):
    auth.login(reviewer.email)
    response = client.get("/competencies/readiness")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    counts = body.index("Ready <strong>1</strong>")
    assert counts < body.index("<table")  # the answer comes first
    assert "Within 3 months <strong>2</strong>" in body and "At risk <strong>2</strong>" in body
    assert "Stalled <strong>1</strong>" in body and "Export CSV" in body
    assert f'href="/competencies/clinicians/{cohort["soon"].id}/readiness"' in body
    assert 'aria-sort="ascending"' in body and 'class="bar"' in body and "100 %" in body
    assert 'style="' not in body and "<script>" not in body
    assert "<caption>" in body and 'data-label="Progress"' in body


def test_readiness_page_filters_from_query_string(client, auth, reviewer, cohort):
    auth.login(reviewer.email)
    url = "/competencies/readiness?status=within+3+months&sort=-name"
    body = client.get(url).get_data(as_text=True)
    assert "Gus Noref" in body and "Ben Soon" in body and "Fay Idle" not in body
    assert body.index("Gus Noref") < body.index("Ben Soon")
    assert 'aria-sort="descending"' in body
    assert "Ready <strong>1</strong>" in body  # counts stay whole-association


def test_bad_filter_is_a_form_error(client, auth, reviewer, cohort):
    auth.login(reviewer.email)
    response = client.get("/competencies/readiness?status=bogus")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Not a valid choice" in body and "status=bogus" not in body
    assert "Ana Ready" in body and "Gus Noref" in body  # the refused filter is not applied


def test_csv_is_filtered_complete_and_formula_safe(client, auth, reviewer, cohort, make_ifa):
    make_ifa('=HYPERLINK("http://evil.example","x")', refs=0)
    auth.login(reviewer.email)
    response = client.get("/competencies/readiness.csv?status=within+3+months")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Name", "Email", "Agency"]
    names = sorted(r[0] for r in rows[1:])
    assert names == ['\'=HYPERLINK("http://evil.example","x")', "Ben Soon", "Gus Noref"]
    assert all(r[8] == "Within 3 months" for r in rows[1:])
    everyone = list(csv.reader(io.StringIO(client.get("/competencies/readiness.csv").text)))
    assert len(everyone) == 1 + 8


@pytest.mark.parametrize(
    "roles,status",
    [
        (("clinician",), 403),
        (("agency_manager",), 403),
        (("trainer",), 403),
        (("reviewer",), 200),
        (("coordinator",), 200),
    ],
)
def test_readiness_page_capability_matrix(client, auth, make_user, defaults, roles, status):
    user = make_user("who@example.test", roles=roles)
    auth.login(user.email)
    assert client.get("/competencies/readiness").status_code == status
    assert client.get("/competencies/readiness.csv").status_code == status


def test_anonymous_is_sent_to_sign_in(client, defaults):
    response = client.get("/competencies/readiness")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_other_association_sees_nothing(client, auth, make_user, make_association, cohort):
    from lms.models import Association

    other = make_association("OH")
    outsider = make_user("out@example.test", roles=("reviewer", "coordinator"), assoc=other)
    auth.login(outsider.email)
    mine = Association.get(Association.code == "MI")
    assert client.get(f"/competencies/readiness?association={mine.id}").status_code == 404
    assert client.get("/competencies/readiness?association=abc").status_code == 400
    own = client.get("/competencies/readiness").get_data(as_text=True)
    assert "Ana Ready" not in own and "No clinician has an open pathway yet." in own
    target = cohort["ready"].id
    assert client.get(f"/competencies/clinicians/{target}/readiness").status_code == 404


def test_admin_chooses_the_association(client, auth, make_user, make_association, cohort):
    from lms.models import Association

    make_association("AA", "Alpha Association")
    admin = make_user("root@example.test", roles=("admin",))
    auth.login(admin.email)
    mine = Association.get(Association.code == "MI")
    body = client.get(f"/competencies/readiness?association={mine.id}").get_data(as_text=True)
    assert "Ana Ready" in body and '<label class="form-label" for="association">' in body
    assert client.get("/competencies/readiness?association=9999").status_code == 404


def test_agency_manager_sees_only_own_agency(client, auth, make_user, cohort):
    from lms.models import Agency

    north = Agency.get(Agency.name == "North Clinic")
    manager = make_user("boss@example.test", roles=("agency_manager",), agency=north)
    auth.login(manager.email)
    body = client.get("/competencies/staff").get_data(as_text=True)
    assert {"Ana Ready", "Ben Soon", "Fay Idle"} <= set(_names_in(body))
    assert "Cara Track" not in body and "Gus Noref" not in body
    assert "Ready <strong>1</strong>" in body and "On track <strong>0</strong>" in body
    assert client.get(f"/competencies/clinicians/{cohort['soon'].id}/readiness").status_code == 200
    assert client.get(f"/competencies/clinicians/{cohort['track'].id}/readiness").status_code == 404
    staff_csv = client.get("/competencies/staff.csv").get_data(as_text=True)
    assert "Ben Soon" in staff_csv and "Cara Track" not in staff_csv


def _names_in(body: str) -> list[str]:
    import re

    return re.findall(r'/readiness">([^<]+)</a>', body)


def test_manager_without_agency_is_told_why(client, auth, make_user, defaults):
    manager = make_user("lost@example.test", roles=("agency_manager",))
    auth.login(manager.email)
    response = client.get("/competencies/staff")
    assert response.status_code == 200 and "not linked to an agency" in response.text


def test_clinician_readiness_page_for_reviewer_and_self(client, auth, reviewer, cohort, make_ifa):
    from competencies.models import Evidence

    gus = cohort["noref"]
    Evidence.update(status="rejected").where(
        (Evidence.clinician == gus) & (Evidence.kind == "training")
    ).execute()
    auth.login(reviewer.email)
    response = client.get(f"/competencies/clinicians/{gus.id}/readiness")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Readiness of Gus Noref" in body and "Infant Family Associate (IFA)" in body
    assert "0 of 3" in body and "Ask 3 more people for reference ratings" in body
    assert "Training hours: No recent training to set a pace" in body
    assert "Work experience" not in body.split('<h3 class="h5">Forecast</h3>')[1]
    assert "Did not count (2)" in body and "Forecast" in body and 'class="bar"' in body
    assert client.get("/competencies/clinicians/99999/readiness").status_code == 404
    auth.logout()
    auth.login(gus.email)
    assert client.get(f"/competencies/clinicians/{gus.id}/readiness").status_code == 200
    other = cohort["ready"].id
    assert client.get(f"/competencies/clinicians/{other}/readiness").status_code == 404
