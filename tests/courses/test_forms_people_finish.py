"""Forms people can finish (issue 16.6): every error at once in a summary linking each field,
multi-selects as checkbox lists, a roster whose ticks survive a search and that takes a pasted
list of emails, and a CSV template next to every import that the import itself accepts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from competencies.frameworks_io import MOODLE_HEADER, load_moodle_csv
from courses.csv_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from courses.models import Completion
from tests.conftest import csrf_token_from
from tests.courses.conftest import TODAY

DAY = (TODAY - dt.timedelta(days=3)).isoformat()


def _summary(html: str) -> list[tuple[str, str]]:
    """Return the error summary's (link target, text) pairs."""
    box = re.search(r"<div[^>]*data-error-summary[^>]*>(.*?)</div>", html, re.S)
    assert box, "no error summary on the page"
    return [
        (target, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip())
        for target, text in re.findall(r'<a href="#([^"]+)"[^>]*>(.*?)</a>', box.group(1), re.S)
    ]


def test_training_form_lists_every_error_at_the_top_with_links(client, auth, coordinator):
    auth.login(coordinator.email)
    page = client.get("/courses/trainings/new").get_data(as_text=True)
    response = client.post(
        "/courses/trainings/new",
        data={"csrf_token": csrf_token_from(page), "code": "", "title": "", "hours": "-1"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    links = dict(_summary(html))
    assert {"code", "title", "hours"} <= set(links)
    assert links["title"].startswith("Title:")
    # Each link's target is the field itself, and the summary comes before the form.
    for target in ("code", "title", "hours"):
        assert f'id="{target}"' in html
    assert html.index("data-error-summary") < html.index('id="code"')
    assert "forms.js" in html


def test_a_page_without_errors_has_no_summary(client, auth, coordinator):
    auth.login(coordinator.email)
    assert "data-error-summary" not in client.get("/courses/trainings/new").get_data(as_text=True)


def test_multi_selects_are_searchable_checkbox_lists(client, auth, coordinator, make_training):
    make_training("BASE-1")
    auth.login(coordinator.email)
    html = client.get("/courses/trainings/new").get_data(as_text=True)
    assert not re.search(r"<select[^>]*multiple", html)
    areas = re.search(r'<fieldset[^>]*id="areas".*?</fieldset>', html, re.S).group(0)
    assert areas.count('type="checkbox" name="areas"') >= 6
    assert 'data-filter-list="areas-filter"' in areas and 'id="areas-filter"' in areas
    assert "<legend" in areas


def test_roster_ticks_survive_a_search_and_paste_ticks_by_email(
    client, auth, trainer, clinician, make_user, make_training, actor
):
    from courses import trainings

    other = make_user("zed@example.test", display_name="Zed Quill")
    training = make_training("ADV-2")
    session = trainings.add_session(actor(trainer), training, starts_on=DAY, location="Room 1")
    url = f"/courses/sessions/{session.id}/roster"
    auth.login(trainer.email)
    token = csrf_token_from(client.get(url).get_data(as_text=True))

    # Tick Ana, then search for Zed: Ana stays ticked, listed apart.
    searched = client.post(
        url,
        data={
            "csrf_token": token,
            "attendee": [str(clinician.id)],
            "q": "quill",
            "action": "search",
        },
    )
    assert searched.status_code == 200
    html = searched.get_data(as_text=True)
    assert "Zed Quill" in html
    assert re.search(rf'value="{clinician.id}" id="att-{clinician.id}" checked', html)
    assert "Also ticked (1)" in html and not Completion.select().exists()

    # Paste a list: found ones ticked, unknown ones named, nothing recorded.
    pasted = client.post(
        url,
        data={
            "csrf_token": token,
            "attendee": [str(clinician.id)],
            "emails": "Zed Quill <ZED@example.test>; nobody@example.test, not-an-email@",
            "action": "paste",
        },
    )
    assert pasted.status_code == 400
    html = pasted.get_data(as_text=True)
    assert (
        "emails",
        "1 found and ticked; not a clinician of the association: "
        "nobody@example.test; not an email address: not-an-email@.",
    ) in _summary(html)
    for person in (clinician, other):
        assert re.search(rf'value="{person.id}" id="att-{person.id}"\s*checked', html)
    assert not Completion.select().exists()

    recorded = client.post(
        url,
        data={
            "csrf_token": token,
            "attendee": [str(clinician.id), str(other.id)],
            "completed_on": DAY,
            "action": "record",
        },
    )
    assert recorded.status_code == 302
    assert {c.clinician_id for c in Completion.select()} == {clinician.id, other.id}


def test_roster_says_every_problem_at_once(client, auth, trainer, make_training, actor):
    from courses import trainings

    training = make_training("ADV-3")
    session = trainings.add_session(actor(trainer), training, starts_on=DAY, location="Room 1")
    url = f"/courses/sessions/{session.id}/roster"
    auth.login(trainer.email)
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "completed_on": "14/03/2026"})
    assert response.status_code == 400
    targets = [t for t, _ in _summary(response.get_data(as_text=True))]
    assert targets == ["completed_on"]
    response = client.post(url, data={"csrf_token": token, "completed_on": DAY})
    assert [t for t, _ in _summary(response.get_data(as_text=True))] == ["attendees"]


def test_completions_template_is_the_import_header(client, auth, coordinator):
    auth.login(coordinator.email)
    page = client.get("/courses/import").get_data(as_text=True)
    assert 'href="/courses/import/template.csv"' in page
    response = client.get("/courses/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == REQUIRED_COLUMNS + OPTIONAL_COLUMNS and len(rows) == 2


def test_lms_accounts_template_is_importable(client, auth, coordinator, clinician):
    auth.login(coordinator.email)
    page = client.get("/courses/lms-accounts").get_data(as_text=True)
    assert 'href="/courses/lms-accounts/template.csv"' in page
    body = client.get("/courses/lms-accounts/template.csv").get_data(as_text=True)
    header, example = list(csv.reader(io.StringIO(body)))
    assert header == ["email", "name", "home_page"]
    # The template with its example replaced by a real clinician links them.
    filled = body.replace(example[0], clinician.email).encode()
    response = client.post(
        "/courses/lms-accounts/import",
        data={"csrf_token": csrf_token_from(page), "file": (io.BytesIO(filled), "links.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_framework_template_is_a_moodle_csv_the_import_reads(client, auth, coordinator):
    auth.login(coordinator.email)
    page = client.get("/competencies/frameworks/import").get_data(as_text=True)
    assert 'href="/competencies/frameworks/import/template.csv"' in page
    response = client.get("/competencies/frameworks/import/template.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert tuple(rows[0]) == MOODLE_HEADER
    doc = load_moodle_csv(io.BytesIO(response.data))
    assert [d.idnumber for d in doc.domains] == ["EX-DOMAIN"]
    assert [a.idnumber for a in doc.domains[0].areas] == ["EX-AREA"]


def test_templates_need_the_import_capability(client, auth, clinician):
    auth.login(clinician.email)
    for url in (
        "/courses/import/template.csv",
        "/courses/lms-accounts/template.csv",
        "/competencies/frameworks/import/template.csv",
    ):
        assert client.get(url).status_code == 403, url


def test_the_summary_lists_errors_of_any_form_on_the_page(client, auth, coordinator):
    # The upload form of the LMS accounts page is not the page's `form`.
    auth.login(coordinator.email)
    page = client.get("/courses/lms-accounts").get_data(as_text=True)
    response = client.post(
        "/courses/lms-accounts/import",
        data={"csrf_token": csrf_token_from(page), "home_page": "not a url"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    targets = [t for t, _ in _summary(html)]
    assert targets and all(f'id="{t}"' in html for t in targets)
