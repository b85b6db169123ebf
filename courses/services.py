"""Catalogue and completion services: every write is one audited transaction.

Services take an Actor (lms.permissions) and check objects themselves: another association's
record is 404, a training a trainer does not own is 403.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import peewee as pw

from competencies import ledger
from competencies.models import Evidence
from courses.models import (
    FORMATS,
    Completion,
    Prerequisite,
    Session,
    SessionTrainer,
    Training,
)
from lms import audit
from lms.db import transactional
from lms.duties import refuse_own
from lms.errors import Forbidden, NotFound, ServiceError
from lms.models import Association, Membership, User
from lms.permissions import Actor

MANAGERS = frozenset({"coordinator", "admin"})
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
TAG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_HOURS = 2000.0


class CourseError(ServiceError, ValueError):
    """A request cannot be done as asked; `field` names the input at fault."""


# --- who may do what ---------------------------------------------------------------------------


def is_manager(actor: Actor, association_id: int) -> bool:
    """Tell whether the actor runs the association (coordinator or admin there)."""
    return bool(actor.roles(association_id) & MANAGERS)


def _in_association(actor: Actor, capability: str, association_id: int) -> None:
    if not actor.can(capability, association_id):
        raise NotFound()


def check_manage(actor: Actor, training: Training) -> None:
    """Let coordinators manage any training of their association, trainers their own."""
    _in_association(actor, "courses:view_catalogue", training.association_id)
    if not actor.can("courses:manage_trainings", training.association_id):
        raise Forbidden()
    if not is_manager(actor, training.association_id) and training.owner_id != actor.user.id:
        raise Forbidden()


def may_record(actor: Actor, training: Training) -> bool:
    """Tell whether the actor may record completions of this training."""
    if not actor.can("courses:record_completion", training.association_id):
        return False
    if is_manager(actor, training.association_id) or training.owner_id == actor.user.id:
        return True
    return (
        SessionTrainer.select()
        .join(Session)
        .where((Session.training == training) & (SessionTrainer.trainer == actor.user))
        .exists()
    )


def check_record(actor: Actor, training: Training) -> None:
    _in_association(actor, "courses:view_catalogue", training.association_id)
    if not may_record(actor, training):
        raise Forbidden()


RECORD_OWN = "record your own training"
RECORD_OTHERS = "another trainer or your coordinator records it"


def refuse_own_record(actor: Actor, clinician_id: int, field: str = "clinician") -> None:
    """Refuse to record (as verified) a completion of the actor's own."""
    refuse_own(actor, clinician_id, RECORD_OWN, error=CourseError, field=field, then=RECORD_OTHERS)


def recordable_trainings(actor: Actor, association: Association) -> pw.ModelSelect:
    """Return the trainings of the association the actor may record completions of."""
    query = Training.select().where(Training.association == association)
    if is_manager(actor, association.id):
        return query
    taught = (
        Session.select(Session.training)
        .join(SessionTrainer)
        .where(SessionTrainer.trainer == actor.user)
    )
    return query.where((Training.owner == actor.user) | Training.id.in_(taught))


def get_training(actor: Actor, training_id: int) -> Training:
    """Return a training the actor may see, else 404."""
    training = Training.get_or_none(Training.id == training_id)
    if training is None:
        raise NotFound()
    _in_association(actor, "courses:view_catalogue", training.association_id)
    return training


def get_session(actor: Actor, session_id: int) -> Session:
    session = Session.get_or_none(Session.id == session_id)
    if session is None:
        raise NotFound()
    get_training(actor, session.training_id)
    return session


# --- catalogue ---------------------------------------------------------------------------------


def parse_area_hours(text: str, known: Iterable[str] | None = None) -> dict[str, float | None]:
    """Read "TF-DEV=2; TF-ATTACH" into {area: hours or None}; refuse unknown areas."""
    result: dict[str, float | None] = {}
    allowed = set(known) if known is not None else None
    for part in re.split(r"[;,\n]", text or ""):
        part = part.strip()
        if not part:
            continue
        area, _, hours = part.partition("=")
        area = area.strip()
        if allowed is not None and area not in allowed:
            raise CourseError(f"{area} is not an area of the competency framework.", "areas")
        value = None
        if hours.strip():
            try:
                value = float(hours)
            except ValueError:
                raise CourseError(f"{hours.strip()} is not a number of hours.", "areas") from None
            if not math.isfinite(value) or value <= 0:
                raise CourseError(f"{area}: hours must be more than zero.", "areas")
        result[area] = value
    return result


def _clean_training(values: Mapping[str, Any]) -> dict[str, Any]:
    code = (values.get("code") or "").strip()
    if not CODE.fullmatch(code):
        raise CourseError(
            "Use up to 40 letters, digits, dots, hyphens or underscores, starting with a "
            "letter or digit.",
            "code",
        )
    title = (values.get("title") or "").strip()
    if not title:
        raise CourseError("Give the training a title.", "title")
    fmt = values.get("format")
    if fmt not in FORMATS:
        raise CourseError("Choose a format.", "format")
    try:
        hours = float(values.get("hours"))
    except (TypeError, ValueError):
        raise CourseError("Give the clock hours as a number.", "hours") from None
    if not math.isfinite(hours) or hours <= 0 or hours > MAX_HOURS:
        raise CourseError(f"Clock hours must be more than 0 and at most {MAX_HOURS:g}.", "hours")
    areas = dict(values.get("areas") or {})
    known_hours = [h for h in areas.values() if h is not None]
    if math.fsum(known_hours) > hours + 1e-9:
        raise CourseError("The hours per area add up to more than the training's hours.", "areas")
    tags = sorted({t.strip().lower() for t in values.get("tags") or () if t.strip()})
    for tag in tags:
        if not TAG.fullmatch(tag):
            raise CourseError(f"{tag} is not a tag: use lower-case letters, digits, -.", "tags")
    iri = (values.get("activity_iri") or "").strip() or None
    if iri is not None and not re.match(r"^[a-z][a-z0-9+.-]*:\S+$", iri, re.I):
        raise CourseError("The activity id must be an absolute IRI (https://…).", "activity_iri")
    return {
        "code": code,
        "title": title[:200],
        "provider": (values.get("provider") or "").strip()[:200],
        "format": fmt,
        "hours": hours,
        "areas": areas,
        "tags": ",".join(tags),
        "description": (values.get("description") or "").strip(),
        "activity_iri": iri,
        "hours_from_duration": bool(values.get("hours_from_duration")),
    }


_TRAINING_FIELDS = ("code", "title", "provider", "format", "hours", "areas", "tags", "activity_iri")


@transactional
def save_training(
    actor: Actor,
    association: Association,
    values: Mapping[str, Any],
    *,
    training: Training | None = None,
    prerequisites: Iterable[int] | None = None,
) -> Training:
    """Create a training (owned by the actor) or update one; set its prerequisites."""
    _in_association(actor, "courses:manage_trainings", association.id)
    clean = _clean_training(values)
    clash = Training.select().where(
        (Training.association == association) & (Training.code == clean["code"])
    )
    iri_clash = Training.select().where(
        (Training.association == association) & (Training.activity_iri == clean["activity_iri"])
    )
    if training is not None:
        check_manage(actor, training)
        clash = clash.where(Training.id != training.id)
        iri_clash = iri_clash.where(Training.id != training.id)
    if clash.exists():
        raise CourseError(f"The code {clean['code']} is already used in this catalogue.", "code")
    if clean["activity_iri"] and iri_clash.exists():
        raise CourseError("Another training already has this activity id.", "activity_iri")
    if training is None:
        before = None
        training = Training.create(association=association, owner=actor.user, **clean)
        action = "training.create"
    else:
        before = audit.snapshot(training, *_TRAINING_FIELDS)
        for key, value in clean.items():
            setattr(training, key, value)
        training.save()
        action = "training.update"
    if prerequisites is not None:
        _set_prerequisites(training, list(prerequisites))
    audit.record(
        action,
        training,
        actor=actor.user,
        association_id=association.id,
        before=before,
        after={
            **audit.snapshot(training, *_TRAINING_FIELDS),
            "prerequisites": prerequisite_ids(training),
        },
    )
    return training


def prerequisite_ids(training: Training) -> list[int]:
    return sorted(
        p.required_id
        for p in Prerequisite.select(Prerequisite.required).where(Prerequisite.training == training)
    )


def _set_prerequisites(training: Training, required: list[int]) -> None:
    required = sorted(set(required))
    if training.id in required:
        raise CourseError("A training cannot be its own prerequisite.", "prerequisites")
    found = {
        t.id
        for t in Training.select(Training.id).where(
            Training.id.in_(required) & (Training.association == training.association_id)
        )
    }
    if set(required) - found:
        raise CourseError("A prerequisite is not a training of this catalogue.", "prerequisites")
    # The graph must stay acyclic: no chosen prerequisite may (transitively) need this one.
    edges: dict[int, set[int]] = {}
    for t, r in (
        Prerequisite.select(Prerequisite.training, Prerequisite.required)
        .join(Training, on=(Prerequisite.training == Training.id))
        .where(Training.association == training.association_id)
        .tuples()
    ):
        edges.setdefault(t, set()).add(r)
    edges[training.id] = set(required)
    stack, seen = list(required), set()
    while stack:
        node = stack.pop()
        if node == training.id:
            raise CourseError(
                "These prerequisites would make a cycle (a training would need itself).",
                "prerequisites",
            )
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    Prerequisite.delete().where(Prerequisite.training == training).execute()
    for r in required:
        Prerequisite.create(training=training, required=r)


@transactional
def add_session(
    actor: Actor,
    training: Training,
    *,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    location: str = "",
    online: bool = False,
    capacity: int | None = None,
    trainer_ids: Iterable[int] = (),
) -> Session:
    """Schedule a session; the actor teaches it unless other trainers are named."""
    check_manage(actor, training)
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        raise CourseError("The last day is before the first.", "ends_on")
    if capacity is not None and capacity < 1:
        raise CourseError("Capacity must be at least 1, or empty for no limit.", "capacity")
    if not online and not location.strip():
        raise CourseError("Give the location, or mark the session as online.", "location")
    trainers = list(set(trainer_ids)) or [actor.user.id]
    valid = {
        m.user_id
        for m in Membership.select(Membership.user).where(
            (Membership.association == training.association_id)
            & (Membership.role.in_(("trainer", "coordinator")))
            & Membership.user.in_(trainers)
        )
    }
    if set(trainers) - valid:
        raise CourseError("Every trainer must be a trainer of this association.", "trainers")
    session = Session.create(
        training=training,
        starts_on=starts_on,
        ends_on=ends_on,
        location=location.strip()[:200],
        online=online,
        capacity=capacity,
    )
    for user_id in sorted(trainers):
        SessionTrainer.create(session=session, trainer=user_id)
    audit.record(
        "session.create",
        session,
        actor=actor.user,
        association_id=training.association_id,
        after={
            "training": training.id,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "location": session.location,
            "online": online,
            "capacity": capacity,
            "trainers": sorted(trainers),
        },
    )
    return session


def search_trainings(
    association_ids: list[int] | None,
    *,
    text: str = "",
    area: str = "",
    tag: str = "",
    fmt: str = "",
    on_or_after: dt.date | None = None,
) -> pw.ModelSelect:
    """Return the catalogue filtered by words, area, tag, format and session date."""
    query = Training.select().where(Training.active == True)  # noqa: E712
    if association_ids is not None:
        query = query.where(Training.association.in_(association_ids))
    if text:
        like = f"%{text.strip()}%"
        query = query.where(Training.title.ilike(like) | Training.code.ilike(like))
    if area and re.fullmatch(r"[A-Za-z0-9.-]{1,100}", area):
        # areas is JSON {"AREA": hours}; a quoted key match is exact and portable.
        # Bypass the JSON field's converter: match the quoted key in the stored text.
        pattern = pw.Value(f'%"{area}"%', converter=False)
        query = query.where(pw.Expression(Training.areas, pw.OP.ILIKE, pattern))
    if tag:
        query = query.where(
            (Training.tags == tag)
            | Training.tags.startswith(f"{tag},")
            | Training.tags.endswith(f",{tag}")
            | Training.tags.contains(f",{tag},")
        )
    if fmt:
        query = query.where(Training.format == fmt)
    if on_or_after is not None:
        query = query.where(
            Training.id.in_(Session.select(Session.training).where(Session.ends_on >= on_or_after))
        )
    return query.order_by(Training.title)


# --- clinicians --------------------------------------------------------------------------------


def clinicians_of(association: Association) -> pw.ModelSelect:
    """Return the clinicians of an association."""
    return (
        User.select()
        .join(Membership)
        .where((Membership.association == association) & (Membership.role == "clinician"))
    )


def search_clinicians(association: Association, text: str, limit: int = 50) -> list[User]:
    """Find clinicians of the association by name or email."""
    query = clinicians_of(association)
    if text.strip():
        like = f"%{text.strip()}%"
        query = query.where(User.display_name.ilike(like) | User.email.ilike(like))
    return list(query.order_by(User.display_name).limit(limit))


def _check_clinician(association_id: int, clinician_id: int) -> None:
    if (
        not Membership.select()
        .where(
            (Membership.user == clinician_id)
            & (Membership.association == association_id)
            & (Membership.role == "clinician")
        )
        .exists()
    ):
        raise CourseError("The person is not a clinician of this association.", "clinician")


# --- prerequisites -----------------------------------------------------------------------------


def missing_prerequisites(
    pairs: Iterable[tuple[int, int]], extra_done: Iterable[tuple[int, int]] = ()
) -> dict[tuple[int, int], list[Training]]:
    """Return, per (clinician id, training id), the prerequisite trainings not yet completed.

    A prerequisite counts as done with a live (pending or verified) completion, or when it is
    in `extra_done` (e.g. earlier rows of the same file). Two queries, whatever the count.
    """
    pairs = list(set(pairs))
    if not pairs:
        return {}
    needs: dict[int, list[int]] = {}
    for t, r in (
        Prerequisite.select(Prerequisite.training, Prerequisite.required)
        .where(Prerequisite.training.in_({t for _, t in pairs}))
        .tuples()
    ):
        needs.setdefault(t, []).append(r)
    pairs = [p for p in pairs if p[1] in needs]
    if not pairs:
        return {}
    required = {r for rs in needs.values() for r in rs}
    done = set(extra_done)
    done.update(
        Completion.select(Completion.clinician, Completion.training)
        .where(
            Completion.clinician.in_({c for c, _ in pairs})
            & Completion.training.in_(required)
            & Completion.live.is_null(False)
        )
        .tuples()
    )
    titles = {t.id: t for t in Training.select().where(Training.id.in_(required))}
    out: dict[tuple[int, int], list[Training]] = {}
    for clinician_id, training_id in pairs:
        missing = [titles[r] for r in needs[training_id] if (clinician_id, r) not in done]
        if missing:
            out[(clinician_id, training_id)] = missing
    return out


# --- completions -------------------------------------------------------------------------------


def _evidence_for(completion: Completion, actor: User | None) -> Evidence:
    training = completion.training if completion.training_id else None
    return ledger.record(
        clinician=completion.clinician,
        association=completion.association,
        kind="training",
        occurred_on=completion.completed_on,
        status="verified",
        source="courses",
        hours=completion.hours,
        areas=completion.area_list,
        tags=training.tag_list if training else (),
        label=completion.label,
        source_ref=f"completion:{completion.id}",
        details={"provider": training.provider if training else completion.provider},
        actor=actor,
    )


def check_completion_values(
    training: Training | None,
    completed_on: dt.date,
    hours: float,
    areas: Iterable[str] | None,
    today: dt.date | None = None,
) -> tuple[float, list[str]]:
    """Check date, hours and areas against the training; return (hours, sorted areas)."""
    today = today or dt.date.today()
    if completed_on > today:
        raise CourseError(f"{completed_on.isoformat()} is in the future.", "completed_on")
    if completed_on < ledger.EARLIEST:
        raise CourseError(f"{completed_on.isoformat()} is too long ago.", "completed_on")
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        raise CourseError("Hours must be a number.", "hours") from None
    if not math.isfinite(hours) or hours <= 0:
        raise CourseError("Hours must be a finite number above zero.", "hours")
    if training is not None and hours > training.hours + 1e-9:
        raise CourseError(
            f"{hours:g} is more than the training's {training.hours:g} hours.", "hours"
        )
    if training is None and hours > MAX_HOURS:
        raise CourseError(f"Hours above {MAX_HOURS:g} cannot be right.", "hours")
    chosen = sorted({a for a in (areas or ()) if a})
    if training is not None:
        if not chosen:
            chosen = sorted(training.area_set)
        stray = sorted(set(chosen) - training.area_set)
        if stray:
            raise CourseError(f"{', '.join(stray)} not among this training's areas.", "areas")
    return hours, chosen


def live_completion(clinician_id: int, training_id: int, completed_on: dt.date):
    return Completion.get_or_none(
        (Completion.clinician == clinician_id)
        & (Completion.training == training_id)
        & (Completion.completed_on == completed_on)
        & Completion.live.is_null(False)
    )


@transactional
def record_completion(
    actor: Actor,
    *,
    clinician: User,
    training: Training,
    completed_on: dt.date,
    hours: float | None = None,
    areas: Iterable[str] | None = None,
    source: str,
    session: Session | None = None,
    external_id: str | None = None,
    today: dt.date | None = None,
) -> tuple[Completion, bool]:
    """Record a verified completion and its ledger row; return (row, created).

    Idempotent by natural key: the same clinician, training and date returns the live row.
    """
    check_record(actor, training)
    _check_clinician(training.association_id, clinician.id)
    refuse_own_record(actor, clinician.id)
    hours, chosen = check_completion_values(
        training, completed_on, training.hours if hours is None else hours, areas, today
    )
    existing = live_completion(clinician.id, training.id, completed_on)
    if existing is not None:
        return existing, False
    completion = Completion.create(
        clinician=clinician,
        association=training.association_id,
        training=training,
        session=session,
        completed_on=completed_on,
        hours=hours,
        areas=",".join(chosen),
        source=source,
        status="verified",
        external_id=external_id,
        created_by=actor.user,
        decided_by=actor.user,
    )
    completion.evidence = _evidence_for(completion, actor.user)
    completion.save(only=[Completion.evidence])
    audit.record(
        "completion.record",
        completion,
        actor=actor.user,
        association_id=training.association_id,
        after=_snapshot(completion),
    )
    return completion, True


def _snapshot(c: Completion) -> dict[str, Any]:
    return audit.snapshot(
        c,
        "clinician",
        "training",
        "session",
        "completed_on",
        "hours",
        "areas",
        "source",
        "status",
        "external_id",
        "evidence",
    )


@transactional
def record_roster(
    actor: Actor,
    session: Session,
    clinician_ids: Iterable[int],
    *,
    completed_on: dt.date | None = None,
) -> list[tuple[Completion, bool]]:
    """Record every ticked attendee of a session as a verified completion, in one action."""
    training = session.training
    check_record(actor, training)
    ids = sorted(set(clinician_ids))
    if not ids:
        raise CourseError("Tick at least one attendee.", "attendees")
    if actor.user.id in ids:
        refuse_own_record(actor, actor.user.id, "attendees")
    if session.capacity is not None and len(ids) > session.capacity:
        raise CourseError(
            f"{len(ids)} attendees are more than the session's capacity of {session.capacity}.",
            "attendees",
        )
    when = completed_on or session.ends_on
    users = {u.id: u for u in clinicians_of(training.association).where(User.id.in_(ids))}
    if len(users) != len(ids):
        raise CourseError("Someone ticked is not a clinician of this association.", "attendees")
    return [
        record_completion(
            actor,
            clinician=users[i],
            training=training,
            completed_on=when,
            source="roster",
            session=session,
        )
        for i in ids
    ]


def get_completion(actor: Actor, completion_id: int, capability: str) -> Completion:
    completion = Completion.get_or_none(Completion.id == completion_id)
    if completion is None:
        raise NotFound()
    _in_association(actor, capability, completion.association_id)
    return completion


def _close(completion: Completion, status: str, reason: str, actor: User | None) -> None:
    updated = (
        Completion.update(status=status, live=None, reason=reason, decided_by=actor)
        .where((Completion.id == completion.id) & (Completion.status == completion.status))
        .execute()
    )
    if not updated:
        raise CourseError("This completion changed in the meantime; reload.", "status")
    completion.status, completion.live, completion.reason = status, None, reason


@transactional
def void_completion(completion: Completion, *, reason: str, actor: User | None) -> Completion:
    """Void a completion and its ledger row; the row stays, with the reason."""
    if completion.status == "void":
        raise CourseError("This completion is already void.", "status")
    if not reason.strip():
        raise CourseError("Say why the completion is voided.", "reason")
    before = completion.status
    _close(completion, "void", reason.strip(), actor)
    evidence = _live_evidence(completion)
    if evidence is not None:
        ledger.void(evidence, reason=reason.strip(), actor=actor)
    audit.record(
        "completion.void",
        completion,
        actor=actor,
        association_id=completion.association_id,
        before={"status": before},
        after={"status": "void", "reason": reason.strip()},
    )
    return completion


def _live_evidence(completion: Completion) -> Evidence | None:
    if completion.evidence_id:
        row = Evidence.get_or_none(Evidence.id == completion.evidence_id)
    else:  # bulk imports link the ledger row by source_ref
        row = (
            Evidence.select()
            .where(
                (Evidence.source == "courses")
                & (Evidence.source_ref == f"completion:{completion.id}")
            )
            .first()
        )
    return row if row is not None and row.status != "void" else None


# --- corrections -------------------------------------------------------------------------------

MAX_REASON = 500


def may_correct(actor: Actor, completion: Completion) -> bool:
    """Coordinators correct any completion of their association, trainers their trainings'."""
    if not actor.can("courses:record_completion", completion.association_id):
        return False
    if is_manager(actor, completion.association_id):
        return True
    return completion.training_id is not None and may_record(actor, completion.training)


def check_correct(actor: Actor, completion: Completion) -> None:
    """Let the actor correct or void this completion: 404 elsewhere, 403 if not theirs."""
    _in_association(actor, "courses:view_catalogue", completion.association_id)
    if not may_correct(actor, completion):
        raise Forbidden()
    refuse_own(
        actor,
        completion.clinician_id,
        "correct your own training",
        error=CourseError,
        field="status",
        then=RECORD_OTHERS,
    )
    if completion.status != "verified":
        raise CourseError(
            "Only a verified completion can be corrected or voided; this one is "
            f"{completion.status}.",
            "status",
        )


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise CourseError("Say why; the clinician sees the reason.", "reason")
    if len(reason) > MAX_REASON:
        raise CourseError(f"Keep the reason to {MAX_REASON} characters.", "reason")
    return reason


def _framework_areas(association: Association) -> set[str] | None:
    from competencies.frameworks import area_infos, framework_for

    framework = framework_for(association)
    return {a.id for a in area_infos(framework)} if framework else None


def corrected_values(
    completion: Completion,
    *,
    completed_on: dt.date | None,
    hours: float | None,
    areas: Iterable[str] | None,
    today: dt.date | None = None,
) -> tuple[dt.date, float, list[str]]:
    """Check a correction against the training; return (date, hours, sorted areas).

    Values left None keep the recorded ones. The hours must be above zero and at most the
    training's, the date not in the future, the areas among the training's (for a training
    outside the catalogue: among the framework's), and something must change.
    """
    training = completion.training if completion.training_id else None
    when = completion.completed_on if completed_on is None else completed_on
    chosen = (
        completion.area_list
        if areas is None
        else sorted({a.strip() for a in areas if a and a.strip()})
    )
    if training is not None and training.area_set and not chosen:
        raise CourseError("Choose at least one of the training's areas.", "areas")
    new_hours, chosen = check_completion_values(
        training, when, completion.hours if hours is None else hours, chosen, today
    )
    if training is None and areas is not None:
        known = _framework_areas(completion.association)
        stray = sorted(set(chosen) - known) if known is not None else []
        if stray:
            raise CourseError(f"{', '.join(stray)} not in the competency framework.", "areas")
    if (when, new_hours, chosen) == (
        completion.completed_on,
        completion.hours,
        completion.area_list,
    ):
        raise CourseError(
            "Nothing differs from the recorded completion: change a value, or void it.",
            "completion",
        )
    if training is not None and when != completion.completed_on:
        clash = live_completion(completion.clinician_id, training.id, when)
        if clash is not None:
            raise CourseError(
                f"{training.title} is already recorded for this clinician on "
                f"{when.isoformat()}; correct or void that one instead.",
                "completed_on",
            )
    return when, new_hours, chosen


@transactional
def correct_completion(
    actor: Actor,
    completion: Completion,
    *,
    reason: str,
    completed_on: dt.date | None = None,
    hours: float | None = None,
    areas: Iterable[str] | None = None,
    today: dt.date | None = None,
) -> Completion:
    """Void a verified completion and record its corrected replacement, atomically.

    Nothing is deleted: the old completion becomes void with the reason, the new one
    `replaces` it, and its ledger row is corrected through the ledger (the old row voided, a
    new one written that replaces it). Values left None stay as recorded.
    """
    check_correct(actor, completion)
    reason = _reason(reason)
    when, new_hours, chosen = corrected_values(
        completion, completed_on=completed_on, hours=hours, areas=areas, today=today
    )
    evidence = _live_evidence(completion)
    before = _snapshot(completion)
    _close(completion, "void", reason, actor.user)
    new = Completion.create(
        clinician=completion.clinician_id,
        association=completion.association_id,
        training=completion.training_id,
        session=completion.session_id,
        title=completion.title,
        provider=completion.provider,
        completed_on=when,
        hours=new_hours,
        areas=",".join(chosen),
        source=completion.source,
        status="verified",
        external_id=completion.external_id,
        replaces=completion,
        created_by=actor.user,
        decided_by=actor.user,
    )
    if evidence is not None:
        new.evidence = ledger.correct(
            evidence,
            reason=reason,
            actor=actor.user,
            occurred_on=when,
            hours=new_hours,
            areas=chosen,
            source_ref=f"completion:{new.id}",
        )
    else:  # recorded before the ledger knew it: write its row now
        new.evidence = _evidence_for(new, actor.user)
    new.save(only=[Completion.evidence])
    audit.record(
        "completion.correct",
        new,
        actor=actor.user,
        association_id=completion.association_id,
        before={"completion": completion.id, **before},
        after={**_snapshot(new), "replaces": completion.id, "reason": reason},
    )
    return new


@transactional
def void_recorded_completion(actor: Actor, completion: Completion, *, reason: str) -> Completion:
    """Void a verified completion (and its ledger row) on a coordinator's or trainer's word."""
    check_correct(actor, completion)
    return void_completion(completion, reason=_reason(reason), actor=actor.user)


def latest_version(completion: Completion) -> Completion:
    """Return the completion that now stands for this one: itself, or its last correction."""
    current = completion
    for _ in range(1000):  # a chain of corrections; the bound only guards against a cycle
        successor = Completion.get_or_none(Completion.replaces == current.id)
        if successor is None:
            break
        current = successor
    return current


def correction_history(completions: Iterable[Completion]) -> dict[int, Completion]:
    """Map the id of each corrected completion to the one that replaced it (no queries)."""
    return {c.replaces_id: c for c in completions if c.replaces_id is not None}


# --- self-reports ------------------------------------------------------------------------------


def may_verify(actor: Actor, completion: Completion) -> bool:
    """Coordinators verify any self-report of their association; trainers their trainings'."""
    if not actor.can("courses:verify_self_reports", completion.association_id):
        return False
    if is_manager(actor, completion.association_id):
        return True
    return completion.training_id is not None and completion.training.owner_id == actor.user.id


def pending_self_reports(actor: Actor) -> pw.ModelSelect:
    """Return the self-reports waiting for this actor's decision (never the actor's own)."""
    ids = actor.association_ids("courses:verify_self_reports")
    query = Completion.select().where(
        (Completion.status == "pending")
        & (Completion.source == "self-report")
        & (Completion.clinician != actor.user.id)
    )
    if ids is not None:
        managed = [a for a in ids if is_manager(actor, a)]
        own = Completion.training.in_(
            Training.select(Training.id).where(Training.owner == actor.user)
        )
        query = query.where(
            Completion.association.in_(managed) | (Completion.association.in_(ids) & own)
        )
    return query.order_by(Completion.created_at)


@transactional
def decide(actor: Actor, completion: Completion, *, accept: bool, reason: str = "") -> Completion:
    """Verify (writing the ledger row) or reject (with a reason the clinician sees)."""
    if not may_verify(actor, completion):
        raise Forbidden()
    if completion.status != "pending":
        raise CourseError("Only a pending training can be verified or rejected.", "status")
    refuse_own(
        actor,
        completion.clinician_id,
        "verify your own training",
        error=CourseError,
        field="status",
        then="it stays pending for a trainer or coordinator",
    )
    if not accept and not reason.strip():
        raise CourseError("Say why the training is rejected; the clinician sees it.", "reason")
    if accept:
        updated = (
            Completion.update(status="verified", decided_by=actor.user, reason=reason.strip())
            .where((Completion.id == completion.id) & (Completion.status == "pending"))
            .execute()
        )
        if not updated:
            raise CourseError("Someone decided on this training in the meantime.", "status")
        completion.status = "verified"
        completion.evidence = _evidence_for(completion, actor.user)
        completion.save(only=[Completion.evidence])
    else:
        _close(completion, "rejected", reason.strip(), actor.user)
    audit.record(
        "completion.verify" if accept else "completion.reject",
        completion,
        actor=actor.user,
        association_id=completion.association_id,
        before={"status": "pending"},
        after={"status": completion.status, "reason": reason.strip()},
    )
    return completion
