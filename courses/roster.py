"""The roster page's helpers: who is ticked across searches, a pasted list of emails, and the
readiness of the attendees just recorded."""

from __future__ import annotations

import re
from collections.abc import Iterable

from competencies.reevaluate import after_commit, of
from courses.access import clinicians_of
from courses.models import Completion
from lms.models import Association, User
from lms.permissions import Actor

MAX_PASTED = 500
_SEPARATORS = re.compile(r"[\s,;<>]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_emails(text: str) -> tuple[list[str], list[str]]:
    """Split pasted text (one per line, or separated by commas, semicolons or spaces; a
    "Name <email>" is fine) into (emails, pieces that are not emails), both without repeats."""
    emails: dict[str, None] = {}
    bad: dict[str, None] = {}
    for piece in _SEPARATORS.split(text or ""):
        piece = piece.strip().strip("\"'()[]").rstrip(".")
        if "@" not in piece:  # a name beside its address, or nothing
            continue
        if _EMAIL.match(piece):
            emails[piece.lower()] = None
        else:
            bad[piece] = None
    return list(emails)[:MAX_PASTED], list(bad)


def clinicians_by_email(association: Association, emails: Iterable[str]) -> dict[str, User]:
    """Return the association's clinicians among the emails, by lower-case email."""
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return {}
    found = clinicians_of(association).where(User.email.in_(wanted))
    return {u.email.lower(): u for u in found}


def ticked_people(association: Association, ids: Iterable[int], shown: Iterable[User]) -> list:
    """Return the ticked clinicians not among those shown (a search hid them), by name."""
    seen = {u.id for u in shown}
    rest = sorted(set(ids) - seen)
    if not rest:
        return []
    return list(clinicians_of(association).where(User.id.in_(rest)).order_by(User.display_name))


def reevaluate_recorded(actor: Actor, results: Iterable[tuple[Completion, bool]]) -> str:
    """Re-evaluate, in a background job, the readiness rows of the attendees a roster just
    recorded (`completions.record_roster`'s results, once committed); return the job's id."""
    created = [completion for completion, new in results if new]
    return after_commit(of(created), background=True, owner_id=actor.user.id)
