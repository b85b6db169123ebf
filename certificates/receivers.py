"""Signal receivers: the endorsement certificate on award, a demo certificate, the registry's
links to each endorsement's verify page."""

from __future__ import annotations

from flask import Flask, url_for


def on_award(endorsement, **_: object) -> None:
    from certificates.issuing import issue_endorsement

    issue_endorsement(endorsement, issuer=endorsement.recorded_by)


def on_demo(app: Flask, *, users: dict, **_: object) -> None:
    from certificates.issuing import CertificateError, issue_progress
    from certificates.models import IssuedCertificate

    clinician = users.get("clinician")
    if clinician is None:
        return
    if IssuedCertificate.select().where(IssuedCertificate.holder == clinician).exists():
        return
    try:
        issue_progress(clinician, issuer=clinician)
    except CertificateError:
        return


def links_for_registry(app: Flask, *, endorsement_ids: list[int], **_: object) -> dict[int, str]:
    """Link each endorsement to the verify page of its current (valid) certificate."""
    from certificates.codes import display
    from certificates.models import IssuedCertificate

    refs = {f"endorsement:{int(i)}": int(i) for i in endorsement_ids}
    rows = (
        IssuedCertificate.select(IssuedCertificate.source_ref, IssuedCertificate.code)
        .where(
            (IssuedCertificate.kind == "endorsement")
            & (IssuedCertificate.status == "valid")
            & IssuedCertificate.source_ref.in_(list(refs) or [""])
        )
        .order_by(IssuedCertificate.id)  # the newest wins below, should two be valid
        .tuples()
    )
    return {refs[ref]: url_for("verify.show", code=display(code)) for ref, code in rows}
