"""Signing in and out, sessions, passwords."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_token_from


def test_login_and_home(client, auth, make_user):
    user = make_user("Ana@Example.test", display_name="Ana Rivera")
    response = auth.login("ana@EXAMPLE.test")  # case-insensitive email
    assert response.status_code == 302
    page = client.get("/")
    assert "Welcome, Ana Rivera" in page.get_data(as_text=True)
    assert user.email == "ana@example.test"


@pytest.mark.parametrize(
    "email,password",
    [
        ("nobody@example.test", PASSWORD),
        ("ana@example.test", "wrong password here"),
        ("ana@example.test", "x" * 10_000),
    ],
)
def test_bad_logins_get_one_generic_message(client, auth, make_user, email, password):
    make_user("ana@example.test")
    response = auth.login(email, password)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Invalid email or password." in body
    assert client.get("/").get_data(as_text=True).count("Welcome,") == 0


def test_deactivated_user_cannot_sign_in(auth, make_user):
    from lms.accounts import set_active

    user = make_user("ana@example.test")
    set_active(user, False, actor=user)
    assert "Invalid email or password." in auth.login("ana@example.test").get_data(as_text=True)


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/account", "/account"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_local_paths(client, make_user, target, expected):
    make_user("ana@example.test")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "ana@example.test", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_logout_ends_a_copied_session(app, make_user):
    make_user("ana@example.test")
    browser_a = app.test_client()
    browser_a.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    cookie = browser_a.get_cookie("session")
    browser_b = app.test_client()
    browser_b.set_cookie("session", cookie.value)
    assert browser_b.get("/account").status_code == 200  # the copy works while logged in
    browser_a.post("/logout")
    assert browser_b.get("/account").status_code == 302  # and stops working after logout


def test_remember_cookie_also_ends_on_logout(app, make_user):
    make_user("ana@example.test")
    a = app.test_client()
    a.post("/login", data={"email": "ana@example.test", "password": PASSWORD, "remember": "y"})
    remember = a.get_cookie("remember_token")
    assert remember is not None
    b = app.test_client()
    b.set_cookie("remember_token", remember.value)
    assert b.get("/account").status_code == 200
    a.post("/logout")
    c = app.test_client()
    c.set_cookie("remember_token", remember.value)
    assert c.get("/account").status_code == 302


def test_password_change_needs_current_and_ends_other_sessions(app, make_user):
    make_user("ana@example.test")
    a, b = app.test_client(), app.test_client()
    for c in (a, b):
        c.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    wrong = a.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "new_password": "a new long passphrase",
            "confirm": "a new long passphrase",
        },
    )
    assert "current password is not correct" in wrong.get_data(as_text=True)
    ok = a.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long passphrase",
            "confirm": "a new long passphrase",
        },
    )
    assert ok.status_code == 302
    assert a.get("/account").status_code == 200  # this session stays
    assert b.get("/account").status_code == 302  # the other one ended
    fresh = app.test_client()
    assert (
        fresh.post(
            "/login", data={"email": "ana@example.test", "password": "a new long passphrase"}
        ).status_code
        == 302
    )


def test_deactivation_ends_sessions(app, make_user):
    from lms.accounts import set_active

    user = make_user("ana@example.test")
    a = app.test_client()
    a.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    set_active(user, False, actor=user)
    assert a.get("/account").status_code == 302


@pytest.mark.parametrize(
    "password,message",
    [
        ("elevenchars", "at least 12"),
        ("x" * 200, "at most 128"),
        ("password1234", "too common"),
        ("aaaaaaaaaaaaaaa", "too common"),
    ],
)
def test_password_rules(password, message):
    from lms.security import password_problem

    assert message in password_problem(password)


def test_long_unusual_password_is_fine():
    from lms.security import password_problem

    assert password_problem("x" * 64 + "ü ß 漢字") is None


def test_login_is_rate_limited_per_account(app_factory, make_user):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    with app.app_context():
        from lms.accounts import create_user

        create_user("ana@example.test", "Ana", password=PASSWORD, roles=("admin",))
        client = app.test_client()
        codes = [
            client.post(
                "/login", data={"email": "ana@example.test", "password": "wrong pw here!"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [400, 400, 400, 429]
        # another account from the same address is not blocked by this one's limit
        other = client.post(
            "/login", data={"email": "bob@example.test", "password": "wrong pw here!"}
        )
        assert other.status_code == 400


def test_login_is_rate_limited_per_ip(app_factory):
    app = app_factory(LOGIN_LIMIT_PER_IP="2 per minute")
    with app.app_context():
        client = app.test_client()
        codes = [
            client.post(
                "/login", data={"email": f"u{i}@example.test", "password": "wrong pw here!"}
            ).status_code
            for i in range(3)
        ]
        assert codes[-1] == 429
        assert "Too many" in client.post("/login", data={"email": "x@example.test"}).get_data(
            as_text=True
        )


def test_csrf_missing_or_wrong_is_400(csrf_app):
    from lms.accounts import create_user

    create_user("ana@example.test", "Ana", password=PASSWORD, roles=("admin",))
    client = csrf_app.test_client()
    no_token = client.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    assert no_token.status_code == 400
    wrong = client.post(
        "/login", data={"email": "ana@example.test", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert wrong.status_code == 400
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    ok = client.post(
        "/login", data={"email": "ana@example.test", "password": PASSWORD, "csrf_token": token}
    )
    assert ok.status_code == 302


def test_an_app_with_limits_off_does_not_turn_them_off_for_the_next(app_factory):
    app_factory(RATELIMIT_ENABLED=False)  # the limiter is one object shared by every app
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    with app.app_context():
        from lms.accounts import create_user

        create_user("ana@example.test", "Ana", password=PASSWORD, roles=("admin",))
        client = app.test_client()
        codes = [
            client.post(
                "/login", data={"email": "ana@example.test", "password": "wrong pw here!"}
            ).status_code
            for _ in range(3)
        ]
    assert codes == [400, 400, 429]
