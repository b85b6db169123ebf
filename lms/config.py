"""Load configuration: defaults, then instance/config.py, then LMS_* environment variables."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

DEFAULT_PLUGINS = ["competencies", "courses", "supervision", "certificates"]


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
        "DEMO_PASSWORD": None,
        "INVITATION_DAYS": 7,
        "PUBLIC_URL": "http://127.0.0.1:5000",
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "API_MAX_JSON_BYTES": 1024 * 1024,
        "PASSWORD_HASH_COST": "normal",
        "PAGE_SIZE": "letter",
        "SESSION_HOURS": 12,
    }


# Settings taken from the environment with the LMS_ prefix, and how to parse each.
_ENV_PARSERS: dict[str, Any] = {
    "PLUGINS": lambda v: json.loads(v) if v.strip().startswith("[") else _split_list(v),
    "MAIL_PORT": int,
    "MAIL_USE_TLS": lambda v: v.lower() in {"1", "true", "yes", "on"},
    "INVITATION_DAYS": int,
    "MAX_CONTENT_LENGTH": int,
    "API_MAX_JSON_BYTES": int,
    "SESSION_HOURS": int,
    "CERTIFICATES_MAX_UPLOAD": int,
}


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Return the LMS_* variables as config keys, parsed."""
    found: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith("LMS_"):
            continue
        name = key[4:]
        parser = _ENV_PARSERS.get(name, str)
        try:
            found[name] = parser(raw)
        except (ValueError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{key}={raw!r} cannot be read: {exc}") from exc
    return found


def load_instance_file(instance_path: str) -> dict[str, Any]:
    """Return the upper-case names defined in instance/config.py, if that file exists."""
    path = Path(instance_path) / "config.py"
    if not path.exists():
        return {}
    namespace: dict[str, Any] = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return {k: v for k, v in namespace.items() if k.isupper()}


def ensure_secret_key(config: dict[str, Any], instance_path: str) -> None:
    """Refuse to start without a secret outside development; in development keep one on disk."""
    if config.get("SECRET_KEY"):
        return
    if config.get("TESTING"):
        config["SECRET_KEY"] = secrets.token_hex(32)
        return
    if config.get("ENV") != "development":
        raise ConfigError(
            "LMS_SECRET_KEY is not set. Set it to a long random value "
            '(python -c "import secrets; print(secrets.token_hex(32))") or run with '
            "LMS_ENV=development to use a generated development key."
        )
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32), encoding="utf-8")
        key_file.chmod(0o600)
    config["SECRET_KEY"] = key_file.read_text(encoding="utf-8").strip()
