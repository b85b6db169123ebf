"""Account services: create, invite, set and change passwords, end sessions, tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw
from flask import current_app

from lms import audit
from lms.db import transactional
from lms.models import (
    Agency,
    ApiToken,
    Association,
    Invitation,
    Membership,
    User,
    normalise_email,
    utcnow,
)
from lms.plugins import ROLES
from lms.security import hash_password, new_token, password_problem, token_hash
from lms.signals import user_sessions_ended


class AccountError(ValueError):
    """A request about an account cannot be done; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@transactional
def create_user(
    email: str,
    display_name: str,
    *,
    roles: tuple[str, ...] = ("clinician",),
    association: Association | None = None,
    agency: Agency | None = None,
    password: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a user with memberships; the email must be new (case-insensitively)."""
    email = normalise_email(email)
    if not display_name.strip() or len(display_name.strip()) > 320:
        raise AccountError("Give a name of 1 to 320 characters.", "display_name")
    if User.by_email(email).exists():
        raise AccountError("A user with this email address already exists.", "email")
    if agency is not None and association is not None and agency.association_id != association.id:
        raise AccountError("The agency belongs to another association.", "agency")
    for role in roles:
        if role not in ROLES:
            raise AccountError(f"Unknown role {role!r}.", "roles")
        if role != "admin" and association is None:
            raise AccountError(f"The role {role} needs an association.", "association")
    if password is not None:
        problem = password_problem(password, email=email, name=display_name)
        if problem:
            raise AccountError(problem, "password")
    user = User.create(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password) if password else None,
    )
    for role in roles:
        Membership.create(
            user=user,
            association=None if role == "admin" else association,
            agency=agency if role in {"clinician", "agency_manager"} else None,
            role=role,
        )
    audit.record(
        "user.create",
        user,
        actor=actor,
        association_id=association.id if association else None,
        after={"email": email, "display_name": user.display_name, "roles": list(roles)},
    )
    return user


@transactional
def set_roles(
    user: User,
    association: Association,
    roles: list[str],
    *,
    agency: Agency | None = None,
    actor: User | None = None,
) -> None:
    """Replace the user's roles in one association."""
    for role in roles:
        if role not in ROLES or role == "admin":
            raise AccountError(f"The role {role!r} cannot be given here.", "roles")
    before = sorted(m.role for m in user.memberships.where(Membership.association == association))
    Membership.delete().where(
        (Membership.user == user) & (Membership.association == association)
    ).execute()
    for role in roles:
        Membership.create(
            user=user,
            association=association,
            agency=agency if role in {"clinician", "agency_manager"} else None,
            role=role,
        )
    audit.record(
        "user.roles",
        user,
        actor=actor,
        association_id=association.id,
        before={"roles": before},
        after={"roles": sorted(roles), "agency": agency.id if agency else None},
    )


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation and the one-time token that goes into its link (never stored)."""

    invitation: Invitation
    token: str


@transactional
def invite(
    user: User, *, actor: User | None = None, association: Association | None = None
) -> IssuedInvitation:
    """Create a single-use, expiring set-password invitation; earlier unused ones stop working."""
    now = utcnow()
    Invitation.update(used_at=now).where(
        (Invitation.user == user) & Invitation.used_at.is_null()
    ).execute()
    token, digest = new_token()
    days = current_app.config["INVITATION_DAYS"]
    invitation = Invitation.create(
        user=user, token_hash=digest, expires_at=now + dt.timedelta(days=days), created_by=actor
    )
    audit.record(
        "user.invite",
        user,
        actor=actor,
        association_id=association.id if association else None,
        after={"expires_at": invitation.expires_at},
    )
    return IssuedInvitation(invitation, token)


def find_invitation(token: str) -> Invitation:
    """Return the usable invitation for a token, or raise AccountError saying why not."""
    invitation = (
        Invitation.select(Invitation, User)
        .join(User)
        .where(Invitation.token_hash == token_hash(token))
        .first()
    )
    if invitation is None:
        raise AccountError("This link is not valid. Ask your coordinator for a new one.")
    if invitation.used_at is not None:
        raise AccountError("This link has already been used. Ask for a new one if needed.")
    if invitation.expires_at < utcnow():
        raise AccountError("This link has expired. Ask your coordinator for a new one.")
    if not invitation.user.active:
        raise AccountError("This account is deactivated.")
    return invitation


@transactional
def accept_invitation(token: str, password: str) -> User:
    """Set the password through an invitation link and use the link up."""
    invitation = find_invitation(token)
    user = invitation.user
    problem = password_problem(password, email=user.email, name=user.display_name)
    if problem:
        raise AccountError(problem, "password")
    # The update is conditional so that two simultaneous uses cannot both succeed.
    used = (
        Invitation.update(used_at=utcnow())
        .where((Invitation.id == invitation.id) & Invitation.used_at.is_null())
        .execute()
    )
    if not used:
        raise AccountError("This link has already been used. Ask for a new one if needed.")
    _set_password(user, password)
    audit.record("user.password_set", user, actor=user)
    return user


def _set_password(user: User, password: str) -> None:
    User.update(
        password_hash=hash_password(password), session_version=User.session_version + 1
    ).where(User.id == user.id).execute()
    user.session_version += 1


@transactional
def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; every other session ends."""
    from lms.security import check_password

    if not check_password(user.password_hash, current):
        raise AccountError("The current password is not correct.", "current_password")
    problem = password_problem(new, email=user.email, name=user.display_name)
    if problem:
        raise AccountError(problem, "new_password")
    _set_password(user, new)
    audit.record("user.password_change", user, actor=user)
    user_sessions_ended.send(user, reason="password change")


@transactional
def end_sessions(user: User, *, reason: str, actor: User | None = None) -> None:
    """End every session and remember-me cookie of the user."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    user.session_version += 1
    audit.record("user.sessions_end", user, actor=actor or user, after={"reason": reason})
    user_sessions_ended.send(user, reason=reason)


@transactional
def set_active(user: User, active: bool, *, actor: User, association_id: int | None = None) -> None:
    """Activate or deactivate a user; deactivation ends every session and API token use."""
    before = {"active": user.active}
    User.update(active=active, session_version=User.session_version + 1).where(
        User.id == user.id
    ).execute()
    user.active = active
    user.session_version += 1
    audit.record(
        "user.active",
        user,
        actor=actor,
        association_id=association_id,
        before=before,
        after={"active": active},
    )


@transactional
def update_profile(
    user: User, *, display_name: str, city: str, actor: User, association_id: int | None = None
) -> None:
    """Change a user's display name and city."""
    before = {"display_name": user.display_name, "city": user.city}
    user.display_name = display_name.strip()
    user.city = city.strip()
    user.save()
    audit.record(
        "user.profile",
        user,
        actor=actor,
        association_id=association_id,
        before=before,
        after={"display_name": user.display_name, "city": user.city},
    )


@dataclass(frozen=True)
class IssuedToken:
    """A new API token record and its secret, shown once."""

    record: ApiToken
    secret: str


@transactional
def create_api_token(
    user: User, *, role: str, association: Association | None, name: str
) -> IssuedToken:
    """Create a personal API token limited to one role the user holds in one association."""
    query = Membership.select().where((Membership.user == user) & (Membership.role == role))
    if role == "admin":
        query = query.where(Membership.association.is_null())
        association = None
    elif association is None:
        raise AccountError("Choose the association the token acts in.", "association")
    else:
        query = query.where(Membership.association == association)
    if not query.exists():
        raise AccountError("You do not hold this role in this association.", "role")
    secret, digest = new_token("imhp_")
    record = ApiToken.create(
        user=user,
        association=association,
        role=role,
        name=name.strip() or "API token",
        prefix=secret[:10],
        token_hash=digest,
    )
    audit.record(
        "token.create",
        record,
        actor=user,
        association_id=association.id if association else None,
        after={"role": role, "name": record.name, "prefix": record.prefix},
    )
    return IssuedToken(record, secret)


@transactional
def revoke_api_token(token: ApiToken, *, actor: User) -> None:
    """Revoke a token; it stops working at once."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.save()
        audit.record("token.revoke", token, actor=actor, association_id=token.association_id)


def find_api_token(secret: str) -> ApiToken | None:
    """Return the live token for a secret, with its user, or None."""
    try:
        token = (
            ApiToken.select(ApiToken, User)
            .join(User)
            .where(ApiToken.token_hash == token_hash(secret))
            .get()
        )
    except pw.DoesNotExist:
        return None
    if token.revoked_at is not None or not token.user.active:
        return None
    return token
