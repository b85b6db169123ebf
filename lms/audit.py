"""Append to and verify the audit log: rows chained by keyed MACs, and signed checkpoints.

Each row's `hash` is HMAC-SHA256, under LMS_AUDIT_KEY (kept outside the database), of its
content and of the previous row's MAC, so nobody without the key can edit a row or recompute
the chain after an edit. What a MAC chain alone cannot show is rows cut off its end; for that a
checkpoint (`flask --app lms audit checkpoint`, nightly) records the head row's id, time and
MAC and the number of rows up to it, signed with Ed25519 (LMS_AUDIT_SIGNING_KEY), and is kept
away from the database: in the instance folder and wherever cron sends its output.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from peewee import fn

from lms.db import db, is_sqlite
from lms.models import AuditLog, Membership, utcnow

GENESIS = "0" * 64
CHAIN_VERSION = 2  # 1 was unkeyed SHA-256; migration lms/0003 re-sealed those rows
CHECKPOINT_FORMAT = "imh-pathway-audit-checkpoint/1"
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


def _canonical(values: Mapping[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")


def key_id(key: str) -> str:
    """Return the public name of an audit MAC key (it reveals nothing of the key)."""
    return hashlib.sha256(b"imh-pathway audit key\0" + key.encode("utf-8")).hexdigest()[:16]


def _mac_key() -> tuple[bytes, str]:
    key = current_app.config["AUDIT_KEY"]
    return key.encode("utf-8"), key_id(key)


def row_mac(key: bytes, kid: str, prev_hash: str, at: dt.datetime, fields: Mapping[str, Any]):
    """Return the MAC that seals one row to its content and to its predecessor."""
    payload = {
        "v": CHAIN_VERSION,
        "key_id": kid,
        "prev": prev_hash,
        "at": at.isoformat(timespec="microseconds"),
        **fields,
    }
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()


def _fields(row: AuditLog) -> dict[str, Any]:
    return {
        "actor_id": row.actor_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "association_id": row.association_id,
        "before": row.before,
        "after": row.after,
    }


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
        # The primary key, not get_id(): a User's get_id() carries its session version.
        object_id = object_id if object_id is not None else obj._pk
    fields = {
        "actor_id": getattr(actor, "id", actor),
        "action": action,
        "object_type": object_type or "",
        "object_id": "" if object_id is None else str(object_id),
        "association_id": association_id,
        "before": _dump(before),
        "after": _dump(after),
    }
    key, kid = _mac_key()
    with db.atomic():
        if not is_sqlite():
            # SQLite's IMMEDIATE transaction already serialises writers; PostgreSQL needs a lock
            # so two concurrent appends cannot both chain onto the same predecessor.
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_CHAIN_LOCK,))
        last = AuditLog.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).first()
        prev_hash = last.hash if last else GENESIS
        at = utcnow()
        return AuditLog.create(
            at=at,
            prev_hash=prev_hash,
            hash=row_mac(key, kid, prev_hash, at, fields),
            key_id=kid,
            **fields,
        )


@dataclass(frozen=True)
class ChainBreak:
    """A row whose stored MAC or link does not match what the chain requires."""

    row_id: int
    problem: str


def verify_chain(
    batch: int = 5000, *, after_id: int = 0, prev_hash: str = GENESIS
) -> Iterator[ChainBreak]:
    """Yield every break in the chain, oldest first (nothing when intact).

    From the start by default; from a checkpoint's head with `after_id` and its `prev_hash`.
    """
    key, kid = _mac_key()
    last_id = after_id
    while True:
        rows = list(
            AuditLog.select().where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch)
        )
        if not rows:
            return
        for row in rows:
            if row.key_id != kid:
                sealed = f"audit key {row.key_id}" if row.key_id else "no audit key"
                yield ChainBreak(
                    row.id, f"it is sealed with {sealed}, not this instance's LMS_AUDIT_KEY ({kid})"
                )
            elif row.prev_hash != prev_hash:
                yield ChainBreak(
                    row.id, "its link does not point to the row before it (a row was removed)"
                )
            elif row_mac(key, kid, row.prev_hash, row.at, _fields(row)) != row.hash:
                yield ChainBreak(
                    row.id,
                    "its content does not match its MAC (changed, or re-sealed without the key)",
                )
            prev_hash = row.hash
            last_id = row.id


# --- checkpoints ------------------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """Return this instance's checkpoint signing key (from LMS_AUDIT_SIGNING_KEY)."""
    return Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(current_app.config["AUDIT_SIGNING_KEY"])
    )


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_id(key: Ed25519PublicKey) -> str:
    """Return the short name of a checkpoint public key."""
    return hashlib.sha256(_raw(key)).hexdigest()[:16]


def sign_checkpoint(body: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """Return the checkpoint with its public key, key id and Ed25519 signature added."""
    public = key.public_key()
    signed = {**body, "key_id": public_key_id(public), "public_key": _raw(public).hex()}
    return {**signed, "signature": key.sign(_canonical(signed)).hex()}


def make_checkpoint() -> dict[str, Any]:
    """Return a signed checkpoint of the log as it is now: its head row and row count."""
    with db.atomic():
        head = AuditLog.select().order_by(AuditLog.id.desc()).first()
        rows = AuditLog.select().where(AuditLog.id <= head.id).count() if head else 0
    _, kid = _mac_key()
    body = {
        "format": CHECKPOINT_FORMAT,
        "made_at": utcnow().isoformat(timespec="seconds") + "Z",
        "rows": rows,
        "head_id": head.id if head else 0,
        "head_at": head.at.isoformat(timespec="microseconds") if head else None,
        "head_mac": head.hash if head else GENESIS,
        "mac_key_id": kid,
    }
    return sign_checkpoint(body, signing_key())


def checkpoint_folder() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_DIR"])


def write_checkpoint(data: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write a checkpoint owner-only, by default into the checkpoint folder; return its path."""
    if path is None:
        stamp = data["made_at"].replace("-", "").replace(":", "")
        path = checkpoint_folder() / f"checkpoint-{stamp}-{data['rows']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, sort_keys=True)
        out.write("\n")
    os.chmod(path, 0o600)
    return path


def latest_checkpoint() -> Path | None:
    """Return the newest checkpoint file of the checkpoint folder, if there is one."""
    folder = checkpoint_folder()
    files = sorted(folder.glob("checkpoint-*.json")) if folder.is_dir() else []
    return files[-1] if files else None


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read at all."""


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Return the checkpoint in a file; CheckpointError says why it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} cannot be read as a checkpoint: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not an audit checkpoint ({CHECKPOINT_FORMAT}).")
    return data


@dataclass
class CheckpointCheck:
    """What checking the log against one checkpoint found; no problems means it holds."""

    checkpoint: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_checkpoint(
    data: Mapping[str, Any], trusted: Ed25519PublicKey | None = None
) -> CheckpointCheck:
    """Check a checkpoint's signature against the trusted key (by default this instance's),
    then that the log still holds its head row with the checkpointed MAC and as many rows up
    to it. (The rows themselves are checked by verify_chain.)"""
    check = CheckpointCheck(dict(data))
    trusted = trusted or signing_key().public_key()
    made = data.get("made_at", "?")
    if data.get("public_key") != _raw(trusted).hex():
        check.problems.append(
            f"the checkpoint of {made} is signed by key {data.get('key_id')!s}, not by the "
            f"trusted signing key {public_key_id(trusted)}"
        )
        return check
    signed = {k: v for k, v in data.items() if k != "signature"}
    try:
        trusted.verify(bytes.fromhex(str(data.get("signature", ""))), _canonical(signed))
    except (InvalidSignature, ValueError):
        check.problems.append(
            f"the checkpoint of {made} has no valid signature (it was altered or forged)"
        )
        return check
    head_id, rows, head_mac = data.get("head_id"), data.get("rows"), data.get("head_mac")
    if not rows:
        return check  # a checkpoint of an empty log holds whatever came after
    head = AuditLog.get_or_none(AuditLog.id == head_id)
    if head is None:
        check.problems.append(
            f"row {head_id}, the newest row at the checkpoint of {made}, is missing "
            "(rows at the end of the log were removed)"
        )
    elif not hmac.compare_digest(head.hash, str(head_mac)):
        check.problems.append(
            f"row {head_id} no longer has the MAC of the checkpoint of {made} "
            "(the chain was rewritten)"
        )
    counted = AuditLog.select().where(AuditLog.id <= head_id).count()
    if counted != rows:
        check.problems.append(
            f"the log holds {counted} rows up to row {head_id}; the checkpoint of {made} "
            f"counted {rows} (rows were removed or added)"
        )
    return check


def checkpoint_status() -> CheckpointCheck | None:
    """Check the newest checkpoint file and the rows written after it (for the admin page)."""
    path = latest_checkpoint()
    if path is None:
        return None
    try:
        data = read_checkpoint(path)
    except CheckpointError as exc:
        return CheckpointCheck({"file": str(path)}, [str(exc)])
    check = check_checkpoint(data)
    check.checkpoint["file"] = path.name
    if check.ok:
        for item in verify_chain(after_id=data["head_id"], prev_hash=data["head_mac"]):
            check.problems.append(f"row {item.row_id}: {item.problem}")
            if len(check.problems) >= 5:
                break
    return check


def _user_id_text(column: Any) -> Any:
    # Rows about a user name it by id ("5"); rows written before that by "id:session_version".
    if is_sqlite():
        return fn.SUBSTR(column, 1, fn.INSTR(column.concat(":"), ":") - 1)
    return fn.SPLIT_PART(column, ":", 1)


def visible_to(association_ids: list[int]) -> Any:
    """Return the condition for the rows a reader of these associations may see.

    Their associations' rows, and every row about a person who holds any role in one of them,
    whichever association (or none) it was written for: an account shared by several
    associations is the business of each.
    """
    people = Membership.select(Membership.user.cast("TEXT")).where(
        Membership.association.in_(association_ids)
    )
    return AuditLog.association_id.in_(association_ids) | (
        (AuditLog.object_type == "lms_user") & _user_id_text(AuditLog.object_id).in_(people)
    )


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    """Return the named attributes of a record, for before/after values."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = getattr(value, "id", value) if hasattr(value, "_meta") else value
    return out
