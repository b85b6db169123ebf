"""Someone with database access cannot quietly rewrite the audit log: each row's link is an
HMAC-SHA256 under LMS_AUDIT_KEY (kept outside the database), and signed Ed25519 checkpoints of
the head (`flask --app lms audit checkpoint`, nightly) catch removed newest rows and a chain
recomputed from the start."""

from __future__ import annotations

import contextlib
import hashlib
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms import create_app
from lms.config import ConfigError
from tests.conftest import PASSWORD


@contextlib.contextmanager
def guard_off(backend):
    """Do what an attacker with the database would: switch off the append-only triggers."""
    from lms.db import db

    if backend == "sqlite":
        db.execute_sql("DROP TRIGGER lms_auditlog_no_update")
        db.execute_sql("DROP TRIGGER lms_auditlog_no_delete")
        yield
    else:
        db.execute_sql("ALTER TABLE lms_auditlog DISABLE TRIGGER lms_auditlog_append_only")
        try:
            yield
        finally:
            db.execute_sql("ALTER TABLE lms_auditlog ENABLE TRIGGER lms_auditlog_append_only")


@pytest.fixture
def logged(app, make_user):
    """An app whose audit log holds a few rows."""
    for name in ("ana", "bob", "cy", "dee"):
        make_user(f"{name}@example.test")
    return app


def _rows():
    from lms.models import AuditLog

    return list(AuditLog.select().order_by(AuditLog.id))


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _checkpoint(app, tmp_path, name="checkpoint.json"):
    path = tmp_path / name
    result = _cli(app, "audit", "checkpoint", "--out", str(path))
    assert result.exit_code == 0, result.output
    return path


def _plain_sha256(prev: str, row) -> str:
    """The old, unkeyed link: anyone who reads the code can compute it."""
    payload = {
        "prev": prev,
        "at": row.at.isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "association_id": row.association_id,
        "before": row.before,
        "after": row.after,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_an_intact_chain_and_its_checkpoint_verify(logged, tmp_path):
    path = _checkpoint(logged, tmp_path)
    result = _cli(logged, "audit", "verify", "--checkpoint", str(path))
    assert result.exit_code == 0, result.output
    assert "intact" in result.output and "checkpoint" in result.output


def test_deleting_the_newest_rows_is_caught_by_the_checkpoint(logged, backend, tmp_path):
    from lms.models import AuditLog

    path = _checkpoint(logged, tmp_path)
    newest = [row.id for row in _rows()[-2:]]
    with guard_off(backend):
        AuditLog.delete().where(AuditLog.id.in_(newest)).execute()
    result = _cli(logged, "audit", "verify", "--checkpoint", str(path))
    assert result.exit_code == 1
    assert f"row {newest[-1]}" in result.output and "checkpoint" in result.output


def test_a_chain_recomputed_with_plain_sha256_is_caught_even_without_a_checkpoint(
    logged, backend, tmp_path
):
    from lms.models import AuditLog

    path = _checkpoint(logged, tmp_path)
    rows = _rows()
    with guard_off(backend):
        AuditLog.update(after='{"email":"mallory@example.test"}').where(
            AuditLog.id == rows[0].id
        ).execute()
        prev = "0" * 64
        for row in _rows():
            link = _plain_sha256(prev, row)
            AuditLog.update(prev_hash=prev, hash=link).where(AuditLog.id == row.id).execute()
            prev = link
    plain = _cli(logged, "audit", "verify")
    assert plain.exit_code == 1 and "BROKEN" in plain.output
    with_checkpoint = _cli(logged, "audit", "verify", "--checkpoint", str(path))
    assert with_checkpoint.exit_code == 1


def test_an_edited_row_is_caught(logged, backend):
    from lms.models import AuditLog

    target = _rows()[1]
    with guard_off(backend):
        AuditLog.update(action="user.nothing").where(AuditLog.id == target.id).execute()
    result = _cli(logged, "audit", "verify")
    assert result.exit_code == 1 and f"row {target.id}" in result.output


def test_rows_sealed_under_another_key_say_so(logged):
    logged.config["AUDIT_KEY"] = "another-key-of-at-least-32-characters-long!"
    result = _cli(logged, "audit", "verify")
    assert result.exit_code == 1 and "LMS_AUDIT_KEY" in result.output


def test_a_checkpoint_with_a_changed_count_fails_its_signature(logged, backend, tmp_path):
    from lms.models import AuditLog

    path = _checkpoint(logged, tmp_path)
    newest = _rows()[-1]
    with guard_off(backend):
        AuditLog.delete().where(AuditLog.id == newest.id).execute()
    head = _rows()[-1]
    forged = json.loads(path.read_text())
    forged.update(rows=forged["rows"] - 1, head_id=head.id, head_mac=head.hash)
    path.write_text(json.dumps(forged))
    result = _cli(logged, "audit", "verify", "--checkpoint", str(path))
    assert result.exit_code == 1 and "signature" in result.output


def test_a_checkpoint_signed_with_another_key_is_refused(logged, tmp_path):
    from lms import audit

    path = _checkpoint(logged, tmp_path)
    data = json.loads(path.read_text())
    mallory = Ed25519PrivateKey.generate()
    data = audit.sign_checkpoint(
        {k: v for k, v in data.items() if k not in ("signature", "key_id", "public_key")},
        mallory,
    )
    path.write_text(json.dumps(data))
    result = _cli(logged, "audit", "verify", "--checkpoint", str(path))
    assert result.exit_code == 1 and "key" in result.output


def test_the_nightly_command_writes_a_signed_checkpoint(logged):
    from lms.models import AuditLog

    result = _cli(logged, "audit", "checkpoint")
    assert result.exit_code == 0, result.output
    folder = logged.config["AUDIT_CHECKPOINT_DIR"]
    files = sorted(__import__("pathlib").Path(folder).glob("*.json"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    data = json.loads(files[0].read_text())
    assert json.loads(result.output[result.output.index("{") :]) == data  # cron mails it on
    head = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert data["rows"] == AuditLog.select().count()
    assert (data["head_id"], data["head_mac"]) == (head.id, head.hash)
    assert data["signature"] and data["key_id"]
    latest = _cli(logged, "audit", "verify", "--checkpoint", "latest")
    assert latest.exit_code == 0, latest.output


def test_the_admin_page_shows_the_newest_checkpoints_check(logged, backend, make_user, client):
    from lms.accounts import create_user
    from lms.models import AuditLog

    create_user("root@example.test", "Root", password=PASSWORD, roles=("admin",))
    client.post("/login", data={"email": "root@example.test", "password": PASSWORD})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "No checkpoint" in page
    assert _cli(logged, "audit", "checkpoint").exit_code == 0
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Checkpoint verified" in page
    newest = _rows()[-1]
    with guard_off(backend):
        AuditLog.delete().where(AuditLog.id == newest.id).execute()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Checkpoint BROKEN" in page


def _config(tmp_path, **extra):
    return {
        "SECRET_KEY": "k" * 40,
        "DATABASE_URL": "sqlite:///:memory:",
        "INSTANCE_PATH": str(tmp_path),
        "PLUGINS": [],
        "PUBLIC_URL": "https://pathway.example.org",  # production needs one; not what is tested
        **extra,
    }


def test_keys_are_required_outside_development(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_AUDIT_KEY", raising=False)
    monkeypatch.delenv("LMS_AUDIT_SIGNING_KEY", raising=False)
    with pytest.raises(ConfigError, match="LMS_AUDIT_KEY"):
        create_app(_config(tmp_path, ENV="production"))
    with pytest.raises(ConfigError, match="LMS_AUDIT_SIGNING_KEY"):
        create_app(_config(tmp_path, ENV="production", AUDIT_KEY="a" * 64))
    with pytest.raises(ConfigError, match="LMS_AUDIT_KEY"):
        create_app(_config(tmp_path, ENV="production", AUDIT_KEY="short"))
    with pytest.raises(ConfigError, match="LMS_AUDIT_SIGNING_KEY"):
        create_app(_config(tmp_path, ENV="production", AUDIT_KEY="a" * 64, AUDIT_SIGNING_KEY="zz"))
    app = create_app(
        _config(
            tmp_path,
            ENV="production",
            AUDIT_KEY="a" * 64,
            AUDIT_SIGNING_KEY="b" * 64,
            PUBLIC_URL="https://pathway.example.org",
        )
    )
    assert app.config["AUDIT_KEY"] == "a" * 64


def test_development_generates_both_keys_once_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_AUDIT_KEY", raising=False)
    monkeypatch.delenv("LMS_AUDIT_SIGNING_KEY", raising=False)
    first = create_app(_config(tmp_path, ENV="development")).config
    second = create_app(_config(tmp_path, ENV="development")).config
    assert first["AUDIT_KEY"] == second["AUDIT_KEY"]
    assert first["AUDIT_SIGNING_KEY"] == second["AUDIT_SIGNING_KEY"]
    for name in ("audit_key", "audit_signing_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert first["AUDIT_KEY"] != first["SECRET_KEY"]


def _legacy_rows(db, n):
    """Write rows as the code before migration 0003 did: unkeyed SHA-256 links."""
    import datetime as dt

    prev = "0" * 64
    for i in range(n):
        at = dt.datetime(2025, 1, 1, 12, 0, i)
        fields = {
            "actor_id": None,
            "action": "user.create",
            "object_type": "lms_user",
            "object_id": f"{i + 1}:1",
            "association_id": None,
            "before": None,
            "after": json.dumps({"email": f"u{i}@example.test"}),
        }
        payload = {"prev": prev, "at": at.isoformat(timespec="microseconds"), **fields}
        link = hashlib.sha256(
            json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        db.execute_sql(
            "INSERT INTO lms_auditlog (at, actor_id, action, object_type, object_id, "
            "association_id, before, after, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                at.isoformat(" "),
                None,
                fields["action"],
                "lms_user",
                fields["object_id"],
                None,
                None,
                fields["after"],
                prev,
                link,
            ),
        )
        prev = link


def test_migration_0003_reseals_existing_rows_under_the_key(tmp_path):
    from lms.audit import verify_chain
    from lms.db import db, migrate_all, migration_runner
    from lms.models import AuditLog

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k" * 40,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "PLUGINS": [],
        }
    )
    with app.app_context(), db.connection_context():
        migration_runner("lms", "lms").up(target="0002_longer_names")
        _legacy_rows(db, 5)
        migrate_all(app)
        rows = list(AuditLog.select().order_by(AuditLog.id))
        assert list(verify_chain()) == []
        assert len(rows) == 6 and rows[-1].action == "audit.chain_keyed"
        assert json.loads(rows[-1].after) == {"rows": 5, "legacy_breaks": []}
        assert [r.object_id for r in rows[:5]] == [f"{i}:1" for i in range(1, 6)]  # content kept
    db.close()


def test_migration_0003_records_a_legacy_break_it_found(tmp_path):
    from lms.audit import verify_chain
    from lms.db import db, migrate_all, migration_runner
    from lms.models import AuditLog

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k" * 40,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "PLUGINS": [],
        }
    )
    with app.app_context(), db.connection_context():
        migration_runner("lms", "lms").up(target="0002_longer_names")
        _legacy_rows(db, 3)
        db.execute_sql("DROP TRIGGER lms_auditlog_no_update")
        db.execute_sql("UPDATE lms_auditlog SET action = 'user.forged' WHERE id = 2")
        migrate_all(app)
        assert list(verify_chain()) == []  # sealed as found, and the seal says what was found
        marker = AuditLog.select().order_by(AuditLog.id.desc()).first()
        assert json.loads(marker.after) == {"rows": 3, "legacy_breaks": [2]}
    db.close()
