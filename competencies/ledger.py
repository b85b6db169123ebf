"""The evidence ledger: the only way evidence is written, voided or corrected."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from competencies import standing
from competencies.models import Evidence
from competencies.types import COUNTED, KINDS, STATUSES, EvidenceItem
from lms import audit
from lms.db import db, insert_rows, new_ids
from lms.duties import refuse_own
from lms.errors import ServiceError
from lms.models import Association, Membership, User, utcnow
from lms.signals import evidence_recorded

EARLIEST = dt.date(1950, 1, 1)


class EvidenceError(ServiceError, ValueError):
    """Evidence cannot be written as asked; `field` names the input at fault."""


def _check(
    clinician: User,
    association: Association,
    kind: str,
    occurred_on: dt.date,
    hours: float,
    status: str,
    today: dt.date,
) -> None:
    if kind not in KINDS:
        raise EvidenceError(f"Unknown kind of evidence {kind!r}.", "kind")
    if status not in STATUSES - {"void"}:
        raise EvidenceError(f"A new row cannot have the status {status!r}.", "status")
    if not isinstance(hours, int | float) or not math.isfinite(hours) or hours < 0:
        raise EvidenceError("Hours must be a finite number, zero or more.", "hours")
    if hours > 10_000:
        raise EvidenceError("Hours above 10,000 cannot be right.", "hours")
    if occurred_on > today:
        raise EvidenceError(f"{occurred_on.isoformat()} is in the future.", "occurred_on")
    if occurred_on < EARLIEST:
        raise EvidenceError(f"{occurred_on.isoformat()} is too long ago.", "occurred_on")
    if (
        not Membership.select()
        .where(
            (Membership.user == clinician)
            & (Membership.association == association)
            & (Membership.role == "clinician")
        )
        .exists()
    ):
        raise EvidenceError("The person is not a clinician of this association.", "clinician")


def _joined(values: Iterable[str]) -> str:
    return _joined_tuple(tuple(values))


@functools.lru_cache(maxsize=4096)
def _joined_tuple(values: tuple[str, ...]) -> str:
    """The canonical stored form of a set of areas or tags (imports repeat a few sets)."""
    return ",".join(sorted({v.strip() for v in values if v and v.strip()}))


def encode_details(details: Mapping[str, Any]) -> str:
    """Return details as stored; `record_many` takes this text for rows that share details."""
    return Evidence.details.db_value(dict(details))


def record(
    *,
    clinician: User,
    association: Association,
    kind: str,
    occurred_on: dt.date,
    status: str,
    source: str,
    hours: float = 0.0,
    areas: Iterable[str] = (),
    tags: Iterable[str] = (),
    provider: User | None = None,
    details: Mapping[str, Any] | None = None,
    label: str = "",
    source_ref: str = "",
    actor: User | None = None,
    replaces: Evidence | None = None,
    today: dt.date | None = None,
) -> Evidence:
    """Write one ledger row inside the caller's transaction (opening one if there is none)."""
    _check(
        clinician, association, kind, occurred_on, float(hours), status, today or dt.date.today()
    )
    with db.atomic():
        row = Evidence.create(
            clinician=clinician,
            association=association,
            kind=kind,
            occurred_on=occurred_on,
            hours=float(hours),
            status=status,
            areas=_joined(areas),
            tags=_joined(tags),
            provider=provider,
            details=dict(details or {}),
            label=label[:300],
            source=source,
            source_ref=source_ref,
            replaces=replaces,
            created_by=actor,
        )
        audit.record(
            "evidence.record",
            row,
            actor=actor,
            association_id=association.id,
            after=_snapshot(row),
        )
        standing.touch(association.id, [row.clinician_id])
        evidence_recorded.send(row, replaced=replaces)
    return row


# The ledger columns a bulk insert writes, in order (the benchmark's driver baseline uses them).
BULK_COLUMNS = (
    "clinician_id",
    "association_id",
    "kind",
    "occurred_on",
    "hours",
    "status",
    "areas",
    "tags",
    "provider_id",
    "details",
    "label",
    "source",
    "source_ref",
    "void_reason",
    "created_at",
    "created_by_id",
)


def record_many(
    rows: Iterable[Mapping[str, Any]],
    *,
    association: Association,
    source: str,
    actor: User | None = None,
    batch: int = 2000,
    summary: Mapping[str, Any] | None = None,
) -> int:
    """Write many ledger rows of one association in the caller's transaction; return the count.

    For imports: rows are plain dicts with clinician_id, kind, occurred_on, hours, status, areas,
    tags, label, source_ref (and optionally provider_id, details: a mapping, or the text of
    `encode_details` when many rows share it), already validated by the caller against the
    same rules as `record` (clinicians of this association, finite hours, no future dates). One
    audit row describes the whole batch (`summary` adds to it).
    """
    with db.atomic():
        bulk = BulkWrite(association=association, source=source, actor=actor)
        chunk: list[Mapping[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                bulk.write(chunk)
                chunk = []
        bulk.write(chunk)
        return bulk.close(summary)


_KEPT_DATES = 10_000  # distinct dates a bulk write remembers converted (memory stays flat)


class BulkWrite:
    """`record_many` in steps, for a writer whose own rows point at the ledger rows: `write`
    inserts one batch (rows as `record_many` takes them) and returns its ids, `close` marks the
    clinicians' kept rows stale and writes the one audit entry. Use it inside one transaction.
    """

    def __init__(self, *, association: Association, source: str, actor: User | None = None):
        self.association, self.source, self.actor = association, source, actor
        self.count = 0
        self.clinicians: set[int] = set()
        self._created = str(Evidence.created_at.db_value(utcnow()))  # as peewee stores it
        self._dates: dict[Any, Any] = {}  # occurred_on as given -> as stored (imports repeat)

    def _date(self, value: Any) -> Any:
        stored = Evidence.occurred_on.db_value(value)
        if isinstance(stored, dt.date):
            stored = stored.isoformat()  # what the driver would store; PostgreSQL casts it
        if len(self._dates) < _KEPT_DATES:
            self._dates[value] = stored
        return stored

    def write(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert these rows now; return their ids, in the rows' order."""
        table = Evidence._meta.table_name
        ids = new_ids(table, len(rows))
        if not ids:
            return ids
        association_id, source, created = self.association.id, self.source, self._created
        actor_id = self.actor.id if self.actor else None
        dates, to_date, dumps = self._dates, self._date, Evidence.details.db_value
        values = []
        for id_, row in zip(ids, rows, strict=True):
            get = row.get
            on = row["occurred_on"]
            details = get("details")
            values.append(
                (
                    id_,
                    row["clinician_id"],
                    association_id,
                    get("kind", "training"),
                    dates[on] if on in dates else to_date(on),
                    float(get("hours", 0.0)),
                    row["status"],
                    _joined(get("areas", ())),
                    _joined(get("tags", ())),
                    get("provider_id"),
                    details if isinstance(details, str) else dumps(dict(details or {})),
                    str(get("label", ""))[:300],
                    source,
                    get("source_ref", ""),
                    "",
                    created,
                    actor_id,
                )
            )
        insert_rows(table, ("id", *BULK_COLUMNS), values)
        self.clinicians.update(row["clinician_id"] for row in rows)
        self.count += len(values)
        return ids

    def close(self, summary: Mapping[str, Any] | None = None) -> int:
        """Mark the written clinicians' kept rows stale, audit the whole write; return the count."""
        standing.touch(self.association.id, self.clinicians)
        audit.record(
            "evidence.record_many",
            object_type=Evidence._meta.table_name,
            object_id=f"{self.source}:{self.count}",
            actor=self.actor,
            association_id=self.association.id,
            after={"source": self.source, "rows": self.count, **dict(summary or {})},
        )
        return self.count


def _snapshot(row: Evidence) -> dict[str, Any]:
    return {
        "clinician": row.clinician_id,
        "kind": row.kind,
        "occurred_on": row.occurred_on,
        "hours": row.hours,
        "status": row.status,
        "areas": row.areas,
        "tags": row.tags,
        "provider": row.provider_id,
        "source": row.source,
        "source_ref": row.source_ref,
        "replaces": row.replaces_id,
    }


def void(row: Evidence, *, reason: str, actor: User | None = None) -> Evidence:
    """Void a row (it stops counting; it stays in the ledger with the reason)."""
    if not reason.strip():
        raise EvidenceError("Say why the evidence is voided.", "reason")
    with db.atomic():
        before = {"status": row.status}
        updated = (
            Evidence.update(status="void", void_reason=reason.strip())
            .where((Evidence.id == row.id) & (Evidence.status != "void"))
            .execute()
        )
        if not updated:
            raise EvidenceError("This evidence is already void.", "status")
        row.status, row.void_reason = "void", reason.strip()
        audit.record(
            "evidence.void",
            row,
            actor=actor,
            association_id=row.association_id,
            before=before,
            after={"status": "void", "reason": row.void_reason},
        )
        standing.touch(row.association_id, [row.clinician_id])
        evidence_recorded.send(row, replaced=None)
    return row


def correct(row: Evidence, *, reason: str, actor: User | None = None, **changes: Any) -> Evidence:
    """Void a row and write its corrected replacement (same status unless changed), atomically."""
    previous_status = row.status
    with db.atomic():
        void(row, reason=reason, actor=actor)
        values: dict[str, Any] = {
            "clinician": row.clinician,
            "association": row.association,
            "kind": row.kind,
            "occurred_on": row.occurred_on,
            "status": previous_status,
            "source": row.source,
            "hours": row.hours,
            "areas": row.area_list,
            "tags": row.tag_list,
            "provider": row.provider,
            "details": row.details,
            "label": row.label,
            "source_ref": row.source_ref,
        }
        values.update(changes)
        return record(**values, actor=actor, replaces=row)


def decide(
    row: Evidence, *, accept: bool, actor: User, reason: str = "", counted_status: str = "verified"
) -> Evidence:
    """Verify or reject a pending row; a rejection keeps its reason for the clinician.

    Nobody decides on their own row: it stays pending for someone else.
    """
    refuse_own(
        actor,
        row.clinician_id,
        "verify your own evidence" if accept else "reject your own evidence",
        error=EvidenceError,
        field="evidence",
        then="it stays pending for someone else of your association",
    )
    if row.status != "pending":
        raise EvidenceError("Only pending evidence can be verified or rejected.", "status")
    if not accept and not reason.strip():
        raise EvidenceError("Say why the evidence is rejected; the clinician sees it.", "reason")
    if counted_status not in COUNTED:
        raise EvidenceError(f"{counted_status!r} is not a counting status.", "status")
    with db.atomic():
        new_status = counted_status if accept else "rejected"
        details = dict(row.details or {})
        if not accept:
            details["reject_reason"] = reason.strip()
        updated = (
            Evidence.update(status=new_status, details=details)
            .where((Evidence.id == row.id) & (Evidence.status == "pending"))
            .execute()
        )
        if not updated:
            raise EvidenceError("Someone decided on this evidence in the meantime.", "status")
        row.status, row.details = new_status, details
        audit.record(
            "evidence.verify" if accept else "evidence.reject",
            row,
            actor=actor,
            association_id=row.association_id,
            before={"status": "pending"},
            after={"status": new_status, "reason": reason.strip()},
        )
        standing.touch(row.association_id, [row.clinician_id])
        evidence_recorded.send(row, replaced=None)
    return row


def items_of(association_id: int, clinician_ids: Iterable[int]) -> dict[int, list[EvidenceItem]]:
    """Each clinician's ledger rows in the association (void rows left out) as evaluator items,
    oldest first: one query for any number of clinicians (the what-if planner, "will it count")."""
    wanted = sorted(set(clinician_ids))
    out: dict[int, list[EvidenceItem]] = {c: [] for c in wanted}
    if not wanted:
        return out
    rows = (
        Evidence.select(
            Evidence.id,
            Evidence.clinician,
            Evidence.kind,
            Evidence.occurred_on,
            Evidence.status,
            Evidence.hours,
            Evidence.areas,
            Evidence.tags,
            Evidence.provider,
            Evidence.details,
            Evidence.label,
        )
        .where(
            (Evidence.association == association_id)
            & Evidence.clinician.in_(wanted)
            & (Evidence.status != "void")
        )
        .order_by(Evidence.occurred_on, Evidence.id)
    )
    for row in rows:
        out[row.clinician_id].append(
            EvidenceItem(
                id=row.id,
                kind=row.kind,
                date=row.occurred_on,
                status=row.status,
                hours=row.hours or 0.0,
                areas=frozenset(a for a in (row.areas or "").split(",") if a),
                tags=frozenset(t for t in (row.tags or "").split(",") if t),
                provider_id=row.provider_id,
                details=dict(row.details or {}),
                label=row.label or "",
            )
        )
    return out
