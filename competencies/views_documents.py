"""The documents behind a clinician's items: attaching one to an own item, opening one."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from competencies import evidence_documents
from competencies.blueprint import bp
from competencies.forms import DocumentForm
from competencies.ledger import EvidenceError
from lms import uploads
from lms.errors import form_error
from lms.inputs import upload_limit
from lms.permissions import current_actor, require


@bp.route("/evidence/<int:evidence_id>/documents/new", methods=["GET", "POST"])
@upload_limit
@require("competencies:track_own")
def attach_document(evidence_id: int):
    user = current_actor().user
    row = evidence_documents.own_item(user, evidence_id)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            upload = evidence_documents.read(form.document.data.stream, form.document.data.filename)
            evidence_documents.attach(user, row.id, upload)
        except EvidenceError as exc:
            form_error(form, exc, "document")
        else:
            flash(f"Document attached to “{row.label}”.", "success")
            return redirect(url_for("competencies.my_evidence"))
    return render_template(
        "competencies/document_form.html",
        form=form,
        row=row,
        documents=evidence_documents.by_evidence([row.id]).get(row.id, []),
    ), (400 if form.errors else 200)


@bp.route("/evidence/<int:evidence_id>/documents/<int:document_id>")
@require()
def evidence_document(evidence_id: int, document_id: int):
    """Serve a document to the clinician whose item it is, or to staff of its association who
    may open documents; everyone else is told there is nothing here (404)."""
    document = evidence_documents.readable(current_actor(), evidence_id, document_id)
    data = evidence_documents.load(document.id)
    content_type, disposition = uploads.serving(
        document.content_type,
        data,
        f"document-{document.id}",
        request.args.get("download") == "1",
    )
    return Response(
        data,
        mimetype=content_type,
        headers={
            **uploads.FILE_HEADERS,
            "Content-Disposition": disposition,
            "X-Content-SHA256": document.sha256,
        },
    )
