"""The what-if planner for people: it opens on my own record and category, I add what I plan
through forms (a training, RSC at a pace, a degree, references), and it shows the verdict, what
is missing and the projected date beside today's. Nothing is saved."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

import pytest

from tests.competencies.conftest import TODAY

IMHS_START = TODAY - dt.timedelta(days=400)


@pytest.fixture
def planning(client, auth, clinician, association, add_evidence):
    from competencies.pathways import declare_goal

    declare_goal(clinician, association, "IMHS", IMHS_START)
    add_evidence(clinician, hours=10.0, areas=("TF-DEV",), label="Infant development")
    auth.login(clinician.email)
    return client


def _plan(page: str) -> str:
    return unescape(re.search(r'name="plan" value="([^"]*)"', page)[1])


def _sections(page: str) -> tuple[str, str]:
    """The text of the 'Today' card and of the 'With your plan' card."""
    today = page.split('id="compact-today"', 1)[1].split("</section>", 1)[0]
    planned = page.split('id="compact-planned"', 1)[1].split("</section>", 1)[0]
    return today, planned


def _add(client, page: str, kind: str, **fields):
    data = {"kind": kind, "category": "IMHS", "plan": _plan(page)}
    data.update({f"{kind}-{k}": v for k, v in fields.items()})
    return client.post("/competencies/planner", data=data)


def test_it_opens_on_my_record_and_my_category(planning):
    page = planning.get("/competencies/planner")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'<option value="IMHS" selected>', text)
    today, planned = _sections(text)
    assert "Still missing" in today and "Still missing" in planned
    dashboard = planning.get("/competencies/").get_data(as_text=True)
    percent = re.search(r"You are (\d+) % of the way", dashboard)[1]
    assert f"{percent} % of the way" in today  # the same figure as the dashboard
    assert _plan(text) == "[]"


def test_adding_a_training_changes_the_plan_not_the_record(planning, clinician):
    from competencies.models import Evidence

    before = Evidence.select().count()
    page = planning.get("/competencies/planner").get_data(as_text=True)
    on = (TODAY + dt.timedelta(days=20)).isoformat()
    answer = _add(planning, page, "training", hours="40", on=on, areas=["TF-PREG"], label="NBO")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200, text
    [item] = json.loads(_plan(text))
    assert (item["kind"], item["hours"], item["areas"], item["date"]) == (
        "training",
        40.0,
        ["TF-PREG"],
        on,
    )
    assert "NBO: 40 h on " + on in text
    today, planned = _sections(text)
    assert int(re.search(r"(\d+) % of the way", today)[1]) < int(re.search(r"(\d+) %", planned)[1])
    assert Evidence.select().count() == before  # nothing saved


def test_rsc_at_a_pace_becomes_one_session_a_month(planning):
    page = planning.get("/competencies/planner").get_data(as_text=True)
    start = dt.date(TODAY.year + 1, 1, 1).isoformat()
    answer = _add(
        planning,
        page,
        "rsc",
        hours_per_month="2",
        start=start,
        months="6",
        credential="IMHM-C",
        format="individual",
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    plan = json.loads(_plan(answer.get_data(as_text=True)))
    assert [i["date"] for i in plan] == [
        dt.date(TODAY.year + 1, m, 1).isoformat() for m in range(1, 7)
    ]
    assert {i["hours"] for i in plan} == {2.0}
    assert all(i["details"]["provider_credentials"] == ["IMHM-C"] for i in plan)


def test_a_plan_that_meets_everything_says_ready(planning, clinician, add_evidence):
    """IFA asks training, areas, references, agreement, membership and education: plan them."""
    from competencies.pathways import declare_goal
    from competencies.rulesets import bound_rule_set, rule_set_in_force
    from lms.models import Association

    association = Association.get()
    declare_goal(clinician, association, "IFA", TODAY)
    for document in ("code_of_ethics", "endorsement_agreement"):
        add_evidence(clinician, kind="agreement", details={"document": document})
    add_evidence(
        clinician,
        kind="membership",
        details={"valid_until": (TODAY + dt.timedelta(days=300)).isoformat()},
    )
    rules = bound_rule_set(rule_set_in_force(association, TODAY))
    areas = [a.id for a in rules.areas_for("IFA")]
    page = planning.get("/competencies/planner?category=IFA").get_data(as_text=True)
    on = (TODAY + dt.timedelta(days=10)).isoformat()
    data = {"kind": "training", "category": "IFA", "plan": _plan(page)}
    data.update({"training-hours": "30", "training-on": on, "training-areas": areas})
    page = planning.post("/competencies/planner", data=data).get_data(as_text=True)
    data = {"kind": "degree", "category": "IFA", "plan": _plan(page)}
    data.update({"degree-level": "bachelor", "degree-on": on})
    page = planning.post("/competencies/planner", data=data).get_data(as_text=True)
    today, planned = _sections(page)
    assert "Ready to apply" not in planned  # references are still missing
    data = {"kind": "reference", "category": "IFA", "plan": _plan(page)}
    data.update({"reference-count": "3", "reference-on": on})
    answer = planning.post("/competencies/planner", data=data)
    today, planned = _sections(answer.get_data(as_text=True))
    assert "Ready to apply" in planned and "Every requirement is met" in planned
    assert "Ready to apply" not in today


def test_removing_an_item(planning):
    page = planning.get("/competencies/planner").get_data(as_text=True)
    on = (TODAY + dt.timedelta(days=5)).isoformat()
    page = _add(planning, page, "training", hours="3", on=on, label="First").get_data(as_text=True)
    page = _add(planning, page, "training", hours="4", on=on, label="Second").get_data(as_text=True)
    answer = planning.post(
        "/competencies/planner", data={"category": "IMHS", "plan": _plan(page), "remove": "0"}
    )
    assert [i["label"] for i in json.loads(_plan(answer.get_data(as_text=True)))] == ["Second"]


def test_bad_inputs_say_what_is_wrong_and_keep_the_plan(planning):
    page = planning.get("/competencies/planner").get_data(as_text=True)
    on = (TODAY + dt.timedelta(days=5)).isoformat()
    page = _add(planning, page, "training", hours="3", on=on).get_data(as_text=True)
    bad = _add(planning, page, "training", hours="0", on=on)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Number must be between 0.5 and 200" in text
    assert len(json.loads(_plan(text))) == 1  # the plan so far is kept
    forged = planning.post(
        "/competencies/planner",
        data={"category": "IMHS", "plan": '[{"kind": "training", "date": "2026-02-30"}]'},
    )
    assert forged.status_code == 400
    assert "evidence[0].date" in forged.get_data(as_text=True)
    unknown = planning.get("/competencies/planner?category=NOPE")
    assert unknown.status_code == 400
    assert "Choose one of the association" in unknown.get_data(as_text=True)


def test_the_document_form_stays_on_the_page(planning):
    page = planning.get("/competencies/planner").get_data(as_text=True)
    assert "Evaluate a portfolio document" in page and 'name="mode" value="document"' in page
