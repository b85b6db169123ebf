"""Check declared capabilities: one decorator for pages and API, one actor per request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import peewee as pw
from flask import abort, current_app, g, has_request_context, redirect, request, url_for
from flask_login import current_user

from lms import compiled
from lms.errors import Forbidden, NotFound
from lms.inputs import int_arg
from lms.models import Membership, User
from lms.plugins import Capability

F = TypeVar("F", bound=Callable[..., Any])

CORE_CAPABILITIES: dict[str, Capability] = {
    "lms:manage_users": Capability(
        "write", ("coordinator", "admin"), "Invite, edit and deactivate users of an association"
    ),
    "lms:manage_associations": Capability(
        "write", ("admin",), "Create and edit associations and agencies"
    ),
    "lms:view_audit": Capability("read", ("coordinator", "admin"), "Read the audit log"),
    "lms:view_people": Capability(
        "read",
        ("trainer", "rsc_provider", "agency_manager", "reviewer", "coordinator", "admin"),
        "Look up people of the association",
    ),
}

ALL = None  # "every association", for a global admin


@dataclass
class Actor:
    """Who is acting and with which roles where; built from memberships or an API token."""

    user: User
    grants: dict[int | None, set[str]] = field(default_factory=dict)
    token: Any = None
    # The associations of `grants`, when read with them (`load_identity`): acting_association
    # then reads none again.
    associations: dict[int, Any] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.grants.get(None, set())

    def roles(self, association_id: int | None = None) -> set[str]:
        """Return the roles held in one association (plus global ones)."""
        roles = set(self.grants.get(None, set()))
        if association_id is None:
            for assoc_roles in self.grants.values():
                roles |= assoc_roles
        else:
            roles |= self.grants.get(association_id, set())
        return roles

    def can(self, capability: str, association_id: int | None = None) -> bool:
        """Tell whether any held role is granted the capability (in that association)."""
        cap = capabilities().get(capability)
        if cap is None:
            raise KeyError(f"undeclared capability {capability!r}")
        return bool(self.roles(association_id) & set(cap.roles))

    def association_ids(self, capability: str) -> list[int] | None:
        """Return the associations where the capability holds (None: all, for admins)."""
        cap = capabilities()[capability]
        if self.grants.get(None, set()) & set(cap.roles):
            return ALL
        return sorted(
            a for a, roles in self.grants.items() if a is not None and roles & set(cap.roles)
        )

    def primary_association_id(self) -> int | None:
        """Return the association pages open on: the actor's first, or for an admin of the
        whole platform (who belongs to none) the first association by name."""
        ids = sorted(a for a in self.grants if a is not None)
        if ids:
            return ids[0]
        if self.is_admin:
            from lms.models import Association

            first = Association.select(Association.id).order_by(Association.name).first()
            return first.id if first else None
        return None


def capabilities() -> dict[str, Capability]:
    """Return every declared capability of the running app."""
    return current_app.extensions["lms.capabilities"]


def _identity_query(user_id: Any):
    from lms.models import Association

    return (
        User.select(User, Membership.association, Membership.role, Association)
        .join(Membership, pw.JOIN.LEFT_OUTER, on=(Membership.user == User.id), attr="membership")
        .join(
            Association,
            pw.JOIN.LEFT_OUTER,
            on=(Association.id == Membership.association),
            attr="association_row",
        )
        .where(User.id == user_id)
    )


def load_identity(user_id: int) -> User | None:
    """Return the user with their memberships and those memberships' associations, read in
    one statement compiled once (every signed-in request asks); the user's actor is built
    from what it read (`actor_for`), without reading the memberships again."""
    user = None
    grants: dict[int | None, set[str]] = {}
    associations: dict[int, Any] = {}
    for row in compiled.select("lms.identity", _identity_query, (user_id,)):
        user = user or row
        membership = getattr(row, "membership", None)  # None: the user holds no role
        if membership is None or membership.role is None:
            continue
        grants.setdefault(membership.association_id, set()).add(membership.role)
        association = getattr(membership, "association_row", None)  # None: a global role
        if association is not None and association.id is not None:
            associations[association.id] = association
    if user is not None:
        user.__dict__.pop("membership", None)
        user._lms_identity = (grants, associations)  # taken by the first actor_for(user)
    return user


def actor_for(user: User, token: Any = None) -> Actor:
    """Build the actor of a user; an API token narrows it to the token's role and association."""
    if token is not None:
        return Actor(user, {token.association_id: {token.role}}, token)
    read = user.__dict__.pop("_lms_identity", None)
    if read is not None:
        return Actor(user, read[0], associations=read[1])
    grants: dict[int | None, set[str]] = {}
    for association_id, role in (
        Membership.select(Membership.association, Membership.role)
        .where(Membership.user == user)
        .tuples()
    ):
        grants.setdefault(association_id, set()).add(role)
    return Actor(user, grants)


def current_actor() -> Actor | None:
    """Return the actor of this request (token or session), or None when anonymous."""
    if "lms_actor" not in g:
        token = g.get("api_token")
        if token is not None:
            g.lms_actor = actor_for(token.user, token)
        elif _is_api():
            # The API trusts tokens only: a session cookie there would bypass CSRF protection.
            g.lms_actor = None
        elif current_user and current_user.is_authenticated:
            g.lms_actor = actor_for(current_user._get_current_object())
        else:
            g.lms_actor = None
    return g.lms_actor


def _is_api() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/xapi/")


def require(capability: str | None = None) -> Callable[[F], F]:
    """Let a view run only for a signed-in actor holding the capability somewhere.

    Object-level checks (same association, own record) stay in the services.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor is None:
                if _is_api():
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if capability is not None and not actor.can(capability):
                abort(403)
            return view(*args, **kwargs)

        wrapper.lms_capability = capability  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def ensure_in_association(actor: Actor, capability: str, association_id: int | None) -> None:
    """Answer 404 unless the actor holds the capability in that association.

    404, not 403: a user of another association must not learn the record exists.
    """
    if association_id is None or not actor.can(capability, association_id):
        raise NotFound()


_ASKED = object()  # acting_association: read `?association=` when in a request


def acting_association(
    capability: str,
    actor: Actor | None = None,
    *,
    requested: Any = _ASKED,
    required: bool = True,
):
    """Return the association the actor acts in with this capability: the one rule for every
    page, API view and command.

    1. An association asked for (`requested`, by default `?association=<id>` of the request)
       is the answer when the actor holds the capability there, else 404 (which does not tell
       whether it exists).
    2. Otherwise: the lowest-id association where the actor holds the capability; an admin
       of the whole platform holds it everywhere, so the lowest-id association. An API token
       holds one role in one association, so that one.
    3. None at all: 403 (None when `required` is false).

    `actor` defaults to the request's; services pass it, and `requested=None` outside a request.
    """
    from lms.models import Association

    actor = actor if actor is not None else current_actor()
    if actor is None:
        raise Forbidden()
    if requested is _ASKED:
        requested = int_arg("association") if has_request_context() else None
    if requested is not None:
        ensure_in_association(actor, capability, int(requested))
        found = actor.associations.get(int(requested)) or Association.get_or_none(
            Association.id == int(requested)
        )
        if found is None:
            raise NotFound()
        return found
    ids = actor.association_ids(capability)
    if ids and ids[0] in actor.associations:  # ids are sorted: the lowest is the answer
        return actor.associations[ids[0]]
    query = Association.select().order_by(Association.id)
    found = query.first() if ids is ALL else query.where(Association.id.in_(ids)).first()
    if found is None and required:
        raise Forbidden()
    return found


def requested_association(capability: str):
    """Return `acting_association(capability)` (the name the workflow views still use)."""
    return acting_association(capability)
