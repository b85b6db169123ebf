"""Import completions from CSV: preview every row's outcome, then commit all or nothing.

Both steps stream the file through courses.csv_import.parse_completions; the commit parses
the file again (it never trusts what the preview showed) and writes in batches inside one
transaction, which any bad row rolls back: each batch's ledger rows, then its completions
pointing at them (`_Writer`). Memory holds one batch, not the file.
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
from courses.models import Completion
from courses.trainings import missing_prerequisites
from lms import audit
from lms.db import db, insert_rows, new_ids, transactional
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
    done_in_file: set[tuple[int, int]] = set()
    writer = _Writer(association, actor, lookups, import_ref) if write else None

    def flush(rows: list[RowOutcome]) -> None:
        batch = [(o, o.date.isoformat()) for o in rows]  # (row, ISO date), formatted once
        existing = _existing(batch)
        fresh = batch if not existing else []  # a new file's rows are all fresh: no loop
        for o, day in batch if existing else ():
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
            writer.write(fresh)
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
        writer.close(report)
    return report


# A completion's columns as the import writes them, besides its id (first) and its ledger row's
# (last); the benchmark's driver baseline writes the same ones.
COMPLETION_COLUMNS = (
    "clinician_id",
    "association_id",
    "training_id",
    "completed_on",
    "hours",
    "areas",
    "source",
    "status",
    "live",
    "external_id",
    "import_ref",
    "created_by_id",
    "decided_by_id",
    "created_at",
    "title",
    "provider",
    "reason",
)
_COLUMNS = ("id", *COMPLETION_COLUMNS, "evidence_id")


def _clinician_of(row: tuple[RowOutcome, str]) -> int:
    return row[0].clinician.id


class _Writer:
    """Write an import's completions and their ledger rows, batch by batch.

    Each batch's ids are reserved first (`lms.db.new_ids`), so its ledger rows are written
    knowing their completions' ids and the completions then knowing their ledger rows' ids:
    nothing is read back or updated. Values are already validated and typed by the parser;
    the rows go to the driver as tuples (`insert_rows`: peewee's per-value query building cost
    more than the whole rest of the import).
    """

    def __init__(self, association: Association, actor: Actor, lookups: _Lookups, ref: str):
        self.association, self.actor, self.ref = association, actor, ref
        self.created = str(utcnow())
        self.ledger = ledger.BulkWrite(association=association, source="courses", actor=actor.user)
        # What every ledger row of a training repeats: its tags, title and details.
        self.of_training = {
            t.id: (t.tag_list, t.title, ledger.encode_details({"provider": t.provider}))
            for t in lookups.trainings.values()
        }
        self.joined: dict[frozenset[str], str] = {}  # areas as the completion stores them

    def write(self, rows: list[tuple[RowOutcome, str]]) -> None:
        """Write these new rows (each with its date as ISO text) and their ledger rows.

        Clinician by clinician (ids follow that order within a batch): the rows then go into
        the indexes led by the clinician next to each other, which costs the database less
        than the file's order (a session's roster: every clinician once, then again).
        """
        rows = sorted(rows, key=_clinician_of)
        table = Completion._meta.table_name
        ids = new_ids(table, len(rows))
        of_training = self.of_training
        evidence_ids = self.ledger.write(
            [
                {
                    "clinician_id": o.clinician.id,
                    "kind": "training",
                    "occurred_on": day,
                    "hours": o.hours,
                    "status": "verified",
                    "areas": o.areas,
                    "tags": (t := of_training[o.training.id])[0],
                    "label": t[1],
                    "source_ref": f"completion:{id_}",
                    "details": t[2],
                }
                for id_, (o, day) in zip(ids, rows, strict=True)
            ]
        )
        association_id, ref, created = self.association.id, self.ref, self.created
        user_id = self.actor.user.id
        joined = self.joined
        values = []
        for id_, evidence_id, (o, day) in zip(ids, evidence_ids, rows, strict=True):
            areas = joined.get(o.areas)
            if areas is None:
                areas = joined[o.areas] = ",".join(sorted(o.areas))
            values.append(
                (
                    id_,
                    o.clinician.id,
                    association_id,
                    o.training.id,
                    day,
                    o.hours,
                    areas,
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
                    evidence_id,
                )
            )
        insert_rows(table, _COLUMNS, values)

    def close(self, report: Report) -> None:
        """Audit the import, once every row is written."""
        self.ledger.close({"import": self.ref})
        audit.record(
            "completion.import",
            object_type=Completion._meta.table_name,
            object_id=self.ref,
            actor=self.actor.user,
            association_id=self.association.id,
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
