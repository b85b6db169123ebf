"""The association's desk at /endorsement/: assigning reviewers and deciding applications, the
reviewers' pages, exam sittings and results, reinstating endorsements, and the pipeline
dashboard with its CSV exports.

The page every role shares (an application, seen by its clinician, coordinator or reviewer) and
the clinician's and public pages are in endorsement.views; these routes join the same blueprint.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for

from competencies.models import Endorsement
from competencies.readiness_rows import BUCKET_LABELS, BUCKETS
from endorsement import applications, dashboard, exams, files, references, renewals, reviews
from endorsement.blueprint import bp
from endorsement.errors import WorkflowError
from endorsement.forms import RegisterForm, ReinstateForm, ReviewForm, ScoreForm, SittingForm
from endorsement.models import Application, ExamRegistration, ExamSitting, Review
from endorsement.views import (
    STATUS_WORDS,
    T,
    application_and_role,
    area_names_of,
    assign_form_for,
    decision_form_for,
    render_application,
    snapshot_leaves,
)
from lms.csvutil import csv_rows
from lms.errors import form_error
from lms.forms import ConfirmForm, choices
from lms.models import User, utcnow
from lms.permissions import acting_association, current_actor, ensure_in_association, require

# --- coordinator: reviewers and decisions on an application ---------------------------------


@bp.route("/applications/<int:application_id>/assign", methods=["POST"])
@require("endorsement:decide")
def assign_reviewer(application_id: int):
    application, role = application_and_role(application_id)
    if role != "coordinator":
        abort(404)
    form = assign_form_for(application)
    if form.validate_on_submit():
        reviewer = User.get_or_none(User.id == form.reviewer.data)
        try:
            if reviewer is None:
                raise WorkflowError("Choose a reviewer.", "reviewer")
            reviews.assign(application, reviewer, actor=current_actor().user)
        except WorkflowError as exc:
            form_error(form, exc, "reviewer")
        else:
            flash(f"{reviewer.display_name} is assigned.", "success")
            return redirect(
                url_for("endorsement.application_detail", application_id=application.id)
            )
    if not form.errors:
        form.reviewer.errors.append("Choose a reviewer from the list.")
    return render_application(application, role, assign_form=form, status=400)


@bp.route("/applications/<int:application_id>/decide", methods=["POST"])
@require("endorsement:decide")
def application_decide(application_id: int):
    application, role = application_and_role(application_id)
    if role != "coordinator":
        abort(404)
    form = decision_form_for(application)
    if form.validate_on_submit():
        try:
            reviews.decide(
                application,
                form.outcome.data,
                actor=current_actor().user,
                note=form.note.data or "",
                override_reason=form.override_reason.data or "",
            )
        except WorkflowError as exc:
            form_error(form, exc, "outcome")
        else:
            flash(f"Recorded: {STATUS_WORDS[form.outcome.data].lower()}.", "success")
            return redirect(
                url_for("endorsement.application_detail", application_id=application.id)
            )
    if not form.errors:
        form.outcome.errors.append("Choose a decision from the list.")
    return render_application(application, role, decision_form=form, status=400)


# --- reviewers ---------------------------------------------------------------------------------


@bp.route("/reviews")
@require("endorsement:review")
def my_reviews():
    rows = list(
        Review.select(Review, Application, User)
        .join(Application)
        .join(User, on=Application.clinician)
        .where(Review.reviewer == current_actor().user)
        .order_by(Review.completed_at.is_null(False), Review.assigned_at)
    )
    return render_template(T + "reviews.html", rows=rows, words=STATUS_WORDS)


def _review_form(review: Review) -> ReviewForm:
    application = review.application
    form = ReviewForm()
    form.areas_met.choices = choices(area_names_of(application).items())
    allowed = [
        r
        for r in reviews.RECOMMENDATIONS
        if r != "emerging" or application.category in applications.EMERGING_CATEGORIES
    ]
    form.recommendation.choices = choices(
        [("", "Choose…")] + [(r, STATUS_WORDS[r]) for r in allowed]
    )
    return form


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@require("endorsement:review")
def review_detail(review_id: int):
    review = Review.get_or_none(
        (Review.id == review_id) & (Review.reviewer == current_actor().user)
    )
    if review is None:
        abort(404)
    application = review.application
    form = _review_form(review)
    if form.validate_on_submit():
        try:
            reviews.complete(
                review,
                actor=current_actor().user,
                areas_met=list(form.areas_met.data or []),
                recommendation=form.recommendation.data,
                comment=form.comment.data or "",
            )
        except WorkflowError as exc:
            form_error(form, exc, "recommendation")
        else:
            flash("Your review is sent to the coordinator.", "success")
            return redirect(url_for("endorsement.my_reviews"))
    return render_template(
        T + "review.html",
        review=review,
        application=application,
        form=form,
        words=STATUS_WORDS,
        leaves=snapshot_leaves(application.snapshot["result"]),
        evidence=application.snapshot["evidence"],
        files=files.files_for(application),
        requests=references.for_pathway(application.pathway),
        area_names=area_names_of(application),
        scale=dict(references.SCALE),
    ), (400 if form.errors else 200)


# --- exams -------------------------------------------------------------------------------------


@bp.route("/exams", methods=["GET", "POST"])
@require("endorsement:decide")
def exams_page():
    association = acting_association("endorsement:decide")
    form = SittingForm()
    if form.validate_on_submit():
        try:
            exams.create_sitting(
                association,
                held_on=form.held_on.data,
                location=form.location.data,
                capacity=form.capacity.data,
                actor=current_actor().user,
            )
        except WorkflowError as exc:
            form_error(form, exc, "held_on")
        else:
            flash("Sitting scheduled.", "success")
            return redirect(url_for("endorsement.exams_page", association=association.id))
    return _render_exams(association, form, status=400 if form.errors else 200)


def _render_exams(association, form, register_errors=None, score_errors=None, status=200):
    sittings = list(
        ExamSitting.select()
        .where(ExamSitting.association == association)
        .order_by(ExamSitting.held_on.desc())
    )
    registrations = list(
        ExamRegistration.select(ExamRegistration, Application, User)
        .join(Application)
        .join(User, on=Application.clinician)
        .where(ExamRegistration.sitting.in_([s.id for s in sittings] or [0]))
        .order_by(User.display_name)
    )
    waiting = list(
        dashboard.applications(association.id).where(Application.status.in_(exams.REGISTRABLE))
    )
    register_form = RegisterForm(formdata=None)
    register_form.application.choices = choices(
        (a.id, f"{a.clinician.display_name} ({a.category}, {STATUS_WORDS[a.status].lower()})")
        for a in waiting
    )
    return render_template(
        T + "exams.html",
        association=association,
        form=form,
        sittings=sittings,
        registrations=registrations,
        register_form=register_form,
        register_errors=register_errors or {},
        score_errors=score_errors or {},
        score_form=ScoreForm(formdata=None),
    ), status


@bp.route("/exams/<int:sitting_id>/register", methods=["POST"])
@require("endorsement:decide")
def exam_register(sitting_id: int):
    sitting = ExamSitting.get_or_none(ExamSitting.id == sitting_id)
    if sitting is None:
        abort(404)
    actor = current_actor()
    ensure_in_association(actor, "endorsement:decide", sitting.association_id)
    application = Application.get_or_none(
        (Application.id == request.form.get("application", type=int))
        & (Application.association == sitting.association_id)
    )
    try:
        if application is None:
            raise WorkflowError("Choose an applicant approved for the exam.", "application")
        exams.register(application, sitting, actor=actor.user)
    except WorkflowError as exc:
        return _render_exams(
            sitting.association, SittingForm(formdata=None), {sitting.id: str(exc)}, status=400
        )
    flash(f"{application.clinician.display_name} is registered.", "success")
    return redirect(url_for("endorsement.exams_page", association=sitting.association_id))


@bp.route("/exams/registrations/<int:registration_id>/result", methods=["POST"])
@require("endorsement:decide")
def exam_result(registration_id: int):
    registration = ExamRegistration.get_or_none(ExamRegistration.id == registration_id)
    if registration is None:
        abort(404)
    actor = current_actor()
    sitting = registration.sitting
    ensure_in_association(actor, "endorsement:decide", sitting.association_id)
    form = ScoreForm()
    error = None
    if form.validate_on_submit():
        try:
            exams.record_result(registration, float(form.score.data), actor=actor.user)
        except WorkflowError as exc:
            error = str(exc)
    else:
        error = " ".join(form.score.errors) or "Give the score."
    if error:
        return _render_exams(
            sitting.association,
            SittingForm(formdata=None),
            score_errors={registration.id: error},
            status=400,
        )
    flash("Result recorded.", "success")
    return redirect(url_for("endorsement.exams_page", association=sitting.association_id))


# --- renewals ----------------------------------------------------------------------------------


@bp.route("/renewal/<int:endorsement_id>/reinstate", methods=["POST"])
@require("endorsement:decide")
def reinstate(endorsement_id: int):
    endorsement = Endorsement.get_or_none(Endorsement.id == endorsement_id)
    if endorsement is None:
        abort(404)
    actor = current_actor()
    ensure_in_association(actor, "endorsement:decide", endorsement.association_id)
    form = ReinstateForm()
    if not form.validate_on_submit():
        flash("Say why the endorsement is reinstated.", "danger")
    else:
        try:
            renewals.reinstate(endorsement, actor=actor, reason=form.reason.data)
        except WorkflowError as exc:
            flash(str(exc), "danger")
        else:
            flash("Reinstated.", "success")
    return redirect(
        url_for("endorsement.workflow_dashboard", association=endorsement.association_id)
    )


# --- the association's dashboard ---------------------------------------------------------------


@bp.route("/workflow")
@require("endorsement:decide")
def workflow_dashboard():
    association = acting_association("endorsement:decide")
    today = dt.date.today()
    counts = dashboard.pipeline(association.id)
    totals = dashboard.by_status(counts)
    bars, height = dashboard.chart(totals)
    status = request.args.get("status", "")
    if status and status not in STATUS_WORDS:
        status = ""
    categories = sorted({c for _, c in counts})
    ready = dashboard.readiness(association, today)
    return render_template(
        T + "dashboard.html",
        association=association,
        counts=counts,
        totals=totals,
        categories=categories,
        bars=bars,
        height=height,
        readiness=ready,
        readiness_chart=dashboard.readiness_chart(ready),
        buckets=BUCKETS,
        bucket_labels=BUCKET_LABELS,
        renewed=dashboard.recent_renewals(association.id, utcnow() - dt.timedelta(days=90)),
        chart_width=dashboard.CHART_WIDTH,
        label_width=dashboard.LABEL_WIDTH,
        bar_height=dashboard.BAR_HEIGHT,
        waiting=dashboard.waiting_per_reviewer(association.id),
        due=dashboard.renewals_due(association.id, today),
        lapsed=list(
            Endorsement.select(Endorsement, User)
            .join(User, on=Endorsement.clinician)
            .where((Endorsement.association == association) & (Endorsement.status == "lapsed"))
        ),
        rows=list(dashboard.applications(association.id, status).limit(200)),
        status=status,
        words=STATUS_WORDS,
        today=today,
        confirm=ConfirmForm(),
        reinstate_form=ReinstateForm(formdata=None),
    )


@bp.route("/workflow.csv")
@require("endorsement:decide")
def workflow_csv():
    association = acting_association("endorsement:decide")
    rows = dashboard.applications(association.id)
    lines = csv_rows(
        ("application", "applicant", "category", "status", "ready", "submitted_at"),
        (
            (a.id, a.clinician.display_name, a.category, a.status, a.ready, a.submitted_at)
            for a in rows
        ),
    )
    return Response(
        lines,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{association.code}-pipeline.csv"'},
    )


@bp.route("/workflow/readiness.csv")
@require("endorsement:decide")
def workflow_readiness_csv():
    association = acting_association("endorsement:decide")
    today = dt.date.today()
    data = dashboard.readiness(association, today)
    lines = csv_rows(dashboard.READINESS_HEADER, dashboard.readiness_rows(data))
    name = f"{association.code}-readiness-{today.isoformat()}.csv"
    return Response(
        lines,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
