"""Account services: create, invite, set and change passwords, end sessions, tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw
from flask import current_app

from lms import audit
from lms.db import transactional
from lms.errors import ServiceError
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
from lms.permissions import ALL, Actor, actor_for
from lms.plugins import ROLES
from lms.security import check_password, hash_password, new_token, password_problem, token_hash
from lms.signals import user_sessions_ended


class AccountError(ServiceError, ValueError):
    """A request about an account cannot be done; `field` names the input at fault."""


SHARED_ACCOUNT = (
    "This account is shared with another association, so only an administrator, or someone "
    "who coordinates every association it belongs to, can change {what}. You can change its "
    "roles in your association."
)
EMAIL_TAKEN = "A user with this email address already exists."
# Said when an email address belongs to an account of other associations only: the same
# whichever association, name or roles that account has, so a coordinator learns none of them.
EMAIL_UNAVAILABLE = (
    "This email address cannot be given a new account here. If the person already has an "
    "account, an administrator can add a role in this association to it."
)


def can_manage_account(actor: User | Actor, user: User) -> bool:
    """Tell whether the actor may act on the account itself (password, name, activation).

    An admin may, and so may the person themselves. Anyone else only when every role of the
    account is in an association where they manage users: a coordinator changes only their
    association's roles of a person who also belongs to another association.
    """
    if isinstance(actor, User):
        actor = actor_for(actor)
    if actor.user.id == user.id:
        return True
    managed = actor.association_ids("lms:manage_users")
    if managed is ALL:
        return True
    held = {
        association_id
        for (association_id,) in Membership.select(Membership.association)
        .where(Membership.user == user)
        .tuples()
    }
    return bool(held) and None not in held and held <= set(managed)


def _ensure_can_manage(actor: User | None, user: User, what: str, field: str | None = None):
    """Refuse an account-level change by an actor who may not make it (None: an operator)."""
    if actor is not None and not can_manage_account(actor, user):
        raise AccountError(SHARED_ACCOUNT.format(what=what), field)


def _email_taken(existing: User, association: Association | None, actor: User | None):
    """Return the error for an email address already in use, telling only what the actor may
    know: that the person is in their association, or nothing about the account at all."""
    if association is not None and (
        Membership.select()
        .where((Membership.user == existing) & (Membership.association == association))
        .exists()
    ):
        return AccountError(
            "A user with this email address already exists in this association; "
            "change their roles on their page.",
            "email",
        )
    if actor is None or can_manage_account(actor, existing):
        return AccountError(EMAIL_TAKEN, "email")
    return AccountError(EMAIL_UNAVAILABLE, "email")


def _revoke_tokens(where: pw.Expression, *, actor: User | None, reason: str) -> None:
    """Revoke the live tokens matching `where`, one audit row each; they never work again."""
    tokens = list(ApiToken.select().where(where & ApiToken.revoked_at.is_null()))
    if not tokens:
        return
    now = utcnow()
    ApiToken.update(revoked_at=now).where(ApiToken.id.in_([t.id for t in tokens])).execute()
    for token in tokens:
        audit.record(
            "token.revoke",
            token,
            actor=actor,
            association_id=token.association_id,
            after={"reason": reason},
        )


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
    existing = User.by_email(email).first()
    if existing is not None:
        raise _email_taken(existing, association, actor)
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
        object_id=user.id,
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
    """Replace the user's roles in one association; tokens of a removed role are revoked."""
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
    removed = sorted(set(before) - set(roles))
    if removed:
        _revoke_tokens(
            (ApiToken.user == user)
            & (ApiToken.association == association)
            & ApiToken.role.in_(removed),
            actor=actor,
            reason="role removed",
        )
    audit.record(
        "user.roles",
        user,
        object_id=user.id,
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
    """Create a single-use, expiring set-password invitation; earlier unused ones stop working.

    Whoever accepts it sets the password, so it acts on the whole account (see
    `can_manage_account`); `actor=None` is an operator at the command line.
    """
    _ensure_can_manage(actor, user, "its password or send it an invitation")
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
        object_id=user.id,
        actor=actor,
        association_id=association.id if association else None,
        after={"expires_at": invitation.expires_at},
    )
    return IssuedInvitation(invitation, token)


@dataclass(frozen=True)
class AddedPerson:
    """Who was added to an association; `invited` is None when the account already existed."""

    user: User
    invited: IssuedInvitation | None


@transactional
def add_person(
    email: str,
    display_name: str,
    *,
    roles: tuple[str, ...],
    association: Association,
    agency: Agency | None = None,
    actor: User,
) -> AddedPerson:
    """Give someone roles in an association: a new account with an invitation, or, for an
    actor who may manage an existing account of that email, the roles added to it.

    An email address of an account the actor may not manage is refused with one message that
    says nothing of that account (see EMAIL_UNAVAILABLE).
    """
    existing = User.by_email(email).first()
    if existing is None:
        user = create_user(
            email, display_name, roles=roles, association=association, agency=agency, actor=actor
        )
        return AddedPerson(user, invite(user, actor=actor, association=association))
    error = _email_taken(existing, association, actor)
    if str(error) != EMAIL_TAKEN:  # in this association already, or not the actor's to see
        raise error
    set_roles(existing, association, list(roles), agency=agency, actor=actor)
    return AddedPerson(existing, None)


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
    audit.record("user.password_set", user, object_id=user.id, actor=user)
    return user


def _set_password(user: User, password: str) -> None:
    """Store a new password: every session ends and every API token is revoked."""
    User.update(
        password_hash=hash_password(password), session_version=User.session_version + 1
    ).where(User.id == user.id).execute()
    user.session_version += 1
    _revoke_tokens(ApiToken.user == user, actor=user, reason="password changed")


@transactional
def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; every other session and every API
    token ends."""
    if not check_password(user.password_hash, current):
        raise AccountError("The current password is not correct.", "current_password")
    problem = password_problem(new, email=user.email, name=user.display_name)
    if problem:
        raise AccountError(problem, "new_password")
    _set_password(user, new)
    audit.record("user.password_change", user, object_id=user.id, actor=user)
    user_sessions_ended.send(user, reason="password change")


@transactional
def end_sessions(user: User, *, reason: str, actor: User | None = None) -> None:
    """End every session and remember-me cookie of the user."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    user.session_version += 1
    audit.record(
        "user.sessions_end",
        user,
        object_id=user.id,
        actor=actor or user,
        after={"reason": reason},
    )
    user_sessions_ended.send(user, reason=reason)


@transactional
def set_active(user: User, active: bool, *, actor: User, association_id: int | None = None) -> None:
    """Activate or deactivate a user; deactivation ends every session and revokes every API
    token (reactivation brings none back)."""
    _ensure_can_manage(actor, user, "whether it is active")
    before = {"active": user.active}
    User.update(active=active, session_version=User.session_version + 1).where(
        User.id == user.id
    ).execute()
    user.active = active
    user.session_version += 1
    if not active:
        _revoke_tokens(ApiToken.user == user, actor=actor, reason="account deactivated")
    audit.record(
        "user.active",
        user,
        object_id=user.id,
        actor=actor,
        association_id=association_id,
        before=before,
        after={"active": active},
    )


@transactional
def update_profile(
    user: User, *, display_name: str, city: str, actor: User, association_id: int | None = None
) -> None:
    """Change a user's display name and city; unchanged values write nothing."""
    before = {"display_name": user.display_name, "city": user.city}
    after = {"display_name": display_name.strip(), "city": city.strip()}
    if after == before:
        return
    _ensure_can_manage(actor, user, "its name or city", "display_name")
    user.display_name, user.city = after["display_name"], after["city"]
    user.save()
    audit.record(
        "user.profile",
        user,
        object_id=user.id,
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
    user: User, *, role: str, association: Association | None, name: str, password: str | None
) -> IssuedToken:
    """Create a personal API token limited to one role the user holds in one association.

    The user's current password must be given again: a stolen session alone cannot mint a
    credential that outlives it. `password=None` says an operator issues the token (the
    `token create` command), and has to be written out.
    """
    if password is not None and not check_password(user.password_hash, password):
        raise AccountError("The password is not correct.", "password")
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
        after={
            "role": role,
            "name": record.name,
            "prefix": record.prefix,
            "by": "operator" if password is None else "user",
        },
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
    """Return the live token for a secret, with its user, or None.

    Live means: not revoked, its account active, and the account still holding the token's
    role in the token's association; checked on every request, in one query.
    """
    same_association = (Membership.association == ApiToken.association) | (
        Membership.association.is_null() & ApiToken.association.is_null()
    )
    return (
        ApiToken.select(ApiToken, User)
        .join(User)
        .switch(ApiToken)
        .join(
            Membership,
            on=(
                (Membership.user == ApiToken.user)
                & (Membership.role == ApiToken.role)
                & same_association
            ),
        )
        .where(
            (ApiToken.token_hash == token_hash(secret))
            & ApiToken.revoked_at.is_null()
            & (User.active == True)  # noqa: E712 (a SQL expression)
        )
        .first()
    )
