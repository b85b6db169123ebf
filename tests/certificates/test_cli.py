"""The certificates commands: issue prints the code, revoke by code; both audited."""

from __future__ import annotations

import re

from certificates.codes import normalise
from certificates.models import IssuedCertificate
from lms.models import AuditLog

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def test_issue_prints_the_code_and_writes_the_stored_pdf(runner, on_pathway, tmp_path):
    out = tmp_path / "progress.pdf"
    result = runner.invoke(
        args=[
            "certificates", "issue", "--kind", "progress",
            "--email", "CLINICIAN@example.test", "--output", str(out),
        ]
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    code = result.output.strip()
    assert CODE.match(code)
    cert = IssuedCertificate.get(IssuedCertificate.code == normalise(code))
    assert out.read_bytes() == bytes(cert.pdf) and cert.issuer_id is None
    assert AuditLog.select().where(AuditLog.action == "certificate.issue").count() == 1


def test_issue_endorsement_and_transcript(runner, endorsement):
    for kind in ("endorsement", "transcript"):
        result = runner.invoke(
            args=["certificates", "issue", "--kind", kind, "--email", "clinician@example.test"]
        )
        assert result.exit_code == 0, result.output
    kinds = [c.kind for c in IssuedCertificate.select().order_by(IssuedCertificate.id)]
    assert kinds == ["endorsement", "endorsement", "transcript"]


def test_issue_names_what_is_wrong(runner, clinician):
    unknown = runner.invoke(
        args=["certificates", "issue", "--kind", "progress", "--email", "nobody@example.test"]
    )
    no_goal = runner.invoke(
        args=["certificates", "issue", "--kind", "progress", "--email", "clinician@example.test"]
    )
    no_endorsement = runner.invoke(
        args=["certificates", "issue", "--kind", "endorsement", "--email", "clinician@example.test"]
    )

    assert unknown.exit_code == 2 and "No account has the email" in unknown.output
    assert no_goal.exit_code == 1 and "declare a goal first" in no_goal.output
    assert no_endorsement.exit_code == 1 and "no active endorsement" in no_endorsement.output
    assert IssuedCertificate.select().count() == 0


def test_revoke_by_typed_code(runner, on_pathway):
    code = runner.invoke(
        args=["certificates", "issue", "--kind", "transcript", "--email", "clinician@example.test"]
    ).output.strip()

    result = runner.invoke(
        args=["certificates", "revoke", code.lower().replace("-", " "), "--reason", "Test issue"]
    )
    assert result.exit_code == 0, result.output
    cert = IssuedCertificate.get(IssuedCertificate.code == normalise(code))
    assert cert.status == "revoked" and cert.revoked_reason == "Test issue"
    assert AuditLog.select().where(AuditLog.action == "certificate.revoke").count() == 1

    again = runner.invoke(args=["certificates", "revoke", code, "--reason", "again"])
    missing = runner.invoke(args=["certificates", "revoke", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "--reason", "x"])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert missing.exit_code == 1 and "No certificate has the code" in missing.output
