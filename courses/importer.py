"""Import completions from CSV: preview every row's outcome, then commit all or nothing.

Both steps stream the file through courses.csv_import.parse_completions; the commit parses
the file again (it never trusts what the preview showed) and writes in batches inside one
transaction, which any bad row rolls back. Memory holds one batch, not the file.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from competencies import ledger
from courses.access import MANAGERS, RECORD_OTHERS, RECORD_OWN, recordable_trainings
from courses.csv_import import (
    ClinicianRef,
    CsvFileError,
    RowOutcome,
    TrainingRef,
    parse_completions,
)
from courses.models import Completion, Training
from courses.trainings import missing_prerequisites
from lms import audit
from lms.db import db, insert_rows, transactional
from lms.duties import own_refusal
from lms.models import Association, Membership, User, utcnow
from lms.permissions import Actor

BATCH = 2000
SHOWN_ROWS = 500  # rows listed on the preview page
KEPT_ERRORS = 10_000  # bad rows kept for the report; the count covers the rest
MAX_FILE_BYTES = 40 * 1024 * 1024


@dataclass
class RowView:
    """One row as the preview shows it."""

    line: int
    email: str
    training_code: str
    date: dt.date | None
    hours: float | None
    outcome: str  # "new" | "already recorded" | "not completed" | "error"
    errors: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # prerequisite titles


@dataclass
class Report:
    """What an import found (preview) or did (commit)."""

    rows: list[RowView] = field(default_factory=list)
    bad_rows: list[RowView] = field(default_factory=list)
    file_errors: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0
    new: int = 0
    existing: int = 0
    skipped: int = 0
    bad: int = 0
    flagged: int = 0
    written: int = 0
    clinicians: set[int] = field(default_factory=set)  # ids of those written for

    @property
    def ok(self) -> bool:
        return not self.bad and not self.file_errors


class ImportRejected(ValueError):
    """The file has problems; nothing was written. `report` lists them."""

    def __init__(self, report: Report):
        super().__init__(f"{report.bad} bad row(s), {len(report.file_errors)} file problem(s)")
        self.report = report


class _Lookups:
    """Clinicians and trainings of the importer's association, loaded once per import."""

    def __init__(self, actor: Actor, association: Association):
        self.association = association
        self.clinicians = {
            email: ClinicianRef(uid, email, True)
            for uid, email in User.select(User.id, User.email)
            .join(Membership)
            .where((Membership.association == association) & (Membership.role == "clinician"))
            .tuples()
        }
        self.trainings = {t.code: t for t in recordable_trainings(actor, association)}
        # Nobody records their own training: the importer's own rows are row errors.
        own = self.clinicians.get(actor.user.email)
        refused = own and own_refusal(actor, own.id, RECORD_OWN, RECORD_OTHERS)
        if refused:
            self.clinicians[own.email] = ClinicianRef(own.id, own.email, True, refused)

    def clinician(self, email: str) -> ClinicianRef | None:
        # Only this association's clinicians: whether an account exists elsewhere is not asked.
        return self.clinicians.get(email)

    def training(self, code: str) -> TrainingRef | None:
        t = self.trainings.get(code)
        return None if t is None else TrainingRef(t.id, t.code, t.hours, t.area_set)


def _outcomes(
    lookups: _Lookups, stream: BinaryIO, training_code: str | None, today: dt.date
) -> Iterator[RowOutcome]:
    return parse_completions(
        stream,
        lookup_clinician=lookups.clinician,
        lookup_training=lookups.training,
        today=today,
        max_bytes=MAX_FILE_BYTES,
        default_training_code=training_code or None,
    )


def _in_list(values: set) -> tuple[str, list]:
    return ", ".join([db.param] * len(values)), sorted(values)


def _existing(batch: list[tuple[RowOutcome, str]]) -> set[tuple[int, int, str]]:
    """Return the natural keys (clinician, training, ISO date) of this batch already held by
    live completions, in one query (raw: peewee building and converting cost more)."""
    if not batch:
        return set()
    clinicians, c_args = _in_list({o.clinician.id for o, _ in batch})
    trainings, t_args = _in_list({o.training.id for o, _ in batch})
    dates, d_args = _in_list({day for _, day in batch})
    cursor = db.execute_sql(
        f"SELECT clinician_id, training_id, completed_on FROM {Completion._meta.table_name}"
        f" WHERE clinician_id IN ({clinicians}) AND training_id IN ({trainings})"
        f" AND completed_on IN ({dates}) AND live IS NOT NULL",
        (*c_args, *t_args, *d_args),
    )
    return {(c, t, str(on)[:10]) for c, t, on in cursor}


def _view(o: RowOutcome, outcome: str) -> RowView:
    return RowView(
        o.line,
        o.email,
        o.training_code,
        o.date,
        o.hours,
        outcome,
        [(e.column, e.message) for e in o.errors],
    )


def _scan(
    actor: Actor,
    association: Association,
    stream: BinaryIO,
    *,
    training_code: str | None,
    today: dt.date,
    write: bool,
) -> Report:
    report = Report()
    lookups = _Lookups(actor, association)
    import_ref = uuid.uuid4().hex
    now = utcnow()
    done_in_file: set[tuple[int, int]] = set()

    def flush(rows: list[RowOutcome]) -> None:
        batch = [(o, o.date.isoformat()) for o in rows]  # (row, ISO date), formatted once
        existing = _existing(batch)
        fresh = []
        for o, day in batch:
            if (o.clinician.id, o.training.id, day) in existing:
                report.existing += 1
                if len(report.rows) < SHOWN_ROWS:
                    report.rows.append(_view(o, "already recorded"))
            else:
                fresh.append((o, day))
        report.new += len(fresh)
        if not write:
            pairs = [(o.clinician.id, o.training.id) for o, _ in fresh]
            flags = missing_prerequisites(pairs, done_in_file)
            done_in_file.update(pairs)
            for o, _ in fresh:
                missing = flags.get((o.clinician.id, o.training.id), [])
                report.flagged += bool(missing)
                if len(report.rows) < SHOWN_ROWS:
                    view = _view(o, "new")
                    view.missing = [t.title for t in missing]
                    report.rows.append(view)
        elif fresh and not report.bad:
            _insert_completions(fresh, association, actor, import_ref, now)
            report.written += len(fresh)
            report.clinicians.update(o.clinician.id for o, _ in fresh)

    try:
        batch: list[RowOutcome] = []
        for o in _outcomes(lookups, stream, training_code, today):
            report.total += 1
            if o.errors:
                report.bad += 1
                if len(report.bad_rows) < KEPT_ERRORS:
                    report.bad_rows.append(_view(o, "error"))
                if len(report.rows) < SHOWN_ROWS:
                    report.rows.append(_view(o, "error"))
                continue
            if o.skipped:
                report.skipped += 1
                if len(report.rows) < SHOWN_ROWS:
                    report.rows.append(_view(o, o.skipped))
                continue
            batch.append(o)
            if len(batch) >= BATCH:
                flush(batch)
                batch = []
        flush(batch)
    except CsvFileError as exc:
        report.file_errors = [(p.where, p.message) for p in exc.errors]
    if write and report.ok and report.written:
        _write_evidence(association, actor, import_ref, report)
    return report


_FIELDS = (
    Completion.clinician,
    Completion.association,
    Completion.training,
    Completion.completed_on,
    Completion.hours,
    Completion.areas,
    Completion.source,
    Completion.status,
    Completion.live,
    Completion.external_id,
    Completion.import_ref,
    Completion.created_by,
    Completion.decided_by,
    Completion.created_at,
    Completion.title,
    Completion.provider,
    Completion.reason,
)


def _insert_completions(
    rows: list[tuple[RowOutcome, str]],
    association: Association,
    actor: Actor,
    ref: str,
    now: dt.datetime,
) -> None:
    """Insert one batch through `insert_rows`, which skips peewee's per-value query
    building (it cost more than the whole rest of the import). Values are already validated
    and typed by the parser.
    """
    user_id = actor.user.id
    created = str(now)
    values = [
        (
            o.clinician.id,
            association.id,
            o.training.id,
            day,
            o.hours,
            ",".join(sorted(o.areas)),
            "csv",
            "verified",
            1,
            o.external_id,
            ref,
            user_id,
            user_id,
            created,
            "",
            "",
            "",
        )
        for o, day in rows
    ]
    insert_rows(Completion._meta.table_name, [f.column_name for f in _FIELDS], values)


def _write_evidence(association: Association, actor: Actor, ref: str, report: Report) -> None:
    """Write the ledger rows of the imported completions, reading them back in id chunks."""
    by_id = {
        t.id: (t.tag_list, t.title, ledger.encode_details({"provider": t.provider}))
        for t in Training.select().where(Training.association == association)
    }

    def rows():
        p = db.param
        sql = (
            "SELECT id, clinician_id, training_id, completed_on, hours, areas"
            f" FROM {Completion._meta.table_name} WHERE import_ref = {p} AND id > {p}"
            f" ORDER BY id LIMIT {BATCH}"
        )
        last = 0
        while True:
            chunk = db.execute_sql(sql, (ref, last)).fetchall()  # raw: no per-value conversion
            if not chunk:
                return
            for cid, clinician_id, training_id, on, hours, areas in chunk:
                t = by_id[training_id]
                yield {
                    "clinician_id": clinician_id,
                    "kind": "training",
                    "occurred_on": on,  # a date, or its ISO text from SQLite: stored as is
                    "hours": hours,
                    "status": "verified",
                    "areas": areas.split(",") if areas else (),
                    "tags": t[0],
                    "label": t[1],
                    "source_ref": f"completion:{cid}",
                    "details": t[2],
                }
            last = chunk[-1][0]

    ledger.record_many(
        rows(),
        association=association,
        source="courses",
        actor=actor.user,
        summary={"import": ref},
    )
    # Link each completion to its ledger row in one statement.
    p = db.param
    db.execute_sql(
        "UPDATE courses_completion SET evidence_id = (SELECT e.id FROM competencies_evidence e"
        f" WHERE e.source = 'courses' AND e.source_ref = {p} || CAST(courses_completion.id AS"
        f" VARCHAR(20))) WHERE import_ref = {p}",
        ("completion:", ref),
    )
    audit.record(
        "completion.import",
        object_type=Completion._meta.table_name,
        object_id=ref,
        actor=actor.user,
        association_id=association.id,
        after={
            "rows": report.total,
            "written": report.written,
            "already_recorded": report.existing,
            "skipped": report.skipped,
        },
    )


def preview(
    actor: Actor,
    association: Association,
    stream: BinaryIO,
    *,
    training_code: str | None = None,
    today: dt.date | None = None,
) -> Report:
    """Parse the file and say what each row would become; write nothing."""
    _check(actor, association)
    return _scan(
        actor,
        association,
        stream,
        training_code=training_code,
        today=today or dt.date.today(),
        write=False,
    )


@transactional
def commit(
    actor: Actor,
    association: Association,
    stream: BinaryIO,
    *,
    training_code: str | None = None,
    today: dt.date | None = None,
) -> Report:
    """Write every new row and its ledger row, or nothing: raise ImportRejected on any problem."""
    _check(actor, association)
    report = _scan(
        actor,
        association,
        stream,
        training_code=training_code,
        today=today or dt.date.today(),
        write=True,
    )
    if not report.ok:
        raise ImportRejected(report)  # @transactional rolls back what was inserted
    return report


def reevaluate(actor: Actor, association: Association, report: Report, *, background: bool) -> str:
    """Re-evaluate the readiness rows an import made stale, once its transaction committed, so
    no report pays for them (`competencies.reevaluate.after_commit`): in a background job
    (return its id, for `lms.jobs.state`) or here (return what was done)."""
    from competencies.reevaluate import after_commit

    return after_commit(
        [(association.id, clinician_id) for clinician_id in report.clinicians],
        background=background,
        owner_id=actor.user.id,
        label="Readiness after your import",
    )


def _check(actor: Actor, association: Association) -> None:
    from lms.errors import NotFound

    if not actor.can("courses:import", association.id):
        raise NotFound()


__all__ = ["ImportRejected", "Report", "RowView", "commit", "preview", "MANAGERS"]
