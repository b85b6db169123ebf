"""A sign-in lasts LMS_SESSION_HOURS, checked on every request; remember-me is opt-in and lasts
at most LMS_REMEMBER_DAYS (30 days at most); a bad value of either names itself at start."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from lms import create_app
from lms.config import ConfigError
from tests.conftest import PASSWORD

HOUR = 3600
DAY = 24 * HOUR


class Clock:
    """Move the wall clock forward for everything that reads time.time()."""

    def __init__(self, monkeypatch):
        self.offset = 0.0
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _sign_in(app, email, **extra):
    browser = app.test_client()
    response = browser.post("/login", data={"email": email, "password": PASSWORD, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def _signed_in(browser) -> bool:
    response = browser.get("/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_an_idle_session_older_than_the_lifetime_is_signed_out(app_factory, clock):
    app = app_factory(SESSION_HOURS=2)
    with app.app_context():
        from lms.accounts import create_user

        create_user("ana@example.test", "Ana", password=PASSWORD, roles=("admin",))
        browser = _sign_in(app, "ana@example.test")
        assert _signed_in(browser)
        clock.advance(2 * HOUR + 60)
        response = browser.get("/account")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_busy_session_still_ends_when_its_lifetime_is_over(app_factory, clock):
    """The limit counts from the sign-in, not from the last request (an absolute lifetime)."""
    app = app_factory(SESSION_HOURS=2)
    with app.app_context():
        from lms.accounts import create_user

        create_user("ana@example.test", "Ana", password=PASSWORD, roles=("admin",))
        browser = _sign_in(app, "ana@example.test")
        for _ in range(7):  # a request every 15 minutes: 1 h 45 min after the sign-in
            clock.advance(15 * 60)
            assert _signed_in(browser)
        clock.advance(30 * 60)  # 2 h 15 min after the sign-in
        assert not _signed_in(browser)


def test_sessions_are_permanent_with_the_configured_lifetime(app_factory):
    app = app_factory(SESSION_HOURS=5)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=5)
    with app.app_context():
        from lms.accounts import create_user

        create_user("ana@example.test", "Ana", password=PASSWORD, roles=("admin",))
        browser = app.test_client()
        response = browser.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Expires=" in cookie  # a browser drops it after the lifetime, too


def test_remember_me_is_unticked_and_off_unless_asked_for(app, client, make_user):
    make_user("ana@example.test")
    page = client.get("/login").get_data(as_text=True)
    box = re.search(r"<input[^>]*name=\"remember\"[^>]*>", page)
    assert box and "checked" not in box.group(0)
    response = client.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None


def test_remember_me_lasts_at_most_30_days_by_default(app, client, make_user):
    assert dt.timedelta(0) < app.config["REMEMBER_COOKIE_DURATION"] <= dt.timedelta(days=30)
    make_user("ana@example.test")
    response = client.post(
        "/login", data={"email": "ana@example.test", "password": PASSWORD, "remember": "y"}
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "remember_token=" in c)
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    when = dt.datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT")
    assert when <= dt.datetime.utcnow() + dt.timedelta(days=30, minutes=1)


def test_a_remembered_sign_in_outlives_the_session_but_not_the_remember_days(app_factory, clock):
    app = app_factory(SESSION_HOURS=1, REMEMBER_DAYS=3)
    assert app.config["REMEMBER_COOKIE_DURATION"] == dt.timedelta(days=3)
    with app.app_context():
        from lms.accounts import create_user

        create_user("ana@example.test", "Ana", password=PASSWORD, roles=("admin",))
        browser = _sign_in(app, "ana@example.test", remember="y")
        remember = browser.get_cookie("remember_token").value

        clock.advance(2 * DAY)  # the session is long over; the remember cookie still works
        later = app.test_client()
        later.set_cookie("remember_token", remember)
        assert _signed_in(later)

        clock.advance(1 * DAY + 60)  # a browser that ignores the cookie's expiry is refused
        stale = app.test_client()
        stale.set_cookie("remember_token", remember)
        assert not _signed_in(stale)


def _config(tmp_path, **extra):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": "sqlite:///:memory:",
        "INSTANCE_PATH": str(tmp_path),
        "PLUGINS": [],
        **extra,
    }


@pytest.mark.parametrize(
    "extra,named",
    [
        ({"REMEMBER_DAYS": 31}, "LMS_REMEMBER_DAYS"),
        ({"REMEMBER_DAYS": 0}, "LMS_REMEMBER_DAYS"),
        ({"REMEMBER_DAYS": "a fortnight"}, "LMS_REMEMBER_DAYS"),
        ({"SESSION_HOURS": 0}, "LMS_SESSION_HOURS"),
        ({"SESSION_HOURS": 24 * 8}, "LMS_SESSION_HOURS"),
        ({"REMEMBER_COOKIE_DURATION": dt.timedelta(days=365)}, "REMEMBER_COOKIE_DURATION"),
    ],
)
def test_a_bad_lifetime_names_itself_at_start(tmp_path, extra, named):
    with pytest.raises(ConfigError, match=named):
        create_app(_config(tmp_path, **extra))


def test_a_bad_lifetime_in_the_environment_names_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_REMEMBER_DAYS", "90")
    with pytest.raises(ConfigError, match="LMS_REMEMBER_DAYS"):
        create_app(_config(tmp_path))
    monkeypatch.setenv("LMS_REMEMBER_DAYS", "seven")
    with pytest.raises(ConfigError, match="LMS_REMEMBER_DAYS"):
        create_app(_config(tmp_path))
