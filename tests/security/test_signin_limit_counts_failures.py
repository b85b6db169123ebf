"""The per-account sign-in limit counts failed attempts only, and a successful sign-in resets it;
every rate limit counts in the storage named by LMS_RATELIMIT_STORAGE_URI, so workers that share
that storage share the counts."""

from __future__ import annotations

import re
from pathlib import Path

from limits.storage import MemoryStorage

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
WRONG = "not the right password"


def _attempt(app, email, password) -> int:
    browser = app.test_client()  # each attempt from a fresh browser: no session to reuse
    return browser.post("/login", data={"email": email, "password": password}).status_code


def _app(app_factory, limit="3 per minute", **extra):
    app = app_factory(LOGIN_LIMIT_PER_ACCOUNT=limit, LOGIN_LIMIT_PER_IP="1000 per minute", **extra)
    ctx = app.app_context()
    ctx.push()
    from lms.accounts import create_user

    create_user("ana@example.test", "Ana", password=PASSWORD, roles=("admin",))
    return app, ctx


def test_successful_sign_ins_do_not_count(app_factory):
    app, ctx = _app(app_factory)
    try:
        codes = [_attempt(app, "ana@example.test", PASSWORD) for _ in range(6)]
    finally:
        ctx.pop()
    assert codes == [302] * 6


def test_failures_below_the_limit_then_a_success_reset_the_count(app_factory):
    app, ctx = _app(app_factory)
    try:
        codes = [_attempt(app, "ana@example.test", WRONG) for _ in range(2)]
        codes.append(_attempt(app, "ana@example.test", PASSWORD))
        codes += [_attempt(app, "ana@example.test", WRONG) for _ in range(2)]
        codes.append(_attempt(app, "ana@example.test", PASSWORD))
    finally:
        ctx.pop()
    assert codes == [400, 400, 302, 400, 400, 302]


def test_a_colleague_below_the_limit_does_not_lock_the_owner_out(app_factory):
    """Someone typing the owner's email with wrong passwords, interleaved with the owner's own
    sign-ins, never reaches the limit: every success of the owner starts the count again."""
    app, ctx = _app(app_factory)
    try:
        codes = []
        for _ in range(4):
            codes += [_attempt(app, "ana@example.test", WRONG) for _ in range(2)]
            codes.append(_attempt(app, "ana@example.test", PASSWORD))
    finally:
        ctx.pop()
    assert 429 not in codes
    assert codes[2::3] == [302] * 4


def test_failures_up_to_the_limit_still_lock_the_account(app_factory):
    app, ctx = _app(app_factory)
    try:
        codes = [_attempt(app, "ana@example.test", WRONG) for _ in range(3)]
        codes.append(_attempt(app, "ana@example.test", PASSWORD))  # even the right one waits
        other = _attempt(app, "bob@example.test", WRONG)
    finally:
        ctx.pop()
    assert codes == [400, 400, 400, 429]
    assert other == 400  # another account is not affected


class SharedStorage(MemoryStorage):
    """A storage every instance of which sees the same counts, as workers sharing one Redis do."""

    STORAGE_SCHEME = ["lmstest-shared"]
    _state: dict = {}

    def __init__(self, uri: str | None = None, **options):
        super().__init__(uri, **options)
        shared = SharedStorage._state
        if shared:
            self.storage, self.expirations, self.events = (
                shared["storage"],
                shared["expirations"],
                shared["events"],
            )
        else:
            shared.update(storage=self.storage, expirations=self.expirations, events=self.events)


def test_the_configured_storage_is_used_and_shared_between_apps(app_factory):
    from lms.security import limiter

    SharedStorage._state.clear()
    uri = "lmstest-shared://"
    first, ctx = _app(app_factory, RATELIMIT_STORAGE_URI=uri)
    try:
        assert isinstance(limiter.storage, SharedStorage)
        codes = [_attempt(first, "ana@example.test", WRONG) for _ in range(2)]
    finally:
        ctx.pop()
    # A second worker starts (its own limiter storage object, built from the same URI).
    second, ctx = _app(app_factory, RATELIMIT_STORAGE_URI=uri)
    try:
        assert isinstance(limiter.storage, SharedStorage)
        codes.append(_attempt(second, "ana@example.test", WRONG))
        codes.append(_attempt(second, "ana@example.test", PASSWORD))
    finally:
        ctx.pop()
        SharedStorage._state.clear()
    assert codes == [400, 400, 400, 429]  # the second worker counted the first one's failures


def test_the_storage_uri_comes_from_the_configuration(app_factory, tmp_path, monkeypatch):
    from flask import Flask

    from lms.config import load
    from lms.security import limiter

    with monkeypatch.context() as env:
        env.setenv("LMS_RATELIMIT_STORAGE_URI", "redis://h:6379")
        probe = Flask("probe", instance_path=str(tmp_path / "probe"))
        load(probe, {"TESTING": True})
    assert probe.config["RATELIMIT_STORAGE_URI"] == "redis://h:6379"
    app = app_factory(RATELIMIT_STORAGE_URI="lmstest-shared://from-config")
    assert app.config["RATELIMIT_STORAGE_URI"] == "lmstest-shared://from-config"
    assert isinstance(limiter.storage, SharedStorage)
    assert limiter._storage_uri is None  # nothing fixed in code: the app's setting decides
    SharedStorage._state.clear()


def test_no_code_builds_a_limiter_or_storage_of_its_own():
    """Every limit (sign-in, verify, RSC signing, uploads, planner) goes through lms.security's
    one limiter, whose storage is the configured one; a private Limiter or MemoryStorage would
    count per process whatever the configuration says."""
    found = []
    pattern = re.compile(r"\bLimiter\(|storage_from_string|MemoryStorage|storage_uri\s*=")
    for package in ("lms", "competencies", "courses", "supervision", "certificates"):
        for path in (ROOT / package).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    found.append((str(path.relative_to(ROOT)), number, line.strip()))
    assert [where for where in found if where[0] != "lms/security.py"] == []
    assert [line for _, _, line in found] == ["limiter = Limiter(key_func=get_remote_address)"]
