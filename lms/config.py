"""Load configuration: defaults, then instance/config.py, then LMS_* environment variables,
through Flask's loaders, into one typed `Settings` validated at start."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from flask import Flask
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from lms.private_files import write_private

MAX_SESSION_HOURS = 7 * 24
MAX_REMEMBER_DAYS = 30
DEFAULT_PLUGINS = ["competencies", "courses", "supervision", "endorsement", "certificates", "lti"]


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the built-in defaults; every one can be overridden."""
    return {
        "ENV": "production",
        "DATABASE_URL": f"sqlite:///{Path(instance_path) / 'lms.db'}",
        "SECRET_KEY": None,
        "PLUGINS": list(DEFAULT_PLUGINS),
        "MAIL_SERVER": None,
        "MAIL_PORT": 587,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": True,
        "MAIL_FROM": "no-reply@imh-pathway.invalid",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_LIMIT_PER_IP": "30 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT": "10 per 15 minutes",
        "UPLOAD_LIMIT": "30 per minute",
        "DEMO_PASSWORD": None,
        "INVITATION_DAYS": 7,
        "PUBLIC_URL": None,  # required (https) in production; see ensure_public_url
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "API_MAX_JSON_BYTES": 1024 * 1024,
        "PASSWORD_HASH_COST": "normal",
        "PAGE_SIZE": "letter",
        "SESSION_HOURS": 12,
        "REMEMBER_DAYS": 14,
        "AUDIT_KEY": None,
        "AUDIT_SIGNING_KEY": None,
        "AUDIT_CHECKPOINT_DIR": str(Path(instance_path) / "audit-checkpoints"),
    }


def _list(value: Any) -> Any:
    """Read a list given as JSON (`["a", "b"]`) or comma-separated text (`a, b`)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


TextList = Annotated[list[str], BeforeValidator(_list)]


class Settings(BaseModel):
    """The typed settings of the core, validated once at start.

    Every value may arrive as text (an `LMS_` variable) or typed (instance/config.py, the
    `config` given to `create_app`); a value that cannot be read stops the app with a message
    naming its variable. Plugins' settings (`CERTIFICATES_…`, …) stay in `app.config` as given,
    read and checked by their plugin.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    ENV: str = "production"
    DATABASE_URL: str
    SECRET_KEY: str | None = None
    PLUGINS: TextList
    MAIL_SERVER: str | None = None
    MAIL_PORT: int = Field(587, ge=1, le=65535)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS: bool = True
    MAIL_FROM: str
    RATELIMIT_STORAGE_URI: str
    LOGIN_LIMIT_PER_IP: str
    LOGIN_LIMIT_PER_ACCOUNT: str
    UPLOAD_LIMIT: str
    DEMO_PASSWORD: str | None = None
    INVITATION_DAYS: int = Field(ge=1, le=365)
    PUBLIC_URL: str | None = None
    MAX_CONTENT_LENGTH: int = Field(ge=1)
    API_MAX_JSON_BYTES: int = Field(ge=1)
    PASSWORD_HASH_COST: Literal["normal", "fast"]
    PAGE_SIZE: str
    SESSION_HOURS: int = Field(ge=1, le=MAX_SESSION_HOURS)
    REMEMBER_DAYS: int = Field(ge=1, le=MAX_REMEMBER_DAYS)
    AUDIT_KEY: str | None = None
    AUDIT_SIGNING_KEY: str | None = None
    AUDIT_CHECKPOINT_DIR: str
    SIGNING_KEY_SECRET: str | None = None
    SIGNING_KEY_SECRET_PREVIOUS: TextList = []
    CERTIFICATES_MAX_UPLOAD: int | None = Field(None, ge=1)

    @field_validator("SESSION_HOURS", "REMEMBER_DAYS", mode="before")
    @classmethod
    def _whole(cls, value: Any) -> Any:
        if isinstance(value, bool):  # True is not one hour
            raise ValueError("a whole number is needed")
        return value


# What a bad value of these should be, in words (the others get pydantic's words).
_HINTS = {
    "SESSION_HOURS": "must be a whole number of hours from 1 to 168: how long a sign-in lasts, "
    "counted from the sign-in.",
    "REMEMBER_DAYS": 'must be a whole number of days from 1 to 30: how long "keep me signed '
    'in" lasts.',
    "PLUGINS": "must be a JSON list or comma-separated plugin module names.",
    "MAIL_USE_TLS": "must be true or false (1/0, yes/no, on/off).",
}


def validate(config: Mapping[str, Any]) -> Settings:
    """Return the typed settings of `config`; raise ConfigError naming the first bad value."""
    try:
        return Settings.model_validate({k: config[k] for k in Settings.model_fields if k in config})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        raw = config.get(name)
        if any(word in name for word in ("KEY", "SECRET", "PASSWORD")):
            raw = "…"  # a secret is not repeated into logs
        hint = _HINTS.get(name) or f"cannot be read: {first['msg']}."
        raise ConfigError(f"LMS_{name}={raw!r} {hint}") from None


def load(app: Flask, config: Mapping[str, Any] | None = None) -> Settings:
    """Fill app.config: defaults, then instance/config.py, then LMS_* variables, then `config`;
    complete the secrets and the public URL; validate the whole into `Settings`.

    Flask's own loaders read the file (`from_pyfile`) and the environment
    (`from_prefixed_env("LMS")`, values kept as text: the settings' types read them, so a
    secret made of digits stays text). The typed values are written back to app.config, and
    the settings object is kept in `app.extensions["lms.settings"]`.
    """
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("LMS", loads=str)
    app.config.from_mapping(config or {})
    if app.config.get("TESTING") and "PASSWORD_HASH_COST" not in (config or {}):
        app.config["PASSWORD_HASH_COST"] = "fast"  # tests hash at the lowest cost
    settings = validate(app.config)
    app.config.update(settings.model_dump(exclude_unset=True))
    ensure_secret_key(app.config, app.instance_path)
    ensure_public_url(app.config)
    ensure_audit_keys(app.config, app.instance_path)
    settings = validate(app.config)
    app.extensions["lms.settings"] = settings
    return settings


_GENERATE_HINT = '(python -c "import secrets; print(secrets.token_hex(32))")'


def ensure_instance_secret(
    config: dict[str, Any], instance_path: str, name: str, purpose: str, *, tests_file=False
) -> None:
    """Make sure config[name] holds a secret; refuse to start without one outside development.

    In development it is generated once into the instance folder (file `name.lower()`, created
    owner-only; several workers starting at once all read the one file). Under TESTING a fresh
    random value is used, or, with `tests_file`, the instance file as in development (for keys
    that worker processes of one test must share).
    """
    if str(config.get(name) or "").strip():
        return
    testing = bool(config.get("TESTING"))
    if testing and not tests_file:
        config[name] = secrets.token_hex(32)
        return
    if config.get("ENV") != "development" and not testing:
        raise ConfigError(
            f"LMS_{name} is not set. {purpose} Set it to a long random value {_GENERATE_HINT}, "
            "or run with LMS_ENV=development to use a generated development key."
        )
    path = Path(instance_path) / name.lower()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created owner-only from the start, never readable by others meanwhile
            write_private(path, secrets.token_hex(32))
        except FileExistsError:  # another process made it just now
            pass
    config[name] = path.read_text(encoding="utf-8").strip()


def ensure_secret_key(config: dict[str, Any], instance_path: str) -> None:
    """Refuse to start without a session secret outside development; in development keep one."""
    ensure_instance_secret(config, instance_path, "SECRET_KEY", "It signs the sessions.")


def ensure_signing_key_secret(config: dict[str, Any], instance_path: str) -> None:
    """Give the key-encryption secret of lms.keyring, and read its previous values as a list."""
    raw = config.get("SIGNING_KEY_SECRET_PREVIOUS") or []
    try:
        previous = _list(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"LMS_SIGNING_KEY_SECRET_PREVIOUS={raw!r} cannot be read: {exc}") from exc
    config["SIGNING_KEY_SECRET_PREVIOUS"] = [str(p).strip() for p in previous if str(p).strip()]
    ensure_instance_secret(
        config,
        instance_path,
        "SIGNING_KEY_SECRET",
        "It encrypts the credential signing keys and the LTI tool keys and must differ from "
        "LMS_SECRET_KEY.",
    )


def session_lifetimes(config: dict[str, Any]) -> tuple[dt.timedelta, dt.timedelta]:
    """Return how long a sign-in lasts without and with remember-me; refuse values out of range."""
    hours, days = config.get("SESSION_HOURS"), config.get("REMEMBER_DAYS")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_SESSION_HOURS:
        raise ConfigError(
            f"LMS_SESSION_HOURS={hours!r} must be a whole number of hours from 1 to "
            f"{MAX_SESSION_HOURS}: how long a sign-in lasts, counted from the sign-in."
        )
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_REMEMBER_DAYS:
        raise ConfigError(
            f"LMS_REMEMBER_DAYS={days!r} must be a whole number of days from 1 to "
            f'{MAX_REMEMBER_DAYS}: how long "keep me signed in" lasts.'
        )
    remember = dt.timedelta(days=days)
    given = config.get("REMEMBER_COOKIE_DURATION")
    if given is not None and given != remember:
        raise ConfigError(
            f"REMEMBER_COOKIE_DURATION={given!r} is set directly; remove it and set "
            f"LMS_REMEMBER_DAYS (1 to {MAX_REMEMBER_DAYS}) instead."
        )
    return dt.timedelta(hours=hours), remember


AUDIT_KEY_MIN = 32


def ensure_audit_keys(config: dict[str, Any], instance_path: str) -> None:
    """Give the audit log its MAC key and checkpoint signing key, kept outside the database.

    Required outside development; in development and tests each is generated once into the
    instance folder (owner-only), like the secret key. LMS_AUDIT_KEY is any string of 32+
    characters; LMS_AUDIT_SIGNING_KEY is 64 hex digits, the seed of an Ed25519 key.
    """
    purpose = "Keep it outside the database and its backups."
    for name in ("AUDIT_KEY", "AUDIT_SIGNING_KEY"):
        ensure_instance_secret(config, instance_path, name, purpose, tests_file=True)
        config[name] = str(config[name]).strip()
        _check_audit_key(name, config[name])


def _check_audit_key(name: str, value: str) -> None:
    if name == "AUDIT_KEY" and len(value) < AUDIT_KEY_MIN:
        raise ConfigError(
            f"LMS_AUDIT_KEY is {len(value)} characters long; use at least {AUDIT_KEY_MIN} "
            "random characters (secrets.token_hex(32) gives 64)."
        )
    if name == "AUDIT_SIGNING_KEY":
        try:
            seed = bytes.fromhex(value)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise ConfigError(
                "LMS_AUDIT_SIGNING_KEY must be 64 hex digits (the 32-byte seed of an Ed25519 "
                'key; python -c "import secrets; print(secrets.token_hex(32))" makes one).'
            )


DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}  # not public: plain http is allowed there


def ensure_public_url(config: dict[str, Any]) -> None:
    """Refuse to start in production without an https LMS_PUBLIC_URL (it is printed on
    certificates and inside signed credentials, which never change); in development, and in
    tests that leave it unset, links take the request's host (PUBLIC_URL_FROM_REQUEST) and fall
    back to the local address outside a request."""
    url = str(config.get("PUBLIC_URL") or "").strip()
    if url:
        config["PUBLIC_URL"] = url
        config.setdefault("PUBLIC_URL_FROM_REQUEST", False)
        if config.get("ENV") != "development" and not config.get("TESTING"):
            host = (urlsplit(url).hostname or "").lower()
            if not url.lower().startswith("https://") and host not in _LOOPBACK:
                raise ConfigError(
                    f"LMS_PUBLIC_URL={url!r} must be an https:// address: it is printed on "
                    "certificates and signed into credentials, which never change."
                )
        return
    if config.get("ENV") != "development" and not config.get("TESTING"):
        raise ConfigError(
            "LMS_PUBLIC_URL is not set. Set it to the site's public https:// address (e.g. "
            "https://pathway.example.org): it is printed on certificates and signed into "
            "credentials, which never change. LMS_ENV=development uses the request's host."
        )
    config["PUBLIC_URL"] = DEVELOPMENT_PUBLIC_URL
    config["PUBLIC_URL_FROM_REQUEST"] = True
