"""Public verification: /verify pages, the JSON twin, issuer profiles and revocation lists.

Everything here is rate-limited per IP with one shared budget; an unknown code gets the same
page as a malformed one and a 404 that says nothing more.
"""

from __future__ import annotations

from flask import current_app, jsonify, redirect, render_template, request, url_for
from pydantic import BaseModel

from certificates import badges, issuing
from certificates.blueprint import api, public_bp
from certificates.codes import display, is_well_formed, normalise
from certificates.forms import CodeForm, UploadForm
from certificates.models import IssuedCertificate
from certificates.verification import matches, public_record
from lms.api import ApiError, operation
from lms.inputs import upload_limit
from lms.models import Association
from lms.security import limiter

DEFAULT_LIMIT = "60 per minute"
DEFAULT_UPLOAD_BYTES = 12 * 1024 * 1024


def _limit() -> str:
    return str(current_app.config.get("CERTIFICATES_VERIFY_LIMIT") or DEFAULT_LIMIT)


verify_limit = limiter.shared_limit(_limit, scope="certificates-verify")


@public_bp.before_request
def _upload_cap() -> None:
    # Only the hash check takes a body; a PDF certificate is far below this.
    request.max_content_length = int(
        current_app.config.get("CERTIFICATES_MAX_UPLOAD", DEFAULT_UPLOAD_BYTES)
    )


def _not_found(form: CodeForm):
    return render_template("certificates/verify_result.html", record=None, form=form), 404


@public_bp.route("", methods=["GET"])
@verify_limit
def start():
    form = CodeForm(request.args)
    if request.args.get("code") is not None:
        if form.validate():
            code = normalise(form.code.data)
            if is_well_formed(code):
                return redirect(url_for("verify.show", code=display(code)))
            form.code.errors.append(
                "A code has 16 letters and digits in four groups, e.g. 7KQ2-M9XD-4TRE-B6WN."
            )
        return render_template(
            "certificates/verify.html", form=form, upload=UploadForm(formdata=None)
        ), 400
    return render_template("certificates/verify.html", form=form, upload=UploadForm(formdata=None))


@public_bp.route("/<code>", methods=["GET", "POST"])
@upload_limit
@verify_limit
def show(code: str):
    cert = issuing.find_by_code(code)
    upload = UploadForm(formdata=None, code=code)
    lookup = CodeForm(formdata=None, code=code)
    if cert is None:
        return _not_found(lookup)
    result = None
    status = 200
    if request.method == "POST":
        upload = UploadForm()
        upload.code.data = code
        if upload.validate_on_submit():
            result = matches(cert, upload.pdf.data.read())
        else:
            status = 400
    return render_template(
        "certificates/verify_result.html",
        record=public_record(cert),
        form=lookup,
        upload=upload,
        result=result,
    ), status


@public_bp.route("", methods=["POST"])
@upload_limit
@verify_limit
def check_upload():
    """The hash check from the /verify page: code and file in one form."""
    upload = UploadForm()
    if not upload.validate_on_submit():
        return render_template(
            "certificates/verify.html", form=CodeForm(formdata=None), upload=upload
        ), 400
    cert = issuing.find_by_code(upload.code.data)
    if cert is None:
        return _not_found(CodeForm(formdata=None, code=upload.code.data))
    return render_template(
        "certificates/verify_result.html",
        record=public_record(cert),
        form=CodeForm(formdata=None, code=display(cert.code)),
        upload=UploadForm(formdata=None, code=display(cert.code)),
        result=matches(cert, upload.pdf.data.read()),
    )


def _association(code: str) -> Association:
    association = Association.get_or_none(Association.code == code[:32])
    if association is None:
        return None
    return association


@public_bp.route("/issuers/<assoc_code>")
@verify_limit
def issuer(assoc_code: str):
    association = _association(assoc_code)
    if association is None:
        return _not_found(CodeForm(formdata=None))
    return jsonify(badges.issuer_profile(association))


@public_bp.route("/issuers/<assoc_code>/revocations")
@verify_limit
def revocations(assoc_code: str):
    """The association's revoked endorsement credentials (1EdTech revocation list shape)."""
    association = _association(assoc_code)
    if association is None:
        return _not_found(CodeForm(formdata=None))
    rows = (
        IssuedCertificate.select(IssuedCertificate.code, IssuedCertificate.revoked_reason)
        .where(
            (IssuedCertificate.association == association)
            & (IssuedCertificate.kind == "endorsement")
            & (IssuedCertificate.status == "revoked")
        )
        .order_by(IssuedCertificate.id)
    )
    return jsonify(
        {
            "id": badges.revocation_list_id(association),
            "issuer": badges.issuer_id(association),
            "revokedCredentials": [
                {"id": badges.credential_id(r.code), "revocationReason": r.revoked_reason}
                for r in rows
            ],
        }
    )


class VerifiedCertificate(BaseModel):
    """What anyone may learn about a certificate from its code."""

    code: str
    holder_name: str
    kind: str
    document: str
    title: str
    category: str
    category_name: str
    issuer: str
    issued_on: str
    expires_on: str | None
    status: str
    revoked_on: str | None
    revoked_reason: str | None
    sha256: str


@api.get("/verify/<code>")
@verify_limit
@operation(
    "Check a certificate by its verification code",
    response=VerifiedCertificate,
    public=True,
    tags=("certificates",),
    statuses=(429,),
)
def api_verify(code: str):
    cert = issuing.find_by_code(code)
    if cert is None:
        raise ApiError(404, "There is nothing at this address.")
    return jsonify(VerifiedCertificate(**public_record(cert).to_dict()).model_dump())
