"""Delete what the tool no longer needs: `flask --app lms lti purge` (cron, daily)."""

from __future__ import annotations

import datetime as dt

from lms import audit
from lms.db import transactional
from lms.models import utcnow
from lti.models import GradeJob, Launch, LaunchValue, UsedNonce

GRADE_JOB_DAYS = 30  # a learner's grade still failing after this long is given up


@transactional
def purge(now: dt.datetime | None = None, grade_job_days: int = GRADE_JOB_DAYS) -> dict[str, int]:
    """Delete expired launch values and launches, used nonces past their expiry, and grade
    jobs still failing after `grade_job_days`; return how many of each, and audit it.

    A used nonce's expiry already lies past its id_token's own `exp` plus the clock skew
    (lti.services.nonce_expiry), so no token it came with can be launched again once it is
    gone. A grade job that succeeds is deleted by push-grades; what is left is retried.
    """
    now = now or utcnow()
    counts = {
        "launch_values": LaunchValue.delete().where(LaunchValue.expires_at <= now).execute(),
        "launches": Launch.delete().where(Launch.expires_at <= now).execute(),
        "used_nonces": UsedNonce.delete().where(UsedNonce.expires_at <= now).execute(),
        "grade_jobs": GradeJob.delete()
        .where(GradeJob.created_at <= now - dt.timedelta(days=grade_job_days))
        .execute(),
    }
    if any(counts.values()):
        audit.record("lti.purge", object_type="lti", after=counts)
    return counts
