"""Renewals: yearly requirements per endorsee, renewed or lapsed, reinstatement, reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from competencies import evaluator
from competencies.models import Endorsement
from competencies.rulesets import bound_rule_set, rule_set_in_force
from competencies.summaries import build_summaries, empty_summary
from endorsement.errors import NotVisible, WorkflowError
from endorsement.models import Renewal
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.mail import send_mail
from lms.models import Association, ReminderSent, User, utcnow

REMINDER_DAYS = (90, 30, 7)


def due_in(association: Association, year: int) -> dt.date:
    """Return the association's renewal due date in a year."""
    month, day = (int(p) for p in association.renewal_due.split("-"))
    return dt.date(year, month, day)


def evaluate(endorsement: Endorsement, year: int) -> evaluator.Result | None:
    """Evaluate one calendar year of an endorsee's evidence; None for a credential without rules."""
    association = endorsement.association
    row = rule_set_in_force(association, dt.date(year, 12, 31))
    if row is None:
        return None
    rules = bound_rule_set(row)
    if endorsement.category not in rules.categories:
        return None
    summary = build_summaries(
        as_of=dt.date(year, 12, 31),
        start=dt.date(year, 1, 1),
        clinician_ids=[endorsement.clinician_id],
        association_id=endorsement.association_id,
    ).get(endorsement.clinician_id) or empty_summary(endorsement.clinician_id)
    return evaluator.evaluate_renewal(
        rules, endorsement.category, summary, year, endorsement.awarded_on
    )


def check_visible(endorsement: Endorsement, actor: Any) -> str:
    """Return the actor's role for this endorsement ("endorsee" or "coordinator"), or refuse."""
    if actor.user.id == endorsement.clinician_id:
        return "endorsee"
    if actor.can("endorsement:decide", endorsement.association_id):
        return "coordinator"
    raise NotVisible("another association's endorsee")


@transactional
def submit(endorsement: Endorsement, *, actor: Any, today: dt.date | None = None) -> Renewal:
    """Renew for the year now due when the year's requirements are met; else say what is missing."""
    today = today or dt.date.today()
    check_visible(endorsement, actor)
    if endorsement.status != "active":
        raise WorkflowError(
            f"This endorsement is {endorsement.status}; a lapsed one is reinstated by the "
            "coordinator.",
            "endorsement",
        )
    year = endorsement.renewal_due.year
    if today.year < year and (endorsement.renewal_due - today).days > 90:
        raise WorkflowError(
            f"The next renewal is due on {endorsement.renewal_due.isoformat()}; it opens 90 days "
            "before.",
            "endorsement",
        )
    result = evaluate(endorsement, year)
    if result is not None and not result.met:
        missing = evaluator.missing_tasks(result)
        raise WorkflowError(
            f"The {year} requirements are not met yet: " + "; ".join(missing) + ".", "endorsement"
        )
    renewal = Renewal.get_or_none((Renewal.endorsement == endorsement) & (Renewal.year == year))
    values = {
        "status": "renewed",
        "result": result.to_dict() if result is not None else None,
        "decided_at": utcnow(),
        "decided_by": actor.user,
    }
    if renewal is None:
        renewal = Renewal.create(
            endorsement=endorsement, year=year, due_on=endorsement.renewal_due, **values
        )
    elif renewal.status != "due":
        raise WorkflowError(f"The {year} renewal is already {renewal.status}.", "endorsement")
    else:
        Renewal.update(**values).where(Renewal.id == renewal.id).execute()
    next_due = due_in(endorsement.association, year + 1)
    Endorsement.update(renewal_due=next_due).where(Endorsement.id == endorsement.id).execute()
    audit.record(
        "renewal.renew",
        renewal,
        actor=actor.user,
        association_id=endorsement.association_id,
        before={"renewal_due": endorsement.renewal_due},
        after={"year": year, "renewal_due": next_due},
    )
    endorsement.renewal_due = next_due
    return renewal


@transactional
def lapse_overdue(today: dt.date, *, actor: User | None = None) -> int:
    """Lapse every active endorsement whose renewal date has passed; return how many."""
    overdue = list(
        Endorsement.select().where(
            (Endorsement.status == "active") & (Endorsement.renewal_due < today)
        )
    )
    for endorsement in overdue:
        year = endorsement.renewal_due.year
        renewal = Renewal.get_or_none((Renewal.endorsement == endorsement) & (Renewal.year == year))
        if renewal is None:
            Renewal.create(
                endorsement=endorsement,
                year=year,
                due_on=endorsement.renewal_due,
                status="lapsed",
                decided_at=utcnow(),
            )
        else:
            Renewal.update(status="lapsed", decided_at=utcnow()).where(
                Renewal.id == renewal.id
            ).execute()
        Endorsement.update(status="lapsed").where(Endorsement.id == endorsement.id).execute()
        audit.record(
            "renewal.lapse",
            endorsement,
            actor=actor,
            association_id=endorsement.association_id,
            before={"status": "active"},
            after={"status": "lapsed", "year": year},
        )
    return len(overdue)


@transactional
def reinstate(
    endorsement: Endorsement, *, actor: Any, reason: str, today: dt.date | None = None
) -> Endorsement:
    """Reinstate a lapsed endorsement (coordinators only) with a reason; set the next due date."""
    today = today or dt.date.today()
    refuse_own(
        actor,
        endorsement.clinician_id,
        "reinstate your own endorsement",
        error=WorkflowError,
        field="reason",
        then="another coordinator of your association decides it",
    )
    if check_visible(endorsement, actor) != "coordinator":
        raise WorkflowError("Only the association's coordinator reinstates.", "reason")
    if endorsement.status != "lapsed":
        raise WorkflowError("Only a lapsed endorsement can be reinstated.", "reason")
    if not reason.strip():
        raise WorkflowError("Say why the endorsement is reinstated.", "reason")
    due = due_in(endorsement.association, today.year)
    if due <= today:
        due = due_in(endorsement.association, today.year + 1)
    Renewal.update(status="reinstated", decided_at=utcnow(), decided_by=actor.user).where(
        (Renewal.endorsement == endorsement) & (Renewal.status == "lapsed")
    ).execute()
    Endorsement.update(status="active", renewal_due=due).where(
        Endorsement.id == endorsement.id
    ).execute()
    audit.record(
        "renewal.reinstate",
        endorsement,
        actor=actor.user,
        association_id=endorsement.association_id,
        before={"status": "lapsed"},
        after={"status": "active", "renewal_due": due, "reason": reason.strip()},
    )
    endorsement.status, endorsement.renewal_due = "active", due
    return endorsement


def remind(today: dt.date) -> int:
    """Email endorsees whose renewal is due in 90, 30 or 7 days; never the same reminder twice."""
    sent = 0
    horizon = today + dt.timedelta(days=max(REMINDER_DAYS))
    rows = (
        Endorsement.select(Endorsement, User)
        .join(User, on=Endorsement.clinician)
        .where(
            (Endorsement.status == "active")
            & (Endorsement.renewal_due >= today)
            & (Endorsement.renewal_due <= horizon)
        )
    )
    for endorsement in rows:
        days = (endorsement.renewal_due - today).days
        # A missed cron day still sends the nearest reminder, and only that one.
        reached = [d for d in REMINDER_DAYS if days <= d]
        keys = [f"renewal:{endorsement.id}:{endorsement.renewal_due}:{d}" for d in reached]
        if not reached or ReminderSent.select().where(ReminderSent.key == keys[-1]).exists():
            continue
        _remind_one(endorsement, days, keys)
        sent += 1
    return sent


@transactional
def _remind_one(endorsement: Endorsement, days: int, keys: list[str]) -> None:
    for key in keys:
        if not ReminderSent.select().where(ReminderSent.key == key).exists():
            ReminderSent.create(key=key)
    audit.record(
        "renewal.remind",
        endorsement,
        association_id=endorsement.association_id,
        after={"renewal_due": endorsement.renewal_due, "days": days},
    )
    send_mail(
        endorsement.clinician.email,
        f"Your {endorsement.category} endorsement renews on {endorsement.renewal_due}",
        f"Dear {endorsement.clinician.display_name},\n\nYour endorsement {endorsement.number} "
        f"is due for renewal in {days} days, on {endorsement.renewal_due.isoformat()}. Sign in "
        "to IMH Pathway and open the renewal page to see what is still needed this year.\n",
    )


def for_endorsee(user: User) -> list[Endorsement]:
    """Return a person's endorsements, newest first."""
    return list(
        Endorsement.select()
        .where(Endorsement.clinician == user)
        .order_by(Endorsement.awarded_on.desc())
    )
