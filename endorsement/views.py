"""Pages of the endorsement workflow, at /endorsement/: the clinician's, the reviewers', the
association's desk, and the public registry and rating form (open to everyone)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from competencies.evaluator import missing_tasks
from competencies.models import Endorsement, Pathway
from competencies.pathways import OPEN_STATUSES
from competencies.readiness import BUCKET_LABELS, BUCKETS
from competencies.rulesets import bound_rule_set
from endorsement import (
    applications,
    dashboard,
    exams,
    files,
    references,
    registry,
    renewals,
    reviews,
)
from endorsement.blueprint import bp
from endorsement.errors import NotVisible, WorkflowError
from endorsement.forms import (
    ApplyForm,
    AssignForm,
    DecisionForm,
    ListingForm,
    RaterForm,
    RegisterForm,
    RegistrySearchForm,
    ReinstateForm,
    ReviewForm,
    ScoreForm,
    SittingForm,
    rating_form,
)
from endorsement.models import (
    Application,
    ExamRegistration,
    ExamSitting,
    Review,
)
from lms.csvutil import csv_rows
from lms.forms import ConfirmForm, choices
from lms.inputs import int_arg
from lms.models import Association, User, utcnow
from lms.permissions import current_actor, ensure_in_association, requested_association, require
from lms.security import limiter

T = "endorsement/"
STATUS_WORDS = applications.STATUS_WORDS


def _form_error(form, exc: WorkflowError, default: str) -> None:
    name = exc.field if exc.field in form else default
    getattr(form, name).errors.append(str(exc))


def _own_pathway(pathway_id: int) -> Pathway:
    pathway = Pathway.get_or_none(
        (Pathway.id == pathway_id) & (Pathway.clinician == current_actor().user)
    )
    if pathway is None:
        abort(404)
    return pathway


def _application(application_id: int) -> tuple[Application, str]:
    """Return an application and how the actor sees it: clinician, coordinator or reviewer."""
    application = Application.get_or_none(Application.id == application_id)
    if application is None:
        abort(404)
    actor = current_actor()
    if actor.can("endorsement:decide", application.association_id):
        return application, "coordinator"
    if application.clinician_id == actor.user.id:
        return application, "clinician"
    assigned = Review.select().where(
        (Review.application == application) & (Review.reviewer == actor.user)
    )
    if assigned.exists():
        return application, "reviewer"
    abort(404)


def snapshot_leaves(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the leaf requirements of a frozen result, depth first."""
    if not node.get("children"):
        return [node]
    return [leaf for child in node["children"] for leaf in snapshot_leaves(child)]


def _area_names(application: Application) -> dict[str, str]:
    areas = bound_rule_set(application.rule_set).areas_for(application.category)
    return {a.id: a.name for a in areas}


# --- clinician --------------------------------------------------------------------------------


@bp.route("/applications/mine")
@require("endorsement:apply")
def my_applications():
    user = current_actor().user
    pathways = list(Pathway.select().where(Pathway.clinician == user).order_by(Pathway.id.desc()))
    by_pathway = {
        a.pathway_id: a for a in Application.select().where(Application.clinician == user)
    }
    return render_template(
        T + "mine.html",
        pathways=pathways,
        by_pathway=by_pathway,
        words=STATUS_WORDS,
        open_statuses=OPEN_STATUSES,
    )


@bp.route("/pathways/<int:pathway_id>/apply", methods=["GET", "POST"])
@require("endorsement:apply")
def application_apply(pathway_id: int):
    pathway = _own_pathway(pathway_id)
    existing = Application.get_or_none(Application.pathway == pathway)
    form = ApplyForm()
    if form.validate_on_submit():
        signed = {
            doc
            for doc, ticked in (
                ("code_of_ethics", form.sign_code_of_ethics.data),
                ("endorsement_agreement", form.sign_endorsement_agreement.data),
            )
            if ticked
        }
        try:
            application = applications.submit(
                pathway,
                actor=current_actor().user,
                signed=signed,
                apply_anyway=bool(form.apply_anyway.data),
            )
        except WorkflowError as exc:
            _form_error(form, exc, "submit")
        else:
            flash("Your application is submitted. Your association will review it.", "success")
            return redirect(
                url_for("endorsement.application_detail", application_id=application.id)
            )
    result = applications.evaluate_now(pathway, dt.date.today())
    missing = list(missing_tasks(result))
    status = 400 if form.errors else 200
    return render_template(
        T + "apply.html",
        form=form,
        pathway=pathway,
        result=result,
        missing=missing,
        existing=existing,
    ), status


@bp.route("/pathways/<int:pathway_id>/references", methods=["GET", "POST"])
@require("endorsement:apply")
def pathway_references(pathway_id: int):
    pathway = _own_pathway(pathway_id)
    form = RaterForm()
    if form.validate_on_submit():
        try:
            references.ask(
                pathway,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                actor=current_actor().user,
            )
        except WorkflowError as exc:
            _form_error(form, exc, "email")
        else:
            flash(f"The rating link was sent to {form.email.data}.", "success")
            return redirect(url_for("endorsement.pathway_references", pathway_id=pathway.id))
    return render_template(
        T + "references.html",
        form=form,
        pathway=pathway,
        requests=references.for_pathway(pathway),
        threshold=references.void_threshold(pathway),
    ), (400 if form.errors else 200)


@bp.route("/applications/<int:application_id>/resubmit", methods=["POST"])
@require("endorsement:apply")
def application_resubmit(application_id: int):
    application, role = _application(application_id)
    if role != "clinician" or not ConfirmForm().validate_on_submit():
        abort(404 if role != "clinician" else 400)
    try:
        applications.resubmit(application, actor=current_actor().user)
    except WorkflowError as exc:
        flash(str(exc), "danger")
    else:
        flash("Resubmitted with a fresh snapshot of your evidence.", "success")
    return redirect(url_for("endorsement.application_detail", application_id=application.id))


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@require("endorsement:apply")
def application_withdraw(application_id: int):
    application, role = _application(application_id)
    if role != "clinician" or not ConfirmForm().validate_on_submit():
        abort(404 if role != "clinician" else 400)
    try:
        applications.transition(
            application, "withdrawn", actor=current_actor().user, role=applications.CLINICIAN
        )
    except WorkflowError as exc:
        flash(str(exc), "danger")
    else:
        flash("Application withdrawn.", "success")
    return redirect(url_for("endorsement.application_detail", application_id=application.id))


# --- the application page (clinician, coordinator, assigned reviewer) -------------------------


def _decision_form(application: Application) -> DecisionForm:
    form = DecisionForm()
    allowed = [
        s
        for s in applications.allowed(application.status, applications.COORDINATOR)
        if s not in ("under_review", "exam_passed", "exam_failed", "retake")
    ]
    form.outcome.choices = choices((s, STATUS_WORDS[s]) for s in allowed)
    return form


def _assign_form(application: Application) -> AssignForm:
    form = AssignForm()
    form.reviewer.choices = choices(
        (u.id, u.display_name) for u in reviews.eligible_reviewers(application)
    )
    return form


@bp.route("/applications/<int:application_id>")
@require()
def application_detail(application_id: int):
    application, role = _application(application_id)
    return _render_application(application, role)


def _render_application(application, role, assign_form=None, decision_form=None, status=200):
    staff = role in ("coordinator", "reviewer")
    decision_form = decision_form or (
        _decision_form(application) if role == "coordinator" else None
    )
    endorsable = decision_form is not None and any(
        c.value == "endorsed" for c in decision_form.outcome.choices
    )
    context = {
        "application": application,
        "role": role,
        "words": STATUS_WORDS,
        "steps": applications.timeline(application),
        "leaves": snapshot_leaves(application.snapshot["result"]),
        "evidence": application.snapshot["evidence"],
        "requests": references.for_pathway(application.pathway) if staff else [],
        "files": files.files_for(application) if staff else None,
        "area_names": _area_names(application),
        "reviews": list(application.reviews) if role == "coordinator" else [],
        "agreed": reviews.agreed(application) if role == "coordinator" else None,
        "needs_third": reviews.needs_third(application) if role == "coordinator" else False,
        "assign_form": assign_form
        or (_assign_form(application) if role == "coordinator" else None),
        "decision_form": decision_form,
        # What today's evaluation misses, when the coordinator may endorse (None: ready).
        "endorse_missing": (
            reviews.missing_today(application, dt.date.today()) if endorsable else None
        ),
        "reviewers_needed": reviews.REVIEWERS_NEEDED,
        "confirm": ConfirmForm(),
        "clinician_can": applications.allowed(application.status, applications.CLINICIAN),
    }
    return render_template(T + "application.html", **context), status


# Evidence files are shown, never run: no script, no plugin other than the PDF viewer.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"


@bp.route("/applications/<int:application_id>/files/<key>")
@require()
def application_file(application_id: int, key: str):
    """Serve a file behind the application's frozen evidence to its reviewers and coordinators."""
    application, role = _application(application_id)
    if role not in ("coordinator", "reviewer"):
        abort(403)
    found = files.find(application, key)
    if found is None:
        abort(404)
    data = found.load()
    content_type, disposition = files.serving(found, data, request.args.get("download") == "1")
    return Response(
        data,
        mimetype=content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": FILE_CSP,
            "X-Content-SHA256": found.sha256,
        },
    )


@bp.route("/applications/<int:application_id>/assign", methods=["POST"])
@require("endorsement:decide")
def assign_reviewer(application_id: int):
    application, role = _application(application_id)
    if role != "coordinator":
        abort(404)
    form = _assign_form(application)
    if form.validate_on_submit():
        reviewer = User.get_or_none(User.id == form.reviewer.data)
        try:
            if reviewer is None:
                raise WorkflowError("Choose a reviewer.", "reviewer")
            reviews.assign(application, reviewer, actor=current_actor().user)
        except WorkflowError as exc:
            _form_error(form, exc, "reviewer")
        else:
            flash(f"{reviewer.display_name} is assigned.", "success")
            return redirect(
                url_for("endorsement.application_detail", application_id=application.id)
            )
    if not form.errors:
        form.reviewer.errors.append("Choose a reviewer from the list.")
    return _render_application(application, role, assign_form=form, status=400)


@bp.route("/applications/<int:application_id>/decide", methods=["POST"])
@require("endorsement:decide")
def application_decide(application_id: int):
    application, role = _application(application_id)
    if role != "coordinator":
        abort(404)
    form = _decision_form(application)
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
            _form_error(form, exc, "outcome")
        else:
            flash(f"Recorded: {STATUS_WORDS[form.outcome.data].lower()}.", "success")
            return redirect(
                url_for("endorsement.application_detail", application_id=application.id)
            )
    if not form.errors:
        form.outcome.errors.append("Choose a decision from the list.")
    return _render_application(application, role, decision_form=form, status=400)


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
    form.areas_met.choices = choices(_area_names(application).items())
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
            _form_error(form, exc, "recommendation")
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
        area_names=_area_names(application),
        scale=dict(references.SCALE),
    ), (400 if form.errors else 200)


# --- exams -------------------------------------------------------------------------------------


@bp.route("/exams", methods=["GET", "POST"])
@require("endorsement:decide")
def exams_page():
    association = requested_association("endorsement:decide")
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
            _form_error(form, exc, "held_on")
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


@bp.route("/renewal")
@require()
def renewal_page():
    user = current_actor().user
    rows = []
    for endorsement in renewals.for_endorsee(user):
        year = endorsement.renewal_due.year
        result = renewals.evaluate(endorsement, year) if endorsement.status == "active" else None
        rows.append({"endorsement": endorsement, "year": year, "result": result})
    listing = registry.listing(user)
    listing_form = ListingForm(formdata=None, show_city=bool(listing and listing.show_city))
    return render_template(
        T + "renewal.html",
        rows=rows,
        confirm=ConfirmForm(),
        listing_form=listing_form,
        today=dt.date.today(),
    )


@bp.route("/renewal/<int:endorsement_id>", methods=["POST"])
@require()
def renew(endorsement_id: int):
    endorsement = Endorsement.get_or_none(Endorsement.id == endorsement_id)
    if endorsement is None or not ConfirmForm().validate_on_submit():
        abort(404 if endorsement is None else 400)
    actor = current_actor()
    try:
        renewals.submit(endorsement, actor=actor)
    except NotVisible:
        abort(404)
    except WorkflowError as exc:
        flash(str(exc), "danger")
    else:
        flash(f"Renewed. The next renewal is due on {endorsement.renewal_due}.", "success")
    if actor.user.id == endorsement.clinician_id:
        return redirect(url_for("endorsement.renewal_page"))
    return redirect(
        url_for("endorsement.workflow_dashboard", association=endorsement.association_id)
    )


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


@bp.route("/registry-listing", methods=["POST"])
@require()
def registry_listing():
    form = ListingForm()
    if not form.validate_on_submit():
        abort(400)
    registry.set_listing(current_actor().user, show_city=bool(form.show_city.data))
    flash("Your registry choice is saved.", "success")
    return redirect(url_for("endorsement.renewal_page"))


# --- the association's dashboard ---------------------------------------------------------------


@bp.route("/workflow")
@require("endorsement:decide")
def workflow_dashboard():
    association = requested_association("endorsement:decide")
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
    association = requested_association("endorsement:decide")
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
    association = requested_association("endorsement:decide")
    today = dt.date.today()
    data = dashboard.readiness(association, today)
    lines = csv_rows(dashboard.READINESS_HEADER, dashboard.readiness_rows(data))
    name = f"{association.code}-readiness-{today.isoformat()}.csv"
    return Response(
        lines,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- public pages ------------------------------------------------------------------------------


@bp.route("/registry")
@limiter.limit("60 per minute")
def registry_page():
    form = RegistrySearchForm(request.args)
    form.category.choices = choices(
        [("", "Any category")]
        + [(c, c) for (c,) in Endorsement.select(Endorsement.category).distinct().tuples()]
    )
    form.association.choices = choices(
        [("", "Any association")]
        + [(a.code, a.name) for a in Association.select().where(Association.active)]
    )
    if not form.validate():
        entries, pages = [], 1
    else:
        entries, pages = registry.search(
            form.q.data or "",
            form.category.data or "",
            form.association.data or "",
            int_arg("page", 1),
        )
    return render_template(
        T + "registry.html",
        form=form,
        entries=entries,
        pages=pages,
        page=int_arg("page", 1),
    ), (400 if form.errors else 200)


@bp.route("/rate/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def rate(token: str):
    try:
        reference = references.find(token)
    except LookupError:
        abort(404)
    except WorkflowError as exc:
        return render_template(T + "rate_closed.html", message=str(exc)), 410
    pathway = reference.pathway
    areas = references.areas_to_rate(pathway)
    form = rating_form(areas)
    if form.validate_on_submit():
        answers = {a.id: getattr(form, a.id).data for a in areas}
        try:
            done = references.rate(token, answers, rater=getattr(current_actor(), "user", None))
        except WorkflowError as exc:
            _form_error(form, exc, "submit")
        else:
            return render_template(T + "rate_done.html", reference=done)
    domains: dict[str, list] = {}
    for area in areas:
        domains.setdefault(area.domain, []).append(getattr(form, area.id))
    return render_template(
        T + "rate.html",
        form=form,
        reference=reference,
        applicant=pathway.clinician,
        domains=domains,
    ), (400 if form.errors else 200)
