"""The readiness distribution on the association's workflow dashboard: numbers, chart and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from endorsement import dashboard

TODAY = dt.date.today()


@pytest.fixture
def spread(submitted, make_user, association, make_association):
    """Three open pathways (one ready, two stalled in two categories) and two that must not count.

    By the bucket rules: a ready pathway is "ready"; one without any evidence is "stalled".
    """
    from competencies.models import Pathway
    from competencies.pathways import declare_goal

    idle_ifa = make_user("idle.ifa@example.test")
    declare_goal(idle_ifa, association, "IFA", TODAY - dt.timedelta(days=400))
    idle_imhs = make_user("idle.imhs@example.test")
    declare_goal(idle_imhs, association, "IMHS", TODAY - dt.timedelta(days=30))
    closed = make_user("closed@example.test")
    done = declare_goal(closed, association, "IFA", TODAY - dt.timedelta(days=30))
    Pathway.update(status="endorsed").where(Pathway.id == done.id).execute()
    elsewhere = make_association("OH", "Elsewhere")
    outsider = make_user("oh.clinician@example.test", assoc=elsewhere)
    declare_goal(outsider, elsewhere, "IFA", TODAY - dt.timedelta(days=30))
    return submitted


def test_readiness_counts_open_pathways_by_bucket_and_category(spread, association):
    data = dashboard.readiness(association, TODAY)
    assert data.total == 3
    assert data.counts == {
        "ready": 1,
        "within 3 months": 0,
        "on track": 0,
        "at risk": 0,
        "stalled": 2,
    }
    assert data.by_category["IFA"] == {**dict.fromkeys(data.counts, 0), "ready": 1, "stalled": 1}
    assert data.by_category["IMHS"] == {**dict.fromkeys(data.counts, 0), "stalled": 1}
    assert data.names["IFA"] == "Infant Family Associate"
    for bucket, n in data.counts.items():
        assert sum(c[bucket] for c in data.by_category.values()) == n


def test_dashboard_shows_the_chart_with_its_text_and_table(client, auth, spread, coordinator):
    auth.login(coordinator.email)
    page = client.get("/endorsement/workflow").get_data(as_text=True)
    assert 'aria-labelledby="readiness-title readiness-desc"' in page
    assert '<title id="readiness-title">Open pathways by readiness and category</title>' in page
    assert (
        '<desc id="readiness-desc">Ready 1 (IFA 1); Within 3 months 0; On track 0; At risk 0; '
        "Stalled 2 (IFA 1, IMHS 1).</desc>"
    ) in page
    assert "3 open pathways on " + TODAY.isoformat() in page
    assert "Export readiness (CSV)" in page


def test_dashboard_without_open_pathways_says_so(client, auth, coordinator):
    auth.login(coordinator.email)
    page = client.get("/endorsement/workflow").get_data(as_text=True)
    assert "0 open pathways on" in page
    assert 'id="readiness-title"' not in page  # no empty chart, the table still has the rows
    assert "Stalled</a></th>" in page


def test_readiness_csv_has_a_row_per_category_and_the_total(client, auth, spread, coordinator):
    auth.login(coordinator.email)
    response = client.get("/endorsement/workflow/readiness.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="MI-readiness-{TODAY.isoformat()}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "category",
        "category_name",
        "ready",
        "within 3 months",
        "on track",
        "at risk",
        "stalled",
        "total",
    ]
    assert ["IFA", "Infant Family Associate", "1", "0", "0", "0", "1", "2"] in rows
    assert ["IMHS", "Infant Mental Health Specialist", "0", "0", "0", "0", "1", "1"] in rows
    assert rows[-1] == ["all", "All categories", "1", "0", "0", "0", "2", "3"]
    assert len(rows) == 4


def test_readiness_csv_neutralises_formulas_in_names(
    client, auth, association, coordinator, make_user
):
    from competencies.pathways import declare_goal
    from competencies.rules import default_rule_sets
    from competencies.rulesets import save_rule_set

    doc = next(r for r in default_rule_sets() if r.version == "2025.2").to_dict()
    doc["version"] = "2025.2-local"
    doc["categories"]["IFA"]["name"] = '=HYPERLINK("http://evil.test","x")'
    save_rule_set(doc, association=association)
    declare_goal(make_user("f@example.test"), association, "IFA", TODAY - dt.timedelta(days=9))
    auth.login(coordinator.email)
    text = client.get("/endorsement/workflow/readiness.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:2] == ["IFA", '\'=HYPERLINK("http://evil.test","x")']
    assert not any(cell.startswith("=") for row in rows for cell in row)


def test_another_associations_coordinator_cannot_ask_for_ours(
    client, auth, spread, make_user, make_association, association
):
    other = make_association("WI", "Third")
    coordinator = make_user("wi@example.test", roles=("coordinator",), assoc=other)
    auth.login(coordinator.email)
    response = client.get(f"/endorsement/workflow/readiness.csv?association={association.id}")
    assert response.status_code in (403, 404)
    own = client.get("/endorsement/workflow/readiness.csv").get_data(as_text=True)
    assert own.splitlines()[-1] == "all,All categories,0,0,0,0,0,0"


@pytest.mark.parametrize("role", ["clinician", "reviewer", "agency_manager", "trainer"])
def test_readiness_csv_is_for_coordinators_only(client, auth, make_user, role):
    user = make_user(f"{role}@example.test", roles=(role,))
    auth.login(user.email)
    assert client.get("/endorsement/workflow/readiness.csv").status_code == 403


def test_readiness_csv_needs_sign_in(client):
    response = client.get("/endorsement/workflow/readiness.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_dashboard_lists_the_renewals_decided_lately(
    client, auth, clinician, association, coordinator
):
    from competencies import ledger
    from competencies.endorsements import record_endorsement
    from endorsement import renewals
    from lms.permissions import actor_for

    endorsement = record_endorsement(
        clinician, association, "IFA", dt.date(TODAY.year - 1, 6, 1), actor=coordinator
    )
    auth.login(coordinator.email)
    page = client.get("/endorsement/workflow").get_data(as_text=True)
    assert "No renewal decided in the last 90 days." in page
    for kind, hours, tags, details in (
        ("training", 15, [], {}),
        ("training", 1, ["dei"], {}),
        ("membership", 0, [], {"valid_until": f"{TODAY.year + 1}-12-31"}),
    ):
        ledger.record(
            clinician=clinician,
            association=association,
            kind=kind,
            occurred_on=dt.date(TODAY.year, 1, 1),
            status="verified",
            source="test",
            hours=hours,
            tags=tags,
            details=details,
        )
    renewals.submit(endorsement, actor=actor_for(clinician), today=TODAY)
    page = client.get("/endorsement/workflow").get_data(as_text=True)
    assert "1 renewal decided, newest first" in page
    assert f"Renewed on {TODAY.isoformat()}; next due {TODAY.year + 1}-12-31" in page
