"""Seal the audit log with keyed MACs: add `key_id`, re-seal every existing row under the key.

Rows written before this migration were linked by plain SHA-256, which anyone with the
database can recompute after an edit. This migration first checks that old chain and notes
every row that no longer matched it, then re-seals all rows, oldest first, with HMAC-SHA256
under LMS_AUDIT_KEY, and appends one row `audit.chain_keyed` that says how many rows it sealed
and which were already broken (so re-sealing launders nothing silently). Afterwards
`audit verify` accepts keyed rows only: nobody can pass a rewritten row off as an old,
unkeyed one. The append-only triggers are switched off for the re-seal and back on after it,
inside the migration's transaction. The formulas are frozen copies of lms.audit's (chain
version 2); with rows present the key comes from the app, so run `flask --app lms migrate`.
"""

import datetime
import hashlib
import hmac
import json

import peewee as pw

GENESIS = "0" * 64


def _canonical(values):
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _fields(row):
    return {
        "actor_id": row.actor_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "association_id": row.association_id,
        "before": row.before,
        "after": row.after,
    }


def _sha256_link(prev_hash, at, fields):
    """The unkeyed link of chain version 1."""
    payload = {"prev": prev_hash, "at": at.isoformat(timespec="microseconds"), **fields}
    return hashlib.sha256(_canonical(payload)).hexdigest()


def _mac(key, key_id, prev_hash, at, fields):
    """The keyed link of chain version 2 (lms.audit.row_mac)."""
    payload = {
        "v": 2,
        "key_id": key_id,
        "prev": prev_hash,
        "at": at.isoformat(timespec="microseconds"),
        **fields,
    }
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()


def _audit_key():
    from flask import current_app, has_app_context

    if not has_app_context() or not current_app.config.get("AUDIT_KEY"):
        raise RuntimeError(
            "Migration lms/0003 re-seals the audit log with LMS_AUDIT_KEY; run it with "
            "`flask --app lms migrate` and the key configured."
        )
    key = current_app.config["AUDIT_KEY"]
    key_id = hashlib.sha256(b"imh-pathway audit key\0" + key.encode("utf-8")).hexdigest()[:16]
    return key.encode("utf-8"), key_id


def up(migrator, db):
    class AuditLog(pw.Model):
        at = pw.DateTimeField()
        actor_id = pw.IntegerField(null=True)
        action = pw.CharField(max_length=64)
        object_type = pw.CharField(max_length=64)
        object_id = pw.CharField(max_length=64)
        association_id = pw.IntegerField(null=True)
        before = pw.TextField(null=True)
        after = pw.TextField(null=True)
        prev_hash = pw.CharField(max_length=64)
        hash = pw.CharField(max_length=64, unique=True)
        key_id = pw.CharField(max_length=16, default="")

        class Meta:
            database = db
            table_name = "lms_auditlog"

    # A plain ADD COLUMN with a constant default: no table rebuild (which would drop SQLite's
    # triggers) and no UPDATE (which the triggers refuse).
    db.execute_sql("ALTER TABLE lms_auditlog ADD COLUMN key_id VARCHAR(16) NOT NULL DEFAULT ''")
    if not AuditLog.select().exists():
        return
    key, key_id = _audit_key()
    sqlite = isinstance(db, pw.SqliteDatabase)
    if sqlite:
        db.execute_sql("DROP TRIGGER IF EXISTS lms_auditlog_no_update")
    else:
        db.execute_sql("ALTER TABLE lms_auditlog DISABLE TRIGGER lms_auditlog_append_only")

    old_prev, new_prev, broken, count, last_id = GENESIS, GENESIS, [], 0, 0
    while True:
        rows = list(
            AuditLog.select().where(AuditLog.id > last_id).order_by(AuditLog.id).limit(1000)
        )
        if not rows:
            break
        for row in rows:
            fields = _fields(row)
            if row.prev_hash != old_prev or _sha256_link(row.prev_hash, row.at, fields) != row.hash:
                broken.append(row.id)
            old_prev = row.hash
            mac = _mac(key, key_id, new_prev, row.at, fields)
            AuditLog.update(prev_hash=new_prev, hash=mac, key_id=key_id).where(
                AuditLog.id == row.id
            ).execute()
            new_prev, last_id, count = mac, row.id, count + 1

    at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    marker = {
        "actor_id": None,
        "action": "audit.chain_keyed",
        "object_type": "lms_auditlog",
        "object_id": "",
        "association_id": None,
        "before": None,
        "after": json.dumps(
            {"rows": count, "legacy_breaks": broken}, sort_keys=True, separators=(",", ":")
        ),
    }
    AuditLog.create(
        at=at,
        prev_hash=new_prev,
        hash=_mac(key, key_id, new_prev, at, marker),
        key_id=key_id,
        **marker,
    )

    if sqlite:
        db.execute_sql(
            "CREATE TRIGGER lms_auditlog_no_update BEFORE UPDATE ON lms_auditlog "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
    else:
        db.execute_sql("ALTER TABLE lms_auditlog ENABLE TRIGGER lms_auditlog_append_only")
