"""Reminders for cron: providers with old pending sessions, clinicians whose window closes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app

from competencies.models import Pathway
from competencies.pathways import OPEN_STATUSES, evaluate_pathways
from lms import audit
from lms.db import db, transactional
from lms.mail import send_mail
from lms.models import ReminderSent, User
from supervision.explain import hours_text, rsc_view
from supervision.models import RscSession

PENDING_DAYS = 7
WINDOW_DAYS = 60


class RemindError(ValueError):
    """A reminder cannot be sent as asked (not pending, or already sent today)."""


@dataclass(frozen=True)
class Sent:
    """One reminder sent: to whom and what about."""

    email: str
    subject: str


def _claim(key: str) -> bool:
    """Record a reminder key; False when it was sent before (the unique key refuses it)."""
    with db.atomic():
        if ReminderSent.select().where(ReminderSent.key == key).exists():
            return False
        ReminderSent.create(key=key)
        return True


def remind(today: dt.date | None = None) -> list[Sent]:
    """Send every reminder due today that was never sent; return what was sent."""
    today = today or dt.date.today()
    return _providers(today) + _clinicians(today)


def _providers(today: dt.date) -> list[Sent]:
    cutoff = dt.datetime.combine(today - dt.timedelta(days=PENDING_DAYS), dt.time.min)
    waiting: dict[int, list[RscSession]] = defaultdict(list)
    query = (
        RscSession.select()
        .where((RscSession.status == "pending") & (RscSession.created_at < cutoff))
        .order_by(RscSession.provider, RscSession.occurred_on)
    )
    for s in query:
        waiting[s.provider_id].append(s)
    sent = []
    link = current_app.config.get("PUBLIC_URL", "").rstrip("/") + "/supervision/provider"
    for provider_id, sessions in waiting.items():
        provider = User.get_by_id(provider_id)
        with db.atomic():
            # One reminder per session, ever: claim them all, mail only the new ones.
            new = [s for s in sessions if _claim(f"supervision:pending:{s.id}")]
            if not new:
                continue
            subject = f"{len(new)} reflective supervision session(s) wait for your attestation"
            lines = [
                f"- {s.occurred_on.isoformat()}, {hours_text(s.hours)} h, "
                f"{s.clinician.display_name}"
                for s in new
            ]
            body = (
                f"Hello {provider.display_name},\n\nThese sessions were logged more than "
                f"{PENDING_DAYS} days ago and wait for your attestation:\n"
                + "\n".join(lines)
                + f"\n\nSign or reject them at {link}\n"
            )
            send_mail(provider.email, subject, body)
        sent.append(Sent(provider.email, subject))
    return sent


def _clinicians(today: dt.date) -> list[Sent]:
    pathways = list(
        Pathway.select(Pathway, User)
        .join(User, on=Pathway.clinician)
        .where(Pathway.status.in_(OPEN_STATUSES))
    )
    sent = []
    for ev in evaluate_pathways(pathways, today):
        view = rsc_view(ev.pathway, ev.result, ev.summary)
        leaf, closes = view.leaf, view.window_closes
        if leaf is None or leaf.met or closes is None or leaf.figures is None:
            continue
        if not today < closes <= today + dt.timedelta(days=WINDOW_DAYS):
            continue
        short = leaf.figures.target - leaf.figures.value
        if short <= 0:
            continue
        key = f"supervision:window:{ev.pathway.id}:{closes.isoformat()}"
        clinician = ev.pathway.clinician
        subject = f"Your reflective supervision window closes on {closes.isoformat()}"
        with db.atomic():
            if not _claim(key):
                continue
            body = (
                f"Hello {clinician.display_name},\n\nFor {ev.result.category_name} your "
                f"reflective supervision hours must fall within {view.window_hi} months. "
                f"Your window opened with the session of {view.first.isoformat()} and closes on "
                f"{closes.isoformat()}. You have {hours_text(leaf.figures.value)} of "
                f"{hours_text(leaf.figures.target)} h: {hours_text(short)} h are missing.\n"
            )
            send_mail(clinician.email, subject, body)
        sent.append(Sent(clinician.email, subject))
    return sent


@transactional
def remind_provider(session: RscSession, clinician: User, today: dt.date | None = None) -> Sent:
    """Email the provider of a pending session the clinician logged: once a day per session,
    audited as `rsc_session.remind`."""
    today = today or dt.date.today()
    if session.clinician_id != clinician.id:
        raise RemindError("Only the clinician who received the session can send a reminder.")
    if session.status != "pending":
        raise RemindError("This session is not waiting for attestation any more.")
    if not _claim(f"supervision:remind:{session.id}:{today.isoformat()}"):
        raise RemindError(
            "Your provider was reminded of this session today already; you can remind again "
            "tomorrow."
        )
    provider = session.provider
    link = current_app.config.get("PUBLIC_URL", "").rstrip("/") + "/supervision/provider"
    subject = f"{clinician.display_name} asks you to attest a reflective supervision session"
    body = (
        f"Hello {provider.display_name},\n\n{clinician.display_name} logged a session of "
        f"{session.occurred_on.isoformat()} ({hours_text(session.hours)} h) on "
        f"{session.created_at:%Y-%m-%d} and asks you to attest it, or to reject it with a "
        f"reason.\n\nSign or reject it at {link}\n"
    )
    audit.record(
        "rsc_session.remind",
        session,
        actor=clinician,
        association_id=session.association_id,
        after={"provider_id": provider.id, "on": today},
    )
    send_mail(provider.email, subject, body)
    return Sent(provider.email, subject)
