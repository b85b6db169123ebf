"""Append to and verify the hash-chained audit log."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lms.db import db, is_sqlite
from lms.models import AuditLog, utcnow

GENESIS = "0" * 64
_PG_CHAIN_LOCK = 7_370_001  # advisory lock id that serialises appends on PostgreSQL


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def _dump(values: Mapping[str, Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=_default)


def _row_hash(prev_hash: str, at: dt.datetime, fields: Mapping[str, Any]) -> str:
    payload = json.dumps(
        {"prev": prev_hash, "at": at.isoformat(timespec="microseconds"), **fields},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    association_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Append one row; call inside the write's own transaction so both land or neither."""
    if obj is not None:
        object_type = object_type or type(obj)._meta.table_name
        object_id = object_id if object_id is not None else obj.get_id()
    fields = {
        "actor_id": getattr(actor, "id", actor),
        "action": action,
        "object_type": object_type or "",
        "object_id": "" if object_id is None else str(object_id),
        "association_id": association_id,
        "before": _dump(before),
        "after": _dump(after),
    }
    with db.atomic():
        if not is_sqlite():
            # SQLite's IMMEDIATE transaction already serialises writers; PostgreSQL needs a lock
            # so two concurrent appends cannot both chain onto the same predecessor.
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_CHAIN_LOCK,))
        last = AuditLog.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).first()
        prev_hash = last.hash if last else GENESIS
        at = utcnow()
        return AuditLog.create(
            at=at, prev_hash=prev_hash, hash=_row_hash(prev_hash, at, fields), **fields
        )


@dataclass(frozen=True)
class ChainBreak:
    """A row whose stored hash or link does not match what the chain requires."""

    row_id: int
    problem: str


def verify_chain(batch: int = 5000) -> Iterator[ChainBreak]:
    """Yield every break in the chain, oldest first (nothing when intact)."""
    prev_hash = GENESIS
    last_id = 0
    while True:
        rows = list(
            AuditLog.select().where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch)
        )
        if not rows:
            return
        for row in rows:
            fields = {
                "actor_id": row.actor_id,
                "action": row.action,
                "object_type": row.object_type,
                "object_id": row.object_id,
                "association_id": row.association_id,
                "before": row.before,
                "after": row.after,
            }
            if row.prev_hash != prev_hash:
                yield ChainBreak(row.id, "its link does not point to the row before it")
            elif _row_hash(row.prev_hash, row.at, fields) != row.hash:
                yield ChainBreak(row.id, "its content does not match its hash (changed)")
            prev_hash = row.hash
            last_id = row.id


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    """Return the named attributes of a record, for before/after values."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = getattr(value, "id", value) if hasattr(value, "_meta") else value
    return out
