"""Fixtures of the LTI tests: the test LMS (lti1p3platform over HTTP) and launches into the tool."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from tests.lti.platform import CLIENT_ID, DEPLOYMENT, INSTRUCTOR, LEARNER, Person, start_lms

TODAY = dt.date.today()


@pytest.fixture
def test_lms():
    lms = start_lms()
    yield lms
    lms.stop()


def register(app, association, lms, **extra):
    """Register the test LMS with the association; tell the LMS the tool's URLs and keys."""
    from lti.keys import jwks
    from lti.platforms import PlatformInput, register_platform, tool_urls

    data = PlatformInput(
        name="Test LMS",
        issuer=lms.issuer,
        client_id=extra.pop("client_id", CLIENT_ID),
        deployment_ids=[DEPLOYMENT],
        auth_login_url=f"{lms.base}/auth",
        auth_token_url=f"{lms.base}/token",
        key_set_url=f"{lms.base}/jwks",
        **extra,
    )
    platform = register_platform(association, data)
    with app.test_request_context():
        urls = tool_urls(association)
    lms.tool_login_url, lms.tool_launch_url = urls["login"], urls["launch"]
    lms.tool_jwks = jwks(association)
    return platform


@pytest.fixture
def platform(app, association, test_lms, defaults):
    return register(app, association, test_lms, trusted_email=True)


@pytest.fixture
def learner(make_user, association, defaults):
    from competencies.pathways import declare_goal

    user = make_user("learner@example.test", display_name="Lena Learner")
    declare_goal(user, association, "IFA", TODAY - dt.timedelta(days=200))
    return user


def person_of(user=None, sub="lms-user-1", roles=(LEARNER,), email=None, name="Lena Learner"):
    return Person(
        sub=sub,
        name=name,
        email=email if email is not None else (user.email if user else "nobody@example.test"),
        roles=list(roles),
    )


def start(client, lms, person, hint="resource-link-1"):
    """Do the login initiation; return the platform's auth request the tool redirected to."""
    from tests.lti.platform import auth_request_of

    response = client.get(lms.login_initiation_url(person, hint))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.startswith(f"{lms.base}/auth?")
    return auth_request_of(response.location)


def post_launch(client, data):
    return client.post(
        urlsplit(data["launch_url"]).path, data={k: data[k] for k in ("id_token", "state")}
    )


def launch(client, lms, person, **kw):
    """Login initiation, authentication response, launch: return the tool's answer."""
    auth = start(client, lms, person)
    return post_launch(client, lms.id_token_for(auth, person, **kw))


__all__ = ["INSTRUCTOR", "LEARNER", "launch", "person_of", "post_launch", "register", "start"]
