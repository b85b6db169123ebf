"""Assignment and Grade Services: post each linked learner's endorsement progress (0-100).

A ledger write only queues its clinician (`lti_gradejob`, inside the write's transaction, an
insert that never fails on a duplicate); `flask --app lms lti push-grades` (cron, every few
minutes) drains the queue in batches, outside any request. Each learner is evaluated once and
posted to every course they are a member of that has a line-item endpoint; a failure keeps the
job and retries it later, with backoff doubling from one minute up to six hours.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing as t
from dataclasses import dataclass

import peewee as pw
import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from lms.db import db
from lms.models import User, utcnow
from lti.models import Context, GradeJob, Member, Platform, PostedScore
from lti.services import enqueue_grades
from lti.tool import registration_of, requests_session

LINE_ITEM_LABEL = "IMH endorsement progress"
LINE_ITEM_TAG = "imh-endorsement-progress"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
MAX_BACKOFF = dt.timedelta(hours=6)
BATCH = 200
log = logging.getLogger(__name__)


def on_evidence(evidence, **_: object) -> None:
    """Queue the grade of a linked learner whose ledger changed (inside the ledger write)."""
    try:
        with db.atomic():  # a savepoint: a failure here must not undo the ledger write
            linked = Member.select().where((Member.user == evidence.clinician_id) & Member.learner)
            if linked.exists():
                enqueue_grades([evidence.clinician_id])
    except pw.DatabaseError:
        log.exception("Could not queue the LTI grade of clinician %s", evidence.clinician_id)


@dataclass(frozen=True)
class Progress:
    score: int  # 0-100
    comment: str


def progress_of(user: User, association_id: int, today: dt.date | None = None) -> Progress:
    """Return the learner's progress toward their newest open pathway in the association,
    with a comment naming what is missing."""
    from competencies.pathways import evaluate_pathways, open_pathways

    today = today or dt.date.today()
    pathways = [p for p in open_pathways(user) if p.association_id == association_id]
    if not pathways:
        return Progress(0, "No pathway started yet: choose a category on IMH Pathway.")
    result = evaluate_pathways(pathways[:1], today)[0].result
    score = max(0, min(100, round(result.progress * 100)))
    if result.ready:
        return Progress(100, f"Every requirement of {result.category_name} is met.")
    missing = [task for leaf in result.leaves() for task in leaf.missing]
    comment = f"{result.category_name}: {score} %. Missing: " + "; ".join(missing)
    return Progress(score, comment[:1000])


def _service(context: Context) -> AssignmentsGradesService:
    connector = ServiceConnector(registration_of(context.platform), requests_session())
    endpoint = {"lineitems": context.lineitems_url, "scope": context.ags_scopes.split()}
    return AssignmentsGradesService(connector, endpoint)


def _post(context: Context, sub: str, progress: Progress) -> str:
    """Post one score; return the line item's URL."""
    service = _service(context)
    lineitem = service.find_or_create_lineitem(
        LineItem()
        .set_label(LINE_ITEM_LABEL)
        .set_tag(LINE_ITEM_TAG)
        .set_score_maximum(100)
        .set_resource_id(LINE_ITEM_TAG),
        find_by="tag",
    )
    grade = (
        Grade()
        .set_score_given(progress.score)
        .set_score_maximum(100)
        .set_comment(progress.comment)
        .set_timestamp(utcnow().replace(tzinfo=dt.UTC).isoformat())
        .set_activity_progress("Completed" if progress.score >= 100 else "InProgress")
        .set_grading_progress("FullyGraded")
        .set_user_id(sub)
    )
    service.put_grade(grade, lineitem)
    return lineitem.get_id() or context.lineitems_url


@dataclass
class PushReport:
    posted: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] | None = None


def push_grades(now: dt.datetime | None = None, limit: int = BATCH) -> PushReport:
    """Post the queued learners' progress; keep and back off the jobs that failed."""
    now = now or utcnow()
    report = PushReport(errors=[])
    jobs = list(
        GradeJob.select().where(GradeJob.due_at <= now).order_by(GradeJob.due_at).limit(limit)
    )
    for job in jobs:
        errors = _push_one(job.user_id, report)
        with db.atomic():
            if errors:
                attempts = job.attempts + 1
                wait = min(dt.timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)
                GradeJob.update(
                    attempts=attempts, due_at=now + wait, last_error="; ".join(errors)[:2000]
                ).where(GradeJob.id == job.id).execute()
                report.errors.extend(errors)
            else:
                GradeJob.delete().where(
                    (GradeJob.id == job.id) & (GradeJob.created_at == job.created_at)
                ).execute()
    return report


def _push_one(user_id: int, report: PushReport) -> list[str]:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return []
    members = list(
        Member.select(Member, Context, Platform)
        .join(Context)
        .join(Platform)
        .where((Member.user == user) & Member.learner & (Context.lineitems_url != ""))
    )
    errors: list[str] = []
    by_association: dict[int, Progress] = {}
    for member in members:
        context = member.context
        if SCORE_SCOPE not in context.ags_scopes.split():
            continue
        association_id = context.platform.association_id
        if association_id not in by_association:
            by_association[association_id] = progress_of(user, association_id)
        progress = by_association[association_id]
        last = PostedScore.get_or_none(
            (PostedScore.context == context) & (PostedScore.user == user)
        )
        if last is not None and (last.score, last.comment) == (progress.score, progress.comment):
            report.unchanged += 1
            continue
        try:
            lineitem_url = _post(context, member.sub, progress)
        except (LtiException, LtiServiceException, requests.RequestException, ValueError) as exc:
            report.failed += 1
            errors.append(f"course {context.context_id} on {context.platform.issuer}: {exc}")
            continue
        with db.atomic():
            values = {
                "lineitem_url": lineitem_url[:500],
                "score": progress.score,
                "comment": progress.comment,
                "posted_at": utcnow(),
            }
            if last is None:
                PostedScore.create(context=context, user=user, **values)
            else:
                PostedScore.update(**values).where(PostedScore.id == last.id).execute()
        report.posted += 1
    return errors


def pending() -> t.Iterable[GradeJob]:
    return GradeJob.select().order_by(GradeJob.due_at)
