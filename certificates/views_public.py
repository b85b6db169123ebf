"""Public verification: /verify pages, the JSON twin, issuer profiles and revocation lists.

Everything here is rate-limited per IP with one shared budget; an unknown code gets the same
page as a malformed one and a 404 that says nothing more.
"""

from __future__ import annotations

import json

from flask import Response, current_app, jsonify, redirect, render_template, request, url_for
from pydantic import BaseModel

from certificates import badges, images, issuing, status
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
        **_credential_links(cert),
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


def _credential_links(cert: IssuedCertificate) -> dict:
    """What the verify page links to for an endorsement's signed credential."""
    if not cert.credential:
        return {"credential_links": False}
    code = cert.association.code
    return {
        "credential_links": True,
        "badge_image": url_for(
            "verify.achievement_image", assoc_code=code, category=cert.category, ext="svg"
        ),
        "did_document": url_for("verify.issuer", assoc_code=code) + "/did.json",
    }


def _association(code: str) -> Association:
    association = Association.get_or_none(Association.code == code[:32])
    if association is None:
        return None
    return association


STATUS_MAX_AGE = 300  # seconds a verifier may cache the status list


def _json(doc: dict, mimetype: str = "application/json", max_age: int | None = None) -> Response:
    response = Response(json.dumps(doc, ensure_ascii=False, indent=2), mimetype=mimetype)
    if max_age is not None:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@public_bp.route("/issuers/<assoc_code>")
@public_bp.route("/issuers/<assoc_code>/did.json")
@verify_limit
def issuer(assoc_code: str):
    """The issuer's DID document (did:web), with its OB 3.0 Profile data and every key."""
    association = _association(assoc_code)
    if association is None:
        return _not_found(CodeForm(formdata=None))
    return _json(badges.did_document(association), max_age=STATUS_MAX_AGE)


@public_bp.route("/issuers/<assoc_code>/status/revocation")
@verify_limit
def status_list(assoc_code: str):
    """The association's signed revocation BitstringStatusListCredential (cacheable a few
    minutes)."""
    return _status_list(assoc_code, badges.STATUS_PURPOSE)


@public_bp.route("/issuers/<assoc_code>/status/suspension")
@verify_limit
def suspension_list(assoc_code: str):
    """The association's signed suspension BitstringStatusListCredential (same indices)."""
    return _status_list(assoc_code, badges.SUSPENSION_PURPOSE)


def _status_list(assoc_code: str, purpose: str):
    association = _association(assoc_code)
    published = status.current(association, purpose) if association is not None else None
    if published is None and association is not None and status.current(association):
        # An association whose lists predate suspension gets its (empty) suspension list now.
        published = status.publish_missing(association, purpose)
    if published is None:
        return _not_found(CodeForm(formdata=None))
    return _json(published, mimetype="application/vc+ld+json", max_age=STATUS_MAX_AGE)


@public_bp.route("/issuers/<assoc_code>/achievements/<category>/image.<ext>")
@verify_limit
def achievement_image(assoc_code: str, category: str, ext: str):
    """The badge of one endorsement category, as PNG or SVG."""
    association = _association(assoc_code)
    if association is None or ext not in ("png", "svg") or not category.isalnum():
        return _not_found(CodeForm(formdata=None))
    category = category[:20]
    if ext == "png":
        response = Response(images.badge_png(category, association.code), mimetype="image/png")
    else:
        title = f"Infant Mental Health Endorsement ({category}), {association.name}"
        svg = images.badge_svg(category, association.code, title)
        response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _endorsement(code: str) -> IssuedCertificate | None:
    cert = issuing.find_by_code(code)
    return cert if cert is not None and cert.credential else None


@public_bp.route("/<code>/credential.<ext>")
@verify_limit
def credential_file(code: str, ext: str):
    """The signed credential: JSON (Data Integrity), VC-JWT, or the badge PNG baked with it."""
    cert = _endorsement(code)
    if cert is None or ext not in ("json", "jwt", "png"):
        return _not_found(CodeForm(formdata=None, code=code))
    name = f"endorsement-{display(cert.code)}"
    if ext == "json":
        body, mimetype = cert.credential, "application/vc+ld+json"
    elif ext == "jwt":
        if not cert.credential_jwt:
            return _not_found(CodeForm(formdata=None, code=code))
        body, mimetype = cert.credential_jwt, badges.JWT_MEDIA_TYPE
    else:
        png = images.badge_png(cert.category or "IMH", cert.association.code)
        body, mimetype = images.bake(png, cert.credential), "image/png"
    disposition = "inline" if request.args.get("view") else "attachment"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'{disposition}; filename="{name}.{ext}"'},
    )


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
    superseded_by: str | None = None
    credential_status: str | None = None
    suspended_on: str | None = None
    suspended_reason: str | None = None


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
