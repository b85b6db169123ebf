"""Online backup and restore of the SQLite database."""

from __future__ import annotations

from lms import create_app
from lms.db import connection, db, migrate_all


def _instance(tmp_path, name):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 32,
            # The audit keys are configuration, kept with the secrets and not in the backup: an
            # instance restores a backup's audit chain only with the key that sealed it.
            "AUDIT_KEY": "backup-test-audit-key-0000000000000000",
            "AUDIT_SIGNING_KEY": "22" * 32,
            "INSTANCE_PATH": str(tmp_path / name),
            "DATABASE_URL": f"sqlite:///{tmp_path / name / 'lms.db'}",
        }
    )


def test_backup_restores_into_a_fresh_instance_and_chain_verifies(tmp_path):
    from lms.accounts import create_user
    from lms.models import AuditLog, User

    first = _instance(tmp_path, "one")
    with first.app_context(), connection():
        migrate_all(first)
        create_user("ana@example.test", "Ana", roles=("admin",))
        result = first.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
        assert result.exit_code == 0 and "integrity check ok" in result.output
        again = first.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
        assert again.exit_code == 1 and "exists" in again.output
    db.close()

    second = _instance(tmp_path, "two")
    with second.app_context(), connection():
        migrate_all(second)
        assert User.select().count() == 0
        refused = second.test_cli_runner().invoke(args=["restore", str(tmp_path / "b.db")])
        assert refused.exit_code != 0 and "--yes" in refused.output
        done = second.test_cli_runner().invoke(args=["restore", str(tmp_path / "b.db"), "--yes"])
        assert done.exit_code == 0, done.output
        assert User.get().email == "ana@example.test"
        assert AuditLog.select().count() == 1
        verify = second.test_cli_runner().invoke(args=["audit", "verify"])
        assert verify.exit_code == 0 and "intact" in verify.output


def test_restore_refuses_a_file_that_is_not_ours(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"not a database at all" * 100)
    app = _instance(tmp_path, "one")
    with app.app_context(), connection():
        migrate_all(app)
        result = app.test_cli_runner().invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1 and "not a SQLite database" in result.output
