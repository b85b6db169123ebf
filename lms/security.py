"""Passwords, rate limits, tokens and the security headers every response carries."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

MIN_PASSWORD = 12
MAX_PASSWORD = 128

# Passwords of 12+ characters that breach corpora show again and again; shorter ones are
# already refused by the length rule.
_COMMON = frozenset(
    """
123456789012 1234567890123 12345678901234 123456789123 1234567891011 123123123123
111111111111 000000000000 121212121212 123412341234 987654321098 098765432109
password1234 password12345 password123456 passwordpassword password1234567 passw0rd1234
qwertyuiopas qwertyuiop12 qwertyuiop123 qwerty123456 qwertyqwerty 1qaz2wsx3edc
1q2w3e4r5t6y asdfghjkl123 zxcvbnm12345 iloveyou1234 iloveyouiloveyou letmein12345
welcome12345 welcome123456 administrator admin1234567 changeme1234 trustno12345
football1234 baseball1234 superman1234 sunshine1234 princess1234 monkey123456
dragon123456 abcdefghijkl abc123abc123 abcd12345678 aaaaaaaaaaaa 1234qwerasdf
""".split()
)

limiter = Limiter(key_func=get_remote_address)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Return why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) <= 2:
        return "This password is too common; choose a less predictable one."
    local = email.split("@", 1)[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (
        name and len(name) >= 4 and name.lower().replace(" ", "") in lowered
    ):
        return "Do not build the password from your name or email address."
    return None


def _hasher() -> PasswordHasher:
    if current_app and current_app.config.get("PASSWORD_HASH_COST") == "fast":
        # Tests only: the same algorithm at the lowest cost, so the suite stays quick.
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    """Return an Argon2id hash of the password."""
    return _hasher().hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Tell whether the password matches; a missing hash never matches."""
    if not password_hash or len(password) > MAX_PASSWORD:
        # Still spend the time, so "no such account" and "wrong password" take as long.
        _hasher().hash("timing-equaliser")
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> tuple[str, str]:
    """Return a new random token and the hash to store."""
    token = prefix + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """Return the stored form of a high-entropy token (SHA-256 is enough for random tokens)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    """Configure the limiter, session lifetimes, cookie flags and the security headers."""
    from lms.config import session_lifetimes

    session_hours, remember_days = session_lifetimes(app.config)
    # Cookies expire in the browser after these; lms.auth also refuses older sign-ins on every
    # request, counted from the sign-in, whatever a client does with its cookies.
    app.config["PERMANENT_SESSION_LIFETIME"] = session_hours
    app.config["REMEMBER_COOKIE_DURATION"] = remember_days
    # The storage of every limit is the one named by RATELIMIT_STORAGE_URI (LMS_…): `limiter`
    # is the only Limiter and is built without a storage of its own, so workers that share a
    # storage (Redis) share the counts.
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    # Say it for every app: the limiter is one object, and without the setting it would keep
    # whatever the previous app in this process chose.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    limiter.init_app(app)
    development = app.config.get("ENV") == "development" or app.config.get("TESTING")
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not development,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=not development,
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
            # Pages a plugin lets other sites frame (LTI) say so in their own CSP.
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not development:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint and not request.endpoint.startswith(("static", "bootstrap")):
            headers.setdefault("Cache-Control", "no-store")
        return response
