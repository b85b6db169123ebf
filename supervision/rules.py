"""What a supervision session may say and who may take part in one.

The errors, the typed session input and the checks every supervision service shares:
sessions (`supervision.services`), credentials (`supervision.credentials`) and the
attestation (`supervision.attestation`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import peewee as pw

from lms.errors import ServiceError
from lms.models import Association, Membership, User
from supervision.models import FORMATS

EARLIEST = dt.date(1990, 1, 1)
MAX_HOURS = 24.0
MAX_NOTE = 2000


class SupervisionError(ServiceError, ValueError):
    """A request cannot be done as asked; `field` names the input at fault."""


class SupervisionConflict(SupervisionError):
    """The record's state forbids the change (e.g. editing an attested session by API)."""

    status = 409


@dataclass(frozen=True)
class SessionInput:
    """What a session says, as typed: validated by `check_input`."""

    occurred_on: dt.date | None
    hours: float | None
    format: str = "individual"
    facilitated: bool = False
    group_size: int | None = None
    about_giving_rsc: bool = False
    private_note: str = ""


# --- checks ---------------------------------------------------------------------------------


def check_hours(hours: object) -> float:
    """Return the hours if they are quarter-hour steps from 0.25 to 24, else raise."""
    bad = SupervisionError(
        "Enter the duration in quarter hours from 0.25 to 24 (for example 1.5).", "hours"
    )
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise bad
    value = float(hours)
    if not math.isfinite(value) or value < 0.25 or value > MAX_HOURS:
        raise bad
    if abs(value * 4 - round(value * 4)) > 1e-9:
        raise bad
    return round(value * 4) / 4


def check_input(data: SessionInput, today: dt.date) -> SessionInput:
    """Return the input normalised, or raise SupervisionError naming the field at fault."""
    if data.occurred_on is None:
        raise SupervisionError("Enter the date of the session.", "occurred_on")
    if data.occurred_on > today:
        raise SupervisionError("The date is in the future; log sessions once held.", "occurred_on")
    if data.occurred_on < EARLIEST:
        raise SupervisionError("The date is before 1990; check the year.", "occurred_on")
    hours = check_hours(data.hours)
    if data.format not in FORMATS:
        raise SupervisionError("Choose individual, group or peer group.", "format")
    group_size = data.group_size
    facilitated = bool(data.facilitated)
    if data.format == "individual":
        group_size, facilitated = None, False
    else:
        if group_size is None or isinstance(group_size, bool) or not isinstance(group_size, int):
            raise SupervisionError("Enter how many people took part (2 or more).", "group_size")
        if group_size < 2:
            raise SupervisionError("A group has at least 2 people.", "group_size")
        if group_size > 100:
            raise SupervisionError("A group of more than 100 cannot be right.", "group_size")
        if data.format == "peer":
            facilitated = False
    note = (data.private_note or "").strip()
    if len(note) > MAX_NOTE:
        raise SupervisionError(f"Keep the note under {MAX_NOTE} characters.", "private_note")
    return SessionInput(
        data.occurred_on, hours, data.format, facilitated, group_size, data.about_giving_rsc, note
    )


def has_role(user: User, association: Association | int, role: str) -> bool:
    """Tell whether the user holds a role in the association."""
    return (
        Membership.select()
        .where(
            (Membership.user == user)
            & (Membership.association == association)
            & (Membership.role == role)
        )
        .exists()
    )


def providers_of(association: Association | int) -> pw.ModelSelect:
    """Return the association's RSC providers, by name."""
    return (
        User.select()
        .join(Membership)
        .where(
            (Membership.association == association)
            & (Membership.role == "rsc_provider")
            & (User.active == True)  # noqa: E712
        )
        .order_by(User.display_name)
    )


def clinicians_of(association: Association | int) -> pw.ModelSelect:
    """Return the association's clinicians, by name."""
    return (
        User.select()
        .join(Membership)
        .where(
            (Membership.association == association)
            & (Membership.role == "clinician")
            & (User.active == True)  # noqa: E712
        )
        .order_by(User.display_name)
    )
