"""Registering a platform: the service, the coordinator's page, the command; the tool's keys."""

from __future__ import annotations

import json

import pytest

from lms.models import AuditLog
from lti.models import Deployment, Platform, ToolKey

ARGS = [
    "lti", "register", "--association", "MI",
    "--issuer", "https://moodle.example.org",
    "--client-id", "abc123",
    "--deployment-id", "1",
    "--auth-login-url", "https://moodle.example.org/mod/lti/auth.php",
    "--auth-token-url", "https://moodle.example.org/mod/lti/token.php",
    "--key-set-url", "https://moodle.example.org/mod/lti/certs.php",
]  # fmt: skip


def test_command_registers_and_prints_the_urls(app, runner, association):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    assert "Login initiation URL (OIDC):  http://localhost/lti/MI/login" in result.output
    assert "Redirect / launch URL:        http://localhost/lti/MI/launch" in result.output
    assert "Public keyset (JWKS) URL:     http://localhost/lti/MI/jwks" in result.output
    platform = Platform.get()
    assert (platform.issuer, platform.client_id, platform.trusted_email) == (
        "https://moodle.example.org",
        "abc123",
        False,
    )
    assert [d.deployment_id for d in Deployment.select()] == ["1"]
    assert "https://moodle.example.org" in platform.frame_origins.split()
    assert AuditLog.select().where(AuditLog.action == "lti.platform_register").count() == 1


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--issuer", "ftp://moodle.example.org"),
        ("--auth-login-url", "http://moodle.example.org/auth"),  # plain http off this machine
        ("--key-set-url", "not a url"),
        ("--client-id", " "),
    ],
)
def test_command_errors_name_the_option(app, runner, association, option, value):
    args = list(ARGS)
    args[args.index(option) + 1] = value
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert option in result.output
    assert not Platform.select().exists()


def test_same_platform_twice_is_refused(app, runner, association):
    assert runner.invoke(args=ARGS).exit_code == 0
    again = runner.invoke(args=ARGS)
    assert again.exit_code == 2 and "--client-id" in again.output and "already" in again.output


def test_jwks_serves_the_tool_key_with_its_kid(app, client, runner, association):
    from lti.keys import public_jwk

    runner.invoke(args=ARGS)
    key = ToolKey.get()
    assert "PRIVATE KEY" not in key.private_key  # encrypted at rest
    body = client.get("/lti/MI/jwks").get_json()
    assert body == {"keys": [public_jwk(key.public_pem)]}
    assert body["keys"][0]["kid"] == key.kid and body["keys"][0]["alg"] == "RS256"
    assert client.get("/lti/NOPE/jwks").status_code == 404


def test_rotated_key_signs_and_the_old_one_is_still_served(app, client, association):
    from lti.keys import active_key, ensure_key, rotate_key

    old = ensure_key(association)
    new = rotate_key(association)
    assert new != old and active_key(association)[0] == new
    kids = [k["kid"] for k in client.get("/lti/MI/jwks").get_json()["keys"]]
    assert kids == [old, new]


def test_keys_need_the_signing_secret(app, association):
    from lti.keys import ToolKeyError, active_key, ensure_key

    ensure_key(association)
    app.config["SIGNING_KEY_SECRET"] = "another secret"
    with pytest.raises(ToolKeyError, match="LMS_SIGNING_KEY_SECRET"):
        active_key(association)
    app.config["SIGNING_KEY_SECRET_PREVIOUS"] = ["test-signing-key-secret-not-for-production"]
    assert active_key(association)[0]


def test_rotate_secret_reseals_every_key_or_none(app, runner, association):
    from lti.keys import ToolKeyError, active_key, ensure_key, rotate_secret

    ensure_key(association)
    first = app.config["SIGNING_KEY_SECRET"]
    app.config.update(SIGNING_KEY_SECRET="the new secret", SIGNING_KEY_SECRET_PREVIOUS=[first])
    result = runner.invoke(args=["lti", "rotate-secret"])
    assert result.exit_code == 0, result.output
    app.config["SIGNING_KEY_SECRET_PREVIOUS"] = []
    assert active_key(association)[0]  # opens under the new secret alone

    sealed = ToolKey.get().private_key
    app.config["SIGNING_KEY_SECRET"] = "a secret nobody used"
    with pytest.raises(ToolKeyError, match="nothing was re-encrypted"):
        rotate_secret()
    assert ToolKey.get().private_key == sealed


def test_coordinator_registers_on_the_page(app, client, auth, make_user, association):
    coordinator = make_user("coord@example.test", roles=("coordinator",))
    auth.login(coordinator.email)
    page = client.get("/lti/platforms").get_data(as_text=True)
    assert "http://localhost/lti/MI/login" in page and "http://localhost/lti/MI/jwks" in page
    form = {
        "association": str(association.id),
        "name": "County Moodle",
        "issuer": "https://moodle.example.org",
        "client_id": "abc123",
        "deployment_ids": "1\n2",
        "auth_login_url": "https://moodle.example.org/mod/lti/auth.php",
        "auth_token_url": "https://moodle.example.org/mod/lti/token.php",
        "key_set_url": "not an address",
        "trusted_email": "y",
    }
    bad = client.post("/lti/platforms/new", data=form)
    assert bad.status_code == 400 and "key set URL" in bad.get_data(as_text=True)
    assert not Platform.select().exists()
    form["key_set_url"] = "https://moodle.example.org/mod/lti/certs.php"
    assert client.post("/lti/platforms/new", data=form).status_code == 302
    platform = Platform.get()
    assert platform.trusted_email and platform.name == "County Moodle"
    assert sorted(d.deployment_id for d in Deployment.select()) == ["1", "2"]
    listing = client.get("/lti/platforms").get_data(as_text=True)
    assert "County Moodle" in listing
    row = AuditLog.select().where(AuditLog.action == "lti.platform_register").get()
    assert json.loads(row.after)["deployment_ids"] == ["1", "2"]
