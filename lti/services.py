"""What the LTI views do with launches: accept or refuse them, link accounts, deep linking,
roster pulls, the grade queue (platforms and the tool's URLs: lti.platforms). Each write is one
transaction with its audit row."""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

import peewee as pw

from courses.errors import CourseError
from courses.lms_accounts import canonical_home_page, link_from_lms
from courses.models import LmsAccount, Training
from lms import audit
from lms.db import db, transactional
from lms.errors import NotFound
from lms.models import Association, Membership, User, normalise_email, utcnow
from lms.permissions import Actor
from lti.models import Context, GradeJob, Launch, Member, Platform, UsedNonce
from lti.platforms import LtiError

LAUNCH_HOURS = 2  # a launch id serves the page it opened for this long
NONCE_DAYS = 2  # used nonces are kept at least this long ...
CLOCK_SKEW = dt.timedelta(minutes=5)  # ... and past their token's own expiry plus this
LEARNER_ROLES = ("clinician",)
STAFF_ROLES = ("trainer", "coordinator", "admin")
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
INSTRUCTOR_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
)


# --- launches -----------------------------------------------------------------------------------


@dataclass
class Accepted:
    """A launch the tool accepted: its row and the claims the pages need."""

    launch: Launch
    claims: dict[str, t.Any]


def is_instructor(roles: list[str]) -> bool:
    return any(r in INSTRUCTOR_ROLES for r in roles or [])


def _held(user: User, association: Association, roles: tuple[str, ...]) -> bool:
    return (
        Membership.select()
        .where(
            (Membership.user == user)
            & (Membership.association == association)
            & Membership.role.in_(roles)
        )
        .exists()
    )


def roles_for(role: str) -> tuple[str, ...]:
    return STAFF_ROLES if role == "instructor" else LEARNER_ROLES


def linked_user(platform: Platform, sub: str, role: str) -> User | None:
    """Return the account this association linked to the platform's user, if it fits the role."""
    link = LmsAccount.get_or_none(
        (LmsAccount.association == platform.association_id)
        & (LmsAccount.home_page == canonical_home_page(platform.issuer))
        & (LmsAccount.name == sub)
        & (LmsAccount.source != "claimed")
    )
    if link is None:
        return None
    user = User.get_or_none((User.id == link.user_id) & User.active)
    if user is None or not _held(user, platform.association, roles_for(role)):
        return None
    return user


def _by_trusted_email(platform: Platform, claims: dict[str, t.Any], role: str) -> User | None:
    email = normalise_email(str(claims.get("email") or ""))
    if not platform.trusted_email or not email:
        return None
    user = User.get_or_none((User.email == email) & User.active)
    if user is None or not _held(user, platform.association, roles_for(role)):
        return None
    return user


def _context(platform: Platform, claims: dict[str, t.Any]) -> Context | None:
    claim = claims.get(CLAIM + "context") or {}
    context_id = str(claim.get("id") or "")[:255]
    if not context_id:
        return None
    ags = claims.get(AGS_CLAIM) or {}
    nrps = claims.get(NRPS_CLAIM) or {}
    values = {
        "title": str(claim.get("title") or claim.get("label") or "")[:255],
        "updated_at": utcnow(),
    }
    if ags.get("lineitems"):
        values["lineitems_url"] = str(ags["lineitems"])[:500]
        values["ags_scopes"] = " ".join(ags.get("scope") or [])
    if nrps.get("context_memberships_url"):
        values["memberships_url"] = str(nrps["context_memberships_url"])[:500]
    context = Context.get_or_none(
        (Context.platform == platform) & (Context.context_id == context_id)
    )
    if context is None:
        return Context.create(platform=platform, context_id=context_id, **values)
    Context.update(**values).where(Context.id == context.id).execute()
    return Context.get_by_id(context.id)


def _member(context: Context, sub: str, name: str, learner: bool, user: User | None) -> None:
    row = Member.get_or_none((Member.context == context) & (Member.sub == sub))
    values = {"name": name[:255], "learner": learner, "updated_at": utcnow()}
    if user is not None:
        values["user"] = user
    if row is None:
        Member.create(context=context, sub=sub, **values)
    else:
        Member.update(**values).where(Member.id == row.id).execute()


def _link(platform: Platform, user: User, sub: str, role: str) -> None:
    try:
        link_from_lms(platform.association, user, platform.issuer, sub, roles=roles_for(role))
    except CourseError as exc:
        raise LtiError(str(exc), "sub") from exc


def nonce_expiry(claims: dict[str, t.Any], now: dt.datetime | None = None) -> dt.datetime:
    """Keep a used nonce until its id_token can no longer be accepted: past the token's `exp`
    plus the clock skew, and never less than NONCE_DAYS (`lti purge` deletes it after)."""
    now = now or utcnow()
    keep = now + dt.timedelta(days=NONCE_DAYS)
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            expires = dt.datetime.fromtimestamp(exp, dt.UTC).replace(tzinfo=None) + CLOCK_SKEW
        except (OverflowError, OSError, ValueError):
            expires = dt.datetime.max
        keep = max(keep, expires)
    return keep


class Replayed(LtiError):
    """The launch's nonce was used already."""


@transactional
def accept_launch(
    association: Association,
    platform: Platform,
    launch_id: str,
    claims: dict[str, t.Any],
) -> Accepted:
    """Record a launch PyLTI1p3 validated: use its nonce up, find or link the person."""
    if platform.association_id != association.id:  # ToolConf looks only in `association`
        raise LtiError("This platform is registered with another association.", "iss")
    nonce = str(claims.get("nonce") or "")
    try:
        with db.atomic():
            UsedNonce.create(
                platform=platform,
                nonce=nonce[:255],
                expires_at=nonce_expiry(claims),
            )
    except pw.IntegrityError:
        raise Replayed("This launch was used already; start it again from the course.") from None
    sub = str(claims.get("sub") or "")[:255]
    role = "instructor" if is_instructor(claims.get(CLAIM + "roles") or []) else "learner"
    kind = (
        "deep_link" if claims.get(CLAIM + "message_type") == "LtiDeepLinkingRequest" else "resource"
    )
    if kind == "deep_link" and role != "instructor":
        raise LtiError("Only a course's instructors can add this tool to it.", "roles")
    user = linked_user(platform, sub, role)
    how = "link" if user is not None else None
    if user is None:
        user = _by_trusted_email(platform, claims, role)
        if user is not None:
            _link(platform, user, sub, role)
            how = "trusted_email"
    context = _context(platform, claims)
    if context is not None:
        _member(context, sub, str(claims.get("name") or ""), role == "learner", user)
    row = Launch.create(
        launch_id=launch_id,
        platform=platform,
        context=context,
        sub=sub,
        role=role,
        kind=kind,
        user=user,
        expires_at=utcnow() + dt.timedelta(hours=LAUNCH_HOURS),
    )
    if user is not None and role == "learner":
        enqueue_grades([user.id])
    audit.record(
        "lti.launch",
        row,
        actor=user,
        association_id=association.id,
        after={
            "platform": platform.id,
            "sub": sub,
            "role": role,
            "kind": kind,
            "context": context.context_id if context else None,
            "user": user.id if user else None,
            "matched_by": how,
        },
    )
    return Accepted(row, claims)


@transactional
def refuse_launch(association: Association, reason: str, unverified: dict[str, t.Any]) -> None:
    """Write the audit row of a refused launch (its claims are as sent, not verified)."""
    audit.record(
        "lti.launch_refused",
        object_type="lti_launch",
        object_id="",
        association_id=association.id,
        after={
            "reason": reason[:300],
            "iss": str(unverified.get("iss") or "")[:300],
            "aud": str(unverified.get("aud") or "")[:300],
            "sub": str(unverified.get("sub") or "")[:300],
            "deployment_id": str(unverified.get(CLAIM + "deployment_id") or "")[:300],
        },
    )


def launch_by_id(launch_id: str | None) -> Launch:
    """Return an open launch by its id (the handle an LTI page posts back), else 404."""
    if not launch_id or len(launch_id) > 80:
        raise NotFound()
    row = Launch.get_or_none((Launch.launch_id == launch_id) & (Launch.expires_at > utcnow()))
    if row is None:
        raise NotFound()
    return row


@transactional
def confirm_link(launch: Launch, user: User) -> Launch:
    """Link the launch's platform account to a person who just proved their password."""
    platform = launch.platform
    if launch.user_id is not None:
        raise LtiError("This launch already knows who you are.", "email")
    if not _held(user, platform.association, roles_for(launch.role)):
        what = "a trainer or coordinator" if launch.role == "instructor" else "a clinician"
        raise LtiError(
            f"This account is not {what} of {platform.association.name}; sign in with the "
            "account your association gave you.",
            "email",
        )
    _link(platform, user, launch.sub, launch.role)
    Launch.update(user=user).where(Launch.id == launch.id).execute()
    if launch.context_id:
        Member.update(user=user).where(
            (Member.context == launch.context_id) & (Member.sub == launch.sub)
        ).execute()
    if launch.role == "learner":
        enqueue_grades([user.id])
    audit.record(
        "lti.link_confirm",
        launch,
        actor=user,
        association_id=platform.association_id,
        after={"platform": platform.id, "sub": launch.sub, "user": user.id},
    )
    launch.user = user
    return launch


# --- instructors: binding a course to a training, the roster ----------------------------------


def trainings_for(association: Association) -> list[Training]:
    return list(
        Training.select()
        .where((Training.association == association) & Training.active)
        .order_by(Training.title)
    )


@transactional
def bind_training(launch: Launch, training: Training | None, actor: Actor) -> None:
    """Bind the launch's course to one of the association's trainings (or unbind it)."""
    if launch.context_id is None:
        raise LtiError("The launch names no course.", "context")
    if training is not None and training.association_id != launch.platform.association_id:
        raise NotFound()
    if training is not None:
        from courses.access import check_record

        check_record(actor, training)
    Context.update(training=training, bound_by=actor.user if training else None).where(
        Context.id == launch.context_id
    ).execute()
    audit.record(
        "lti.context_bind",
        object_type="lti_context",
        object_id=launch.context_id,
        actor=actor.user,
        association_id=launch.platform.association_id,
        after={"training": training.id if training else None},
    )


@transactional
def store_roster(context: Context, members: list[dict[str, t.Any]], actor: User) -> dict:
    """Keep the course's roster (NRPS members) and match each learner to a linked clinician."""
    platform = context.platform
    home = canonical_home_page(platform.issuer)
    subs = [str(m.get("user_id") or "")[:255] for m in members if m.get("user_id")]
    links = {
        a.name: a.user_id
        for a in LmsAccount.select().where(
            (LmsAccount.association == platform.association_id)
            & (LmsAccount.home_page == home)
            & (LmsAccount.source != "claimed")
            & LmsAccount.name.in_(subs or [""])
        )
    }
    from courses.access import clinicians_of

    clinician_ids = {
        u.id
        for u in clinicians_of(platform.association)
        .select(User.id)
        .where(User.id.in_(list(links.values()) or [0]))
    }
    matched = unmatched = 0
    for m in members:
        sub = str(m.get("user_id") or "")[:255]
        if not sub or (m.get("status") or "Active") != "Active":
            continue
        learner = not is_instructor(m.get("roles") or []) and any(
            "Learner" in r for r in m.get("roles") or []
        )
        if not learner:
            continue
        user_id = links.get(sub)
        user = User.get_by_id(user_id) if user_id in clinician_ids else None
        _member(context, sub, str(m.get("name") or ""), True, user)
        if user is not None:
            matched += 1
        else:
            unmatched += 1
    audit.record(
        "lti.roster_pull",
        object_type="lti_context",
        object_id=context.id,
        actor=actor,
        association_id=platform.association_id,
        after={"matched": matched, "unmatched": unmatched},
    )
    return {"matched": matched, "unmatched": unmatched}


def roster_of(context: Context) -> list[Member]:
    return list(
        Member.select(Member, User)
        .join(User, pw.JOIN.LEFT_OUTER, on=(Member.user == User.id))
        .where((Member.context == context) & Member.learner)
        .order_by(Member.name)
    )


# --- grades (queue; lti.grades drains it) -------------------------------------------------------


def enqueue_grades(user_ids: t.Iterable[int]) -> None:
    """Ask for these learners' progress to be posted again (one pending job per learner).

    An insert that ignores an existing row: cheap enough for the ledger write's transaction.
    """
    now = utcnow()
    rows = [{"user": uid, "due_at": now, "created_at": now} for uid in dict.fromkeys(user_ids)]
    if rows:
        GradeJob.insert_many(rows).on_conflict_ignore().execute()
