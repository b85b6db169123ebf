"""Work records become periods: each older single-date work row gets a start and an end.

Before, a work row said "`years` of work up to this date" (the form asked for the date of the
record: today, or when the job ended). It now carries ``start``, ``end`` (none: still going
on) and ``paid``. The sensible reading of an older row is the period of that length ending on
its date, paid (the work kinds that asked for it were paid work); ``years`` is kept beside it.
Rows that already have a start are left alone, so running this twice changes nothing.
"""

import calendar
import datetime as dt
import json


def _add_months(day: dt.date, months: int) -> dt.date:
    years, month0 = divmod(day.month - 1 + months, 12)
    last = calendar.monthrange(day.year + years, month0 + 1)[1]
    return dt.date(day.year + years, month0 + 1, min(day.day, last))


def period_of(end: dt.date, years: float) -> tuple[dt.date, dt.date]:
    """Return the first and last day of `years` of work ending on `end` (as the evaluator)."""
    months = max(years, 0.0) * 12
    whole = int(months)
    start = _add_months(end + dt.timedelta(days=1), -whole)
    start -= dt.timedelta(days=round((months - whole) * 365.25 / 12))
    return start, end


def up(migrator, db):
    rows = db.execute_sql(
        "SELECT id, occurred_on, details FROM competencies_evidence WHERE kind = 'work'"
    ).fetchall()
    for row_id, occurred_on, text in rows:
        details = json.loads(text) if text else {}
        if not isinstance(details, dict) or details.get("start"):
            continue
        end = (
            occurred_on if isinstance(occurred_on, dt.date) else dt.date.fromisoformat(occurred_on)
        )
        try:
            years = float(details.get("years") or 0)
        except (TypeError, ValueError):
            years = 0.0
        start, end = period_of(end, years)
        details.update(start=start.isoformat(), end=end.isoformat())
        details.setdefault("paid", details.get("kind") != "unpaid_infant_family")
        db.execute_sql(
            f"UPDATE competencies_evidence SET details = {db.param} WHERE id = {db.param}",
            (json.dumps(details, sort_keys=True, separators=(",", ":")), row_id),
        )
