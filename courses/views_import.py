"""The CSV import pages: upload, preview of every row's outcome, commit."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser_session

from courses import access, importer, previews
from courses.blueprint import bp
from courses.csv_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from courses.forms import ImportForm
from courses.models import Training
from lms import jobs
from lms.csvutil import csv_rows
from lms.forms import ConfirmForm, choices
from lms.inputs import upload_limit
from lms.permissions import acting_association, current_actor, require

TOKEN = re.compile(r"[0-9a-f]{32}")
IMPORT_ENDPOINTS = frozenset({"courses.import_upload", "courses.import_commit"})
JOB_KEY = "courses_import_job"  # the session's last import's readiness job


def _own_job(actor, job_id: str | None):
    """Return the state of a readiness job this user's import started, or None."""
    state = jobs.state(job_id or "")
    return state if state is not None and state.owner_id == actor.user.id else None


def _paths(user_id: int, token: str) -> tuple[Path, Path]:
    return previews.paths(current_app.instance_path, user_id, token)


def _training_choices(actor, association):
    return choices(
        [("", "Not a Moodle report")]
        + [
            (t.code, f"{t.code} — {t.title}")
            for t in access.recordable_trainings(actor, association).order_by(Training.title)
        ]
    )


@bp.route("/import", methods=["GET", "POST"])
@upload_limit
@require("courses:import")
def import_upload():
    actor = current_actor()
    association = acting_association("courses:import", actor)
    form = ImportForm()
    form.training.choices = _training_choices(actor, association)
    if form.validate_on_submit():
        token = secrets.token_hex(16)
        csv_path, meta_path = previews.keep(
            current_app.instance_path,
            actor.user.id,
            token,
            form.file.data.stream,
            {"training": form.training.data or None},
        )
        with csv_path.open("rb") as stream:
            report = importer.preview(
                actor, association, stream, training_code=form.training.data or None
            )
        if not report.ok:
            csv_path.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
            token = None
        return render_template(
            "courses/import_preview.html",
            report=report,
            token=token,
            filename=form.file.data.filename,
            form=ConfirmForm(),
        ), (200 if report.ok else 400)
    status = 400 if form.errors else 200
    kept = previews.kept(current_app.instance_path, actor.user.id)
    job = _own_job(actor, browser_session.get(JOB_KEY))
    return render_template("courses/import_form.html", form=form, kept=kept, job=job), status


@bp.route("/import/jobs/<job_id>")
@require("courses:import")
def import_job(job_id: str):
    """The progress of the readiness re-evaluation an import started (JSON, for polling)."""
    job = _own_job(current_actor(), job_id)
    if job is None:
        abort(404)
    return jsonify(
        status=job.status, done=job.done, total=job.total, percent=job.percent, message=job.message
    )


@bp.route("/import/template.csv")
@require("courses:import")
def import_template():
    """A CSV file with the import's columns and one example row, to fill in."""
    example = ("clinician@example.org", "IMH-101", "2026-03-14", "6", "TF-DEV;TF-PREG", "")
    return Response(
        csv_rows(REQUIRED_COLUMNS + OPTIONAL_COLUMNS, [example]),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="completions-template.csv"'},
    )


@bp.route("/import/<token>", methods=["GET"])
@require("courses:import")
def import_resume(token: str):
    """Show a kept preview again (the person's own only), to import it."""
    actor = current_actor()
    association = acting_association("courses:import", actor)
    csv_path, meta_path = _paths(actor.user.id, token) if TOKEN.fullmatch(token) else (None, None)
    if csv_path is None or not csv_path.exists():
        flash("This import is no longer available; upload the file again.", "danger")
        return redirect(url_for("courses.import_upload"))
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    with csv_path.open("rb") as stream:
        report = importer.preview(actor, association, stream, training_code=meta.get("training"))
    return render_template(
        "courses/import_preview.html",
        report=report,
        token=token if report.ok else None,
        filename="",
        form=ConfirmForm(),
    ), (200 if report.ok else 400)


@bp.route("/import/<token>", methods=["POST"])
@upload_limit
@require("courses:import")
def import_commit(token: str):
    actor = current_actor()
    association = acting_association("courses:import", actor)
    form = ConfirmForm()
    if not TOKEN.fullmatch(token) or not form.validate_on_submit():
        flash("This import is no longer available; upload the file again.", "danger")
        return redirect(url_for("courses.import_upload"))
    csv_path, meta_path = _paths(actor.user.id, token)
    if not csv_path.exists():
        flash("This import is no longer available; upload the file again.", "danger")
        return redirect(url_for("courses.import_upload"))
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    try:
        with csv_path.open("rb") as stream:
            report = importer.commit(actor, association, stream, training_code=meta.get("training"))
    except importer.ImportRejected as exc:
        return render_template(
            "courses/import_preview.html",
            report=exc.report,
            token=None,
            filename="",
            form=form,
        ), 400
    finally:
        csv_path.unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
    flash(
        f"Imported {report.written} completion(s); {report.existing} were already recorded"
        f"{f' and {report.skipped} not completed' if report.skipped else ''}.",
        "success",
    )
    if report.written:
        browser_session[JOB_KEY] = importer.reevaluate(actor, association, report, background=True)
    return redirect(url_for("courses.import_upload"))


def raise_upload_limit() -> None:
    """Allow large CSV files on the import page only (runs before CSRF reads the form)."""
    if request.endpoint in IMPORT_ENDPOINTS:
        request.max_content_length = importer.MAX_FILE_BYTES
