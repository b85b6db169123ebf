"""Completions the LMS reports: a "Training completion" placed in a course has a line item; when
the LMS gives a learner the full score on it (the instructor marks the activity complete, or the
LMS's activity completion grades it), the tool reads it through the AGS results service and
records the training's completion for the linked clinician.

The completion is recorded in the name of the instructor who placed the activity (the context's
`bound_by`), through the same service as a trainer's roster: their right to record the training
and the separation of duties are checked each time. One completion per learner and course: the
external id `lti:<context>:<sub>` keeps a second pull from recording it again. Run by
`flask --app lms lti pull-completions` (cron) and by the instructor's "Fetch" button; each
then re-evaluates the readiness rows of the clinicians it recorded for
(`competencies.reevaluate.after_commit`: in the command, or in a background job).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from courses.completions import record_completion
from courses.errors import CourseError
from courses.models import Completion, Training
from lms.errors import Forbidden, NotFound
from lms.models import User
from lms.permissions import actor_for
from lti.models import Context, Member, Platform
from lti.tool import registration_of, requests_session

TAG = "imh-training-completion"
RESULT_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SOURCE = "lti"
log = logging.getLogger(__name__)


def line_item(training: Training) -> LineItem:
    """The line item of a "Training completion": full score (1 of 1) means complete."""
    return (
        LineItem()
        .set_label(f"Training completion: {training.title}")
        .set_tag(TAG)
        .set_resource_id(f"imh-training-{training.code}")
        .set_score_maximum(1)
    )


@dataclass
class PullReport:
    courses: int = 0
    recorded: int = 0
    already: int = 0  # complete, and recorded by an earlier pull
    unlinked: int = 0  # complete, but the learner has no linked account yet
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    written: list[tuple[int, int]] = field(default_factory=list)  # (association, clinician)


def _external_id(context: Context, sub: str) -> str:
    return f"lti:{context.id}:{sub}"[:200]


def is_complete(result: dict) -> bool:
    """A result is a completion when its score reaches its maximum (1 when not given)."""
    try:
        score = float(result.get("resultScore"))
        maximum = float(result.get("resultMaximum") or 1)
    except (TypeError, ValueError):
        return False
    return maximum > 0 and score >= maximum


def _results(context: Context, training: Training) -> list[dict]:
    connector = ServiceConnector(registration_of(context.platform), requests_session())
    service = AssignmentsGradesService(
        connector, {"lineitems": context.lineitems_url, "scope": context.ags_scopes.split()}
    )
    wanted = line_item(training)  # found by its resource id: one per training, if rebound
    if service.can_create_lineitem():
        item = service.find_or_create_lineitem(wanted, find_by="resource_id")
    else:  # read-only line items: the platform made it from the content item, or nobody did
        item = service.find_lineitem_by_resource_id(wanted.get_resource_id())
        if item is None:
            return []
    return [r for r in service.get_grades(item) if isinstance(r, dict)]


def pull_context(context: Context, report: PullReport, today: dt.date | None = None) -> None:
    """Read one course's completion results and record the new completions."""
    training = context.training
    where = f"course {context.context_id} on {context.platform.issuer}"
    try:
        results = _results(context, training)
    except (LtiException, LtiServiceException, requests.RequestException, ValueError) as exc:
        report.failed += 1
        report.errors.append(f"{where}: {exc}")
        return
    report.courses += 1
    complete = {str(r.get("userId")) for r in results if is_complete(r)}
    if not complete:
        return
    members = {
        m.sub: m
        for m in Member.select().where(
            (Member.context == context) & Member.learner & Member.sub.in_(sorted(complete))
        )
    }
    actor = actor_for(context.bound_by)
    for sub in sorted(complete):
        member = members.get(sub)
        if member is None or member.user_id is None:
            report.unlinked += 1
            continue
        external_id = _external_id(context, sub)
        if (
            Completion.select()
            .where(
                (Completion.association == training.association_id)
                & (Completion.source == SOURCE)
                & (Completion.external_id == external_id)
                & Completion.live.is_null(False)
            )
            .exists()
        ):
            report.already += 1
            continue
        try:
            completion, _ = record_completion(
                actor,
                clinician=member.user,
                training=training,
                completed_on=today or dt.date.today(),
                source=SOURCE,
                external_id=external_id,
            )
        except (Forbidden, NotFound):
            report.failed += 1
            report.errors.append(
                f"{where}: {context.bound_by.display_name}, who placed the activity, may no "
                f"longer record {training.title}; nothing was recorded for {member.name or sub}."
            )
        except CourseError as exc:
            report.failed += 1
            report.errors.append(f"{where}: {member.name or sub}: {exc}")
        else:
            report.recorded += 1
            report.written.append((completion.association_id, completion.clinician_id))


def bound_contexts() -> list[Context]:
    """Courses with a "Training completion" whose LMS lets the tool read results."""
    return [
        c
        for c in Context.select(Context, Platform)
        .join(Platform)
        .switch(Context)
        .join(User, on=(Context.bound_by == User.id))
        .where(
            Context.training.is_null(False)
            & Context.bound_by.is_null(False)
            & (Context.lineitems_url != "")
        )
        .order_by(Context.id)
        if RESULT_SCOPE in c.ags_scopes.split()
    ]


def pull_completions(today: dt.date | None = None) -> PullReport:
    """Pull every bound course; one course's failure does not stop the others."""
    report = PullReport()
    for context in bound_contexts():
        pull_context(context, report, today)
    return report
