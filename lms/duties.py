"""Separation of duties: nobody verifies, attests or decides their own record.

Every service that verifies, records as verified, attests or decides calls `refuse_own` with
the person the record is about. The refusal is raised as the calling plugin's own error class
(so its forms, imports and API map it as they map any other error of theirs), mixed with
`OwnRecord` and with status 403 (`lms.errors.ServiceError.status`), so that a channel
answering by status says 403. Roles do not matter here:
an admin or a coordinator is refused like anyone else, and the record stays for someone else.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from lms.models import User
from lms.permissions import Actor

E = TypeVar("E", bound=Exception)

OTHERS = "someone else of your association must do it"


class OwnRecord(Exception):
    """Mixed into a plugin's error: the actor would verify or decide on their own record."""


@functools.cache
def own_error(error: type[E]) -> type[E]:
    """Return the subclass of a plugin's error class that also is an `OwnRecord` (a 403)."""
    namespace = {"__module__": error.__module__, "status": 403}
    return type(error.__name__, (error, OwnRecord), namespace)


def _user_id(who: Actor | User | int | None) -> int | None:
    if who is None:
        return None
    if isinstance(who, Actor):
        return who.user.id
    if isinstance(who, User):
        return who.id
    return int(who)


def is_own(actor: Actor | User | int | None, subject: User | int | None) -> bool:
    """Tell whether the record about `subject` is the actor's own (None is nobody)."""
    actor_id, subject_id = _user_id(actor), _user_id(subject)
    return actor_id is not None and actor_id == subject_id


def own_refusal(
    actor: Actor | User | int | None, subject: User | int | None, action: str, then: str = OTHERS
) -> str | None:
    """Return the refusal message when the record is the actor's own, else None.

    `action` completes "You cannot …" ("verify your own training"); `then` says who does it.
    """
    if not is_own(actor, subject):
        return None
    return f"You cannot {action}; {then}."


def refuse_own(
    actor: Actor | User | int | None,
    subject: User | int | None,
    action: str,
    *,
    error: type[Any],
    field: str,
    then: str = OTHERS,
) -> None:
    """Raise `error(message, field)` (an `OwnRecord` too) when the record is the actor's own.

    `error` is the calling plugin's error class, constructed as error(message, field).
    """
    message = own_refusal(actor, subject, action, then)
    if message is not None:
        raise own_error(error)(message, field)
