"""The audit chain, security headers and error pages."""

from __future__ import annotations

import peewee
import pytest

# Production refuses to start without audit keys (LMS_AUDIT_KEY, LMS_AUDIT_SIGNING_KEY).
PRODUCTION = {
    "TESTING": False,
    "ENV": "production",
    "AUDIT_KEY": "production-audit-key-for-tests-only-0000000000",
    "AUDIT_SIGNING_KEY": "11" * 32,
}


def test_every_account_write_is_audited_and_chain_verifies(app, make_user):
    from lms.audit import verify_chain
    from lms.models import AuditLog

    make_user("ana@example.test")
    actions = [row.action for row in AuditLog.select().order_by(AuditLog.id)]
    assert actions == ["user.create"]
    assert list(verify_chain()) == []
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output


def test_audit_log_refuses_update_and_delete(app, make_user):
    from lms.models import AuditLog

    make_user("ana@example.test")
    with pytest.raises(peewee.DatabaseError, match="append-only"):
        with app.extensions and __import__("lms.db").db.db.atomic():
            AuditLog.update(action="forged").execute()
    with pytest.raises(peewee.DatabaseError, match="append-only"):
        with __import__("lms.db").db.db.atomic():
            AuditLog.delete().execute()


def test_audit_verify_reports_a_tampered_row(app, make_user, backend):
    from lms.db import db
    from lms.models import AuditLog

    make_user("ana@example.test")
    make_user("bob@example.test")
    # An attacker with database access disables the guard and edits a row.
    if backend == "sqlite":
        db.execute_sql("DROP TRIGGER lms_auditlog_no_update")
    else:
        db.execute_sql("ALTER TABLE lms_auditlog DISABLE TRIGGER lms_auditlog_append_only")
    first = AuditLog.select().order_by(AuditLog.id).first()
    AuditLog.update(after='{"email":"mallory@example.test"}').where(
        AuditLog.id == first.id
    ).execute()
    if backend == "postgresql":
        db.execute_sql("ALTER TABLE lms_auditlog ENABLE TRIGGER lms_auditlog_append_only")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"row {first.id}" in result.output and "BROKEN" in result.output


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/api/v1/openapi.json"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_hsts_and_secure_cookies_outside_development(app_factory):
    app = app_factory(**PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    with app.app_context():
        response = app.test_client().get("/login")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_error_pages_leak_nothing(app_factory):
    app = app_factory(**PRODUCTION)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    with app.app_context():
        response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in body and "Traceback" not in body
    assert "Something went wrong" in body


def test_big_form_is_413(client):
    response = client.post("/login", data={"email": "x" * (13 * 1024 * 1024)})
    assert response.status_code == 413
