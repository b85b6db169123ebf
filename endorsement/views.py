"""Pages of the endorsement workflow, at /endorsement/: the clinician's, the application page
every role shares, renewals, and the public registry and rating form (open to everyone).

The association's desk (reviews, decisions, exams, the pipeline dashboard) is in
endorsement.views_desk, on the same blueprint."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from competencies.evaluator import missing_tasks
from competencies.models import Endorsement, Pathway
from competencies.pathways import OPEN_STATUSES
from competencies.rulesets import bound_rule_set
from endorsement import applications, files, references, registry, renewals, reviews
from endorsement.blueprint import bp
from endorsement.errors import WorkflowError
from endorsement.forms import (
    ApplyForm,
    AssignForm,
    DecisionForm,
    ListingForm,
    RaterForm,
    RegistrySearchForm,
    rating_form,
)
from endorsement.models import Application, Review
from lms.errors import form_error
from lms.forms import ConfirmForm, choices
from lms.inputs import int_arg
from lms.models import Association
from lms.permissions import current_actor, require
from lms.security import limiter

T = "endorsement/"
STATUS_WORDS = applications.STATUS_WORDS


def _own_pathway(pathway_id: int) -> Pathway:
    pathway = Pathway.get_or_none(
        (Pathway.id == pathway_id) & (Pathway.clinician == current_actor().user)
    )
    if pathway is None:
        abort(404)
    return pathway


def application_and_role(application_id: int) -> tuple[Application, str]:
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


def area_names_of(application: Application) -> dict[str, str]:
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
            form_error(form, exc)
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
            form_error(form, exc, "email")
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
    application, role = application_and_role(application_id)
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
    application, role = application_and_role(application_id)
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


def decision_form_for(application: Application) -> DecisionForm:
    form = DecisionForm()
    allowed = [
        s
        for s in applications.allowed(application.status, applications.COORDINATOR)
        if s not in ("under_review", "exam_passed", "exam_failed", "retake")
    ]
    form.outcome.choices = choices((s, STATUS_WORDS[s]) for s in allowed)
    return form


def assign_form_for(application: Application) -> AssignForm:
    form = AssignForm()
    form.reviewer.choices = choices(
        (u.id, u.display_name) for u in reviews.eligible_reviewers(application)
    )
    return form


@bp.route("/applications/<int:application_id>")
@require()
def application_detail(application_id: int):
    application, role = application_and_role(application_id)
    return render_application(application, role)


def render_application(application, role, assign_form=None, decision_form=None, status=200):
    staff = role in ("coordinator", "reviewer")
    decision_form = decision_form or (
        decision_form_for(application) if role == "coordinator" else None
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
        "area_names": area_names_of(application),
        "reviews": list(application.reviews) if role == "coordinator" else [],
        "agreed": reviews.agreed(application) if role == "coordinator" else None,
        "needs_third": reviews.needs_third(application) if role == "coordinator" else False,
        "assign_form": assign_form
        or (assign_form_for(application) if role == "coordinator" else None),
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
    application, role = application_and_role(application_id)
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
    except WorkflowError as exc:
        flash(str(exc), "danger")
    else:
        flash(f"Renewed. The next renewal is due on {endorsement.renewal_due}.", "success")
    if actor.user.id == endorsement.clinician_id:
        return redirect(url_for("endorsement.renewal_page"))
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
            form_error(form, exc)
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
