"""Beside what is missing: each task links to the page that does it (the plugin holding the page
says which, through `task_pages`), and an uncovered competency area lists the association's
upcoming trainings that cover it (through `area_trainings`); an app without those plugins shows
the tasks without links."""

from __future__ import annotations

import datetime as dt
import re

from tests.competencies.conftest import TODAY


def _missing_section(page: str) -> str:
    return page.split("What is missing</h", 1)[1].split("</ul>", 1)[0]


def _links(html: str) -> dict[str, str]:
    return {text: href for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)}


def _start(clinician, association):
    from competencies.pathways import declare_goal

    return declare_goal(clinician, association, "IMHS", TODAY - dt.timedelta(days=100))


def test_each_task_links_to_the_page_that_does_it(client, auth, clinician, association):
    pathway = _start(clinician, association)
    auth.login(clinician.email)
    page = client.get("/competencies/").get_data(as_text=True)
    links = _links(_missing_section(page))
    assert links["Add your education"] == "/competencies/evidence/new/education"
    assert links["Add work experience"] == "/competencies/evidence/new/work"
    assert links["Find a training"] == "/courses/"
    assert links["Log a session"] == "/supervision/"
    assert links["Ask for references"] == f"/endorsement/pathways/{pathway.id}/references"
    for url in set(links.values()):
        assert client.get(url).status_code == 200, url  # each page opens for the clinician


def test_uncovered_areas_list_the_upcoming_trainings_that_cover_them(
    client, auth, clinician, association, make_association, make_user
):
    from courses.models import Session, Training

    _start(clinician, association)
    owner = make_user("trainer@example.test", roles=("trainer",))

    def training(code, title, areas, starts_in, assoc=association):
        t = Training.create(
            association=assoc, code=code, title=title, format="in_person", hours=3.0,
            areas={a: None for a in areas}, owner=owner,
        )  # fmt: skip
        day = TODAY + dt.timedelta(days=starts_in)
        Session.create(training=t, starts_on=day, ends_on=day)
        return t

    soon = training("PREG-1", "Pregnancy and the first year", ["TF-PREG"], 10)
    training("PREG-0", "Held last month", ["TF-PREG"], -30)
    other = make_association("EL", "Elsewhere")
    training("PREG-9", "Another association's", ["TF-PREG"], 5, assoc=other)
    auth.login(clinician.email)
    page = client.get("/competencies/").get_data(as_text=True)
    grid = page.split("Competency areas by domain", 1)[1].split("Hours over time", 1)[0]
    assert f'<a href="/courses/trainings/{soon.id}">Pregnancy and the first year</a>' in grid
    assert "Held last month" not in grid and "Another association" not in grid


def test_without_the_later_plugins_the_tasks_have_no_links(app_factory):
    from competencies.pathways import declare_goal
    from competencies.rulesets import install_defaults
    from lms.accounts import create_user
    from lms.models import Association
    from tests.conftest import PASSWORD

    app = app_factory(PLUGINS=["competencies"])
    with app.app_context():
        install_defaults()
        association = Association.create(name="Solo", code="SO")
        user = create_user(
            "solo@example.test", "Solo", roles=("clinician",), association=association,
            password=PASSWORD,
        )  # fmt: skip
        declare_goal(user, association, "IMHS", TODAY - dt.timedelta(days=100))
        client = app.test_client()
        client.post("/login", data={"email": "solo@example.test", "password": PASSWORD})
        page = client.get("/competencies/").get_data(as_text=True)
    missing = _missing_section(page)
    links = _links(missing)
    assert links["Add your education"] == "/competencies/evidence/new/education"
    assert "Find a training" not in links and "Log a session" not in links
    assert "Ask for references" not in links
    assert "<li>" in missing  # the tasks are still listed
