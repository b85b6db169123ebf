"""The catalogue: trainings, their sessions and prerequisites, and searching it.

Every write is one audited transaction; permission checks are in courses.access.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import peewee as pw

from courses.access import check_manage, in_association
from courses.errors import CourseError
from courses.models import FORMATS, Completion, Prerequisite, Session, SessionTrainer, Training
from lms import audit
from lms.db import transactional
from lms.models import Association, Membership
from lms.permissions import Actor

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
TAG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_HOURS = 2000.0


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
    in_association(actor, "courses:manage_trainings", association.id)
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
