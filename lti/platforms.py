"""Platforms: the tool's URLs an LMS administrator pastes, and registering a platform (issuer,
client id, deployments, OIDC and token URLs, key set) with an association."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from flask import current_app, has_request_context, request

from lms import audit
from lms.db import transactional
from lms.errors import NotFound, ServiceError
from lms.models import Association, User
from lti import keys
from lti.models import Deployment, Platform


class LtiError(ServiceError):
    """A refused input; `field` names the form field or claim."""


# --- URLs ---------------------------------------------------------------------------------------


def site_url() -> str:
    """Return the site's public address (LMS_PUBLIC_URL; in development the request's host)."""
    config = current_app.config
    if config.get("PUBLIC_URL_FROM_REQUEST") and has_request_context():
        return request.host_url.rstrip("/")
    return str(config["PUBLIC_URL"]).rstrip("/")


def tool_urls(association: Association) -> dict[str, str]:
    """Return what a platform's administrator pastes into the LMS for this association."""
    base = site_url()
    # Fixed paths (the blueprint is mounted at /lti): also printed by commands, outside requests.
    at = f"{base}/lti/{quote(association.code, safe='')}"
    return {
        "login": f"{at}/login",
        "launch": f"{at}/launch",
        "deep_link": f"{at}/launch",
        "jwks": f"{at}/jwks",
        "domain": urlsplit(base).netloc,
    }


# --- registration -------------------------------------------------------------------------------


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_url(value: str | None, field: str, label: str) -> str:
    """Check an address of the platform: https (http only on this machine, for tests)."""
    text = (value or "").strip()
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if (
        not host
        or any(c.isspace() for c in text)
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not _loopback(host))
    ):
        raise LtiError(f"Give the {label} as an https:// address.", field)
    if len(text) > 500:
        raise LtiError(f"Keep the {label} to 500 characters.", field)
    return text


def _clean_text(value: str | None, field: str, label: str, limit: int = 255) -> str:
    text = (value or "").strip()
    if not text:
        raise LtiError(f"Give the {label}.", field)
    if len(text) > limit or any(ord(c) < 32 for c in text):
        raise LtiError(f"Give the {label} as plain text of at most {limit} characters.", field)
    return text


def _origins(text: str | None, *urls: str) -> str:
    found: list[str] = []
    for item in [*(text or "").split(), *urls]:
        parts = urlsplit(item.strip())
        if parts.scheme in ("http", "https") and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}".lower()
            if origin not in found:
                found.append(origin)
    return " ".join(found)


@dataclass
class PlatformInput:
    """A platform as a coordinator types it (form) or passes it (CLI)."""

    name: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str = ""
    frame_origins: str = ""
    trusted_email: bool = False


@transactional
def register_platform(
    association: Association, data: PlatformInput, actor: User | None = None
) -> Platform:
    """Register a platform with the association and make sure the tool has a key there."""
    issuer = clean_url(data.issuer, "issuer", "issuer (platform id)")
    client_id = _clean_text(data.client_id, "client_id", "client id")
    deployments = [d.strip() for d in data.deployment_ids if d and d.strip()]
    if not deployments:
        raise LtiError("Give at least one deployment id.", "deployment_id")
    for d in deployments:
        _clean_text(d, "deployment_id", "deployment id")
    row = {
        "name": _clean_text(data.name or urlsplit(issuer).netloc, "name", "name", 200),
        "issuer": issuer,
        "client_id": client_id,
        "auth_login_url": clean_url(data.auth_login_url, "auth_login_url", "OIDC login URL"),
        "auth_token_url": clean_url(data.auth_token_url, "auth_token_url", "access token URL"),
        "key_set_url": clean_url(data.key_set_url, "key_set_url", "key set URL"),
        "auth_audience": (
            clean_url(data.auth_audience, "auth_audience", "token audience")
            if (data.auth_audience or "").strip()
            else ""
        ),
        "trusted_email": bool(data.trusted_email),
    }
    row["frame_origins"] = _origins(data.frame_origins, issuer, row["auth_login_url"])
    exists = Platform.select().where(
        (Platform.association == association)
        & (Platform.issuer == issuer)
        & (Platform.client_id == client_id)
    )
    if exists.exists():
        raise LtiError(
            "This platform (issuer and client id) is already registered with the association.",
            "client_id",
        )
    platform = Platform.create(association=association, created_by=actor, **row)
    for d in dict.fromkeys(deployments):
        Deployment.create(platform=platform, deployment_id=d)
    keys.active_key(association)
    audit.record(
        "lti.platform_register",
        platform,
        actor=actor,
        association_id=association.id,
        after={**row, "deployment_ids": deployments},
    )
    return platform


def platforms_of(association_ids: list[int] | None) -> list[Platform]:
    """Return the platforms of these associations (None: all), with the association joined."""
    query = Platform.select(Platform, Association).join(Association)
    if association_ids is not None:
        query = query.where(Platform.association.in_(association_ids or [0]))
    return list(query.order_by(Association.name, Platform.name))


def deployments_of(platforms: list[Platform]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for d in Deployment.select().where(Deployment.platform.in_([p.id for p in platforms] or [0])):
        found.setdefault(d.platform_id, []).append(d.deployment_id)
    return found


def association_by_code(code: str) -> Association:
    association = Association.get_or_none((Association.code == code) & Association.active)
    if association is None:
        raise NotFound()
    return association
