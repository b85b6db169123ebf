"""End to end against lti1p3platform as the LMS: login initiation, launch, sign-on, frames."""

from __future__ import annotations

import json
import re

from courses.models import LmsAccount
from lms.models import AuditLog
from lti.models import Launch, UsedNonce
from tests.lti.conftest import INSTRUCTOR, launch, person_of, post_launch, start


def test_learner_launch_shows_their_progress(app, client, test_lms, platform, learner):
    response = launch(client, test_lms, person_of(learner))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Lena Learner: progress toward the Endorsement" in page
    assert re.search(r"You are \d+ % of the way to", page)
    link = LmsAccount.get(LmsAccount.user == learner)
    assert (link.home_page, link.name, link.source) == (test_lms.issuer, "lms-user-1", "lms")
    assert UsedNonce.select().count() == 1
    row = AuditLog.select().where(AuditLog.action == "lti.launch").get()
    assert json.loads(row.after)["matched_by"] == "trusted_email"


def test_second_launch_uses_the_link_not_the_email(app, client, test_lms, platform, learner):
    launch(client, test_lms, person_of(learner))
    again = launch(client, test_lms, person_of(learner, email="changed@example.test"))
    assert again.status_code == 200
    assert "Lena Learner: progress" in again.get_data(as_text=True)


def test_launch_page_is_framed_by_the_platform_only(app, client, test_lms, platform, learner):
    response = launch(client, test_lms, person_of(learner))
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {test_lms.base}" in csp
    assert "X-Frame-Options" not in response.headers
    assert client.get("/login").headers["X-Frame-Options"] == "DENY"


def test_untrusted_platform_asks_the_person_to_sign_in_once(
    app, test_lms, association, defaults, learner, make_user
):
    from tests.conftest import PASSWORD
    from tests.lti.conftest import register

    register(app, association, test_lms, trusted_email=False)
    person = person_of(learner)
    browser = app.test_client()
    auth = start(browser, test_lms, person)
    # Inside a third-party iframe the browser may send no cookie: a client without the state
    # cookie still launches, through the state kept server-side.
    no_cookies = app.test_client()
    response = post_launch(no_cookies, test_lms.id_token_for(auth, person))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Connect your Test LMS account" in page
    assert not LmsAccount.select().exists()
    launch_id = re.search(r'name="launch_id" value="([^"]+)"', page).group(1)
    wrong = no_cookies.post(
        "/lti/connect", data={"launch_id": launch_id, "email": learner.email, "password": "nope"}
    )
    assert wrong.status_code == 400 and "Invalid email or password" in wrong.get_data(True)
    assert not LmsAccount.select().exists()
    other = make_user("trainer@example.test", roles=("trainer",))
    refused = no_cookies.post(
        "/lti/connect", data={"launch_id": launch_id, "email": other.email, "password": PASSWORD}
    )
    assert refused.status_code == 400 and "is not a clinician" in refused.get_data(True)
    ok = no_cookies.post(
        "/lti/connect", data={"launch_id": launch_id, "email": learner.email, "password": PASSWORD}
    )
    assert ok.status_code == 200 and "Lena Learner: progress" in ok.get_data(as_text=True)
    assert LmsAccount.get(LmsAccount.user == learner).name == person.sub
    # The next launch needs no sign-in.
    assert "Lena Learner: progress" in launch(browser, test_lms, person).get_data(True)


def test_untrusted_platform_email_links_nobody(app, client, test_lms, association, learner):
    from tests.lti.conftest import register

    register(app, association, test_lms, trusted_email=False)
    response = launch(client, test_lms, person_of(learner))
    assert "Connect your Test LMS account" in response.get_data(as_text=True)
    assert Launch.get().user is None
    assert not LmsAccount.select().exists()


def test_instructor_sees_the_trainer_view(app, client, test_lms, platform, make_user):
    trainer = make_user("trainer@example.test", roles=("trainer",), display_name="Tom Trainer")
    response = launch(client, test_lms, person_of(trainer, sub="t-1", roles=(INSTRUCTOR,)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Infant Mental Health 101 in IMH Pathway" in page
    assert "Pull the course roster" in page


def test_login_initiation_by_post_too(app, client, test_lms, platform, learner):
    from urllib.parse import parse_qsl, urlsplit

    url = test_lms.login_initiation_url(person_of(learner))
    parts = urlsplit(url)
    response = client.post(parts.path, data=dict(parse_qsl(parts.query)))
    assert response.status_code == 302
    assert response.location.startswith(f"{test_lms.base}/auth?")
