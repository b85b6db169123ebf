"""Signed-in pages: one's own certificates, trainers' completions, the coordinator's desk."""

from __future__ import annotations

import datetime as dt

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from certificates import archive, badges, issuing, revocation
from certificates.blueprint import bp
from certificates.codes import display
from certificates.forms import NoteForm, ProgressForm, RevokeForm, SuspendForm, ZipForm
from certificates.models import IssuedCertificate
from competencies.endorsements import category_names
from competencies.models import Endorsement, Evidence
from competencies.pathways import open_pathways
from lms.forms import ConfirmForm, choices
from lms.models import Association, User
from lms.permissions import acting_association, current_actor, require

LIST_LIMIT = 200
MAX_ZIP_DAYS = 3700


def _progress_form(user: User, association: Association | None, formdata=None) -> ProgressForm:
    form = ProgressForm(formdata=formdata)
    rows = [p for p in open_pathways(user) if association and p.association_id == association.id]
    form.category.choices = choices((p.category, p.category) for p in rows)
    return form


def _mine(progress_form: ProgressForm | None = None, status: int = 200):
    actor = current_actor()
    association = acting_association("certificates:issue_own", required=False)
    rows = list(
        IssuedCertificate.select(
            IssuedCertificate.id,
            IssuedCertificate.kind,
            IssuedCertificate.code,
            IssuedCertificate.title,
            IssuedCertificate.issued_on,
            IssuedCertificate.status,
        )
        .where(IssuedCertificate.holder == actor.user)
        .order_by(IssuedCertificate.id.desc())
        .limit(LIST_LIMIT)
    )
    form = progress_form or _progress_form(actor.user, association)
    return render_template(
        "certificates/mine.html",
        rows=rows,
        linkedin=_linkedin_links(rows),
        association=association,
        progress_form=form,
        transcript_form=ConfirmForm(),
        display=display,
    ), status


def _linkedin_links(rows: list[IssuedCertificate]) -> dict[int, str]:
    """LinkedIn add-to-profile links of the valid endorsement certificates among rows."""
    ids = [r.id for r in rows if r.kind == "endorsement" and r.status == "valid"]
    if not ids:
        return {}
    links = {}
    for cert in IssuedCertificate.select().where(IssuedCertificate.id.in_(ids)):
        names = category_names(cert.association, cert.issued_on)
        title = names.get(cert.category) or cert.category
        links[cert.id] = badges.linkedin_url(
            name=f"Infant Mental Health Endorsement: {title} ({cert.category})",
            organisation=cert.association.name,
            issued=cert.issued_on,
            expires=cert.expires_on,
            cert_url=issuing.verify_url(cert.code),
            cert_id=display(cert.code),
        )
    return links


@bp.route("/")
@require()
def mine():
    return _mine()


def _issued(cert: IssuedCertificate):
    flash(f"{cert.kind_word} issued. Its verification code is {display(cert.code)}.", "success")
    return redirect(url_for("certificates.mine"))


@bp.route("/progress", methods=["POST"])
@require("certificates:issue_own")
def issue_progress():
    actor = current_actor()
    association = acting_association("certificates:issue_own", required=False)
    form = _progress_form(actor.user, association, formdata=request.form)
    if not form.validate_on_submit():
        return _mine(form, 400)
    try:
        cert = issuing.issue_progress(
            actor.user, association, category=form.category.data, actor=actor
        )
    except issuing.CertificateError as exc:
        form.category.errors.append(str(exc))
        return _mine(form, 400)
    return _issued(cert)


@bp.route("/transcript", methods=["POST"])
@require("certificates:issue_own")
def issue_transcript():
    actor = current_actor()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _issued(
        issuing.issue_transcript(
            actor.user, acting_association("certificates:issue_own", required=False), actor=actor
        )
    )


def _visible(cert_id: int) -> IssuedCertificate:
    cert = IssuedCertificate.get_or_none(IssuedCertificate.id == cert_id)
    if cert is None or not issuing.may_download(current_actor(), cert):
        abort(404)
    return cert


@bp.route("/<int:cert_id>/pdf")
@require()
def download(cert_id: int):
    cert = _visible(cert_id)
    name = f"{cert.kind}-{display(cert.code)}.pdf"
    return Response(
        bytes(cert.pdf),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": cert.sha256,
        },
    )


@bp.route("/<int:cert_id>/credential.json")
@require()
def credential(cert_id: int):
    cert = _visible(cert_id)
    if not cert.credential:
        abort(404)
    return Response(
        cert.credential,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="endorsement-{display(cert.code)}.json"'
        },
    )


# --- trainers ---------------------------------------------------------------------------------


@bp.route("/completions")
@require("certificates:issue_completion")
def completions():
    actor = current_actor()
    rows = list(
        issuing.completions_for(actor)
        .order_by(Evidence.occurred_on.desc(), Evidence.id.desc())
        .limit(LIST_LIMIT)
    )
    refs = {f"evidence:{r.id}" for r in rows}
    issued = {
        c.source_ref: c
        for c in IssuedCertificate.select().where(
            (IssuedCertificate.kind == "completion")
            & (IssuedCertificate.status == "valid")
            & IssuedCertificate.source_ref.in_(sorted(refs) or [""])
        )
    }
    return render_template(
        "certificates/completions.html", rows=rows, issued=issued, display=display
    )


@bp.route("/completions/<int:evidence_id>", methods=["POST"])
@require("certificates:issue_completion")
def issue_completion(evidence_id: int):
    evidence = Evidence.get_or_none(Evidence.id == evidence_id)
    if evidence is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cert = issuing.issue_completion(evidence, actor=current_actor())
    except issuing.CertificateError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("certificates.completions"))
    flash(f"Certificate issued. Its verification code is {display(cert.code)}.", "success")
    return redirect(url_for("certificates.completions"))


# --- coordinators -----------------------------------------------------------------------------


def _managed_ids() -> list[int] | None:
    return current_actor().association_ids("certificates:manage")


@bp.route("/manage")
@require("certificates:manage")
def manage():
    ids = _managed_ids()
    filters = NoteForm(request.args)
    query = (
        IssuedCertificate.select(
            IssuedCertificate.id,
            IssuedCertificate.kind,
            IssuedCertificate.code,
            IssuedCertificate.title,
            IssuedCertificate.issued_on,
            IssuedCertificate.status,
            IssuedCertificate.suspended_at,
            User.display_name,
        )
        .join(User, on=IssuedCertificate.holder)
        .order_by(IssuedCertificate.id.desc())
    )
    if ids is not None:
        query = query.where(IssuedCertificate.association.in_(ids or [0]))
    if filters.kind.data:
        query = query.where(IssuedCertificate.kind == filters.kind.data)
    if filters.q.data:
        query = query.where(User.display_name.contains(filters.q.data.strip()[:100]))
    rows = list(query.limit(LIST_LIMIT).objects())
    endorsements = (
        Endorsement.select(Endorsement, User)
        .join(User, on=Endorsement.clinician)
        .where(Endorsement.status == "active")
    )
    if ids is not None:
        endorsements = endorsements.where(Endorsement.association.in_(ids or [0]))
    endorsements = list(endorsements.order_by(Endorsement.awarded_on.desc()).limit(LIST_LIMIT))
    refs = [f"endorsement:{e.id}" for e in endorsements]
    certified = {
        c.source_ref
        for c in IssuedCertificate.select(IssuedCertificate.source_ref).where(
            (IssuedCertificate.kind == "endorsement")
            & (IssuedCertificate.status == "valid")
            & IssuedCertificate.source_ref.in_(refs or [""])
        )
    }
    today = dt.date.today()
    zip_form = ZipForm(formdata=None, start=today.replace(day=1), end=today)
    names = {
        a.id: category_names(a, today)
        for a in Association.select().where(
            Association.id.in_(sorted({e.association_id for e in endorsements}) or [0])
        )
    }
    return render_template(
        "certificates/manage.html",
        rows=rows,
        endorsements=endorsements,
        category_names=names,
        certified=certified,
        filters=filters,
        zip_form=zip_form,
        confirm=ConfirmForm(),
        display=display,
        limit=LIST_LIMIT,
    )


@bp.route("/endorsements/<int:endorsement_id>", methods=["POST"])
@require("certificates:manage")
def issue_endorsement(endorsement_id: int):
    endorsement = Endorsement.get_or_none(Endorsement.id == endorsement_id)
    if endorsement is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cert = issuing.issue_endorsement(endorsement, actor=current_actor())
    except issuing.CertificateError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("certificates.manage"))
    flash(f"Endorsement certificate issued: {display(cert.code)}.", "success")
    return redirect(url_for("certificates.manage"))


@bp.route("/<int:cert_id>/revoke", methods=["GET", "POST"])
@require("certificates:manage")
def revoke(cert_id: int):
    cert = IssuedCertificate.get_or_none(IssuedCertificate.id == cert_id)
    actor = current_actor()
    if cert is None or not actor.can("certificates:manage", cert.association_id):
        abort(404)
    form = RevokeForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                revocation.revoke(cert, reason=form.reason.data, actor=actor)
            except issuing.CertificateError as exc:
                form.reason.errors.append(str(exc))
            else:
                flash(f"Certificate {display(cert.code)} is revoked.", "success")
                return redirect(url_for("certificates.manage"))
        status = 400
    names = category_names(cert.association, cert.issued_on) if cert.category else {}
    return render_template(
        "certificates/revoke.html", cert=cert, form=form, display=display, names=names
    ), status


def _managed(cert_id: int) -> IssuedCertificate:
    cert = IssuedCertificate.get_or_none(IssuedCertificate.id == cert_id)
    if cert is None or not current_actor().can("certificates:manage", cert.association_id):
        abort(404)
    return cert


@bp.route("/<int:cert_id>/suspend", methods=["GET", "POST"])
@require("certificates:manage")
def suspend(cert_id: int):
    cert = _managed(cert_id)
    form = SuspendForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                revocation.suspend(cert, reason=form.reason.data, actor=current_actor())
            except issuing.CertificateError as exc:
                form.reason.errors.append(str(exc))
            else:
                flash(f"Certificate {display(cert.code)} is suspended.", "success")
                return redirect(url_for("certificates.manage"))
        status = 400
    return render_template(
        "certificates/suspend.html", cert=cert, form=form, display=display
    ), status


@bp.route("/<int:cert_id>/reinstate", methods=["POST"])
@require("certificates:manage")
def reinstate(cert_id: int):
    cert = _managed(cert_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        revocation.reinstate(cert, actor=current_actor())
    except issuing.CertificateError as exc:
        flash(str(exc), "danger")
    else:
        flash(f"Certificate {display(cert.code)} is reinstated.", "success")
    return redirect(url_for("certificates.manage"))


@bp.route("/manage/zip")
@require("certificates:manage")
def download_zip():
    form = ZipForm(request.args)
    if form.validate():
        if form.end.data < form.start.data:
            form.end.errors.append("The end date is before the start date.")
        elif (form.end.data - form.start.data).days > MAX_ZIP_DAYS:
            form.end.errors.append("Choose a period of at most ten years.")
    if form.errors:
        return render_template("certificates/zip_form.html", form=form), 400
    ids = archive.selection(_managed_ids(), form.kind.data, form.start.data, form.end.data)
    name = f"{form.kind.data}-{form.start.data}-{form.end.data}.zip"
    return Response(
        stream_with_context(archive.stream_zip(ids)),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
