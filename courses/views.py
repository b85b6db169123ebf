"""The courses pages: catalogue, trainings and sessions, rosters, self-reports, transcripts."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for

from competencies.frameworks import area_infos, framework_for
from courses import access, completions, corrections, counting, self_reports, trainings
from courses import evidence_files as _evidence_files  # noqa: F401  (reviewers' file receiver)
from courses import roster as rosters
from courses.blueprint import bp
from courses.errors import CourseError
from courses.forms import DecisionForm, SelfReportForm, SessionForm, TrainingForm
from courses.models import FORMATS, CertificateFile, Completion, Prerequisite, Session, Training
from courses.transcript import (
    pathway_hours,
    recorded_elsewhere,
    transcript_csv,
    transcript_rows,
)
from lms import uploads
from lms.errors import form_error
from lms.forms import ConfirmForm, choices
from lms.inputs import upload_limit
from lms.models import Association, Membership, User
from lms.permissions import acting_association, current_actor, require


def _area_choices(association: Association) -> list:
    framework = framework_for(association)
    infos = area_infos(framework) if framework else ()
    return choices((a.id, f"{a.id} — {a.name} ({a.domain})") for a in infos)


# --- catalogue ---------------------------------------------------------------------------------


@bp.route("/")
@require("courses:view_catalogue")
def catalogue():
    actor = current_actor()
    association = acting_association("courses:view_catalogue", actor)
    args = request.args
    on_or_after = None
    date_error = None
    if args.get("from"):
        try:
            on_or_after = dt.date.fromisoformat(args["from"])
        except ValueError:
            date_error = "Give the date as YYYY-MM-DD."
    found = list(
        trainings.search_trainings(
            actor.association_ids("courses:view_catalogue"),
            text=args.get("q", "")[:100],
            area=args.get("area", "")[:100],
            tag=args.get("tag", "")[:40].lower(),
            fmt=args.get("format", "") if args.get("format") in FORMATS else "",
            on_or_after=on_or_after,
        ).limit(200)
    )
    framework = framework_for(association)
    return render_template(
        "courses/catalogue.html",
        trainings=found,
        areas=_area_choices(association),
        area_names={a.id: a.name for a in (area_infos(framework) if framework else ())},
        formats=FORMATS,
        args=args,
        date_error=date_error,
        can_manage=actor.can("courses:manage_trainings"),
    ), (400 if date_error else 200)


@bp.route("/trainings/<int:training_id>")
@require("courses:view_catalogue")
def training_detail(training_id: int):
    actor = current_actor()
    training = access.get_training(actor, training_id)
    sessions = list(training.sessions.order_by(Session.starts_on.desc()))
    prerequisites = [
        p.required for p in Prerequisite.select().where(Prerequisite.training == training)
    ]
    can_manage = True
    try:
        access.check_manage(actor, training)
    except Exception:  # Forbidden: shown read-only
        can_manage = False
    return render_template(
        "courses/training.html",
        training=training,
        sessions=sessions,
        prerequisites=prerequisites,
        can_manage=can_manage,
        can_record=access.may_record(actor, training),
    )


def _training_form(association: Association, training: Training | None, formdata=None):
    form = (
        TrainingForm(formdata=formdata)
        if formdata is not None
        else TrainingForm(formdata=None, obj=training)
    )
    form.areas.choices = _area_choices(association)
    others = Training.select().where(Training.association == association).order_by(Training.title)
    if training is not None:
        others = others.where(Training.id != training.id)
    form.prerequisites.choices = choices((t.id, f"{t.code} — {t.title}") for t in others)
    if formdata is None and training is not None:
        form.areas.data = sorted(training.area_set)
        form.area_hours.data = "; ".join(
            f"{a}={h:g}" for a, h in sorted(training.areas.items()) if h is not None
        )
        form.tags.data = ", ".join(training.tag_list)
        form.prerequisites.data = trainings.prerequisite_ids(training)
    return form


def _training_values(form) -> dict:
    areas = {a: None for a in form.areas.data or []}
    known = [c.value for c in form.areas.choices]
    for area, hours in trainings.parse_area_hours(form.area_hours.data or "", known).items():
        areas[area] = hours
    return {
        "code": form.code.data,
        "title": form.title.data,
        "provider": form.provider.data,
        "format": form.format.data,
        "hours": float(form.hours.data) if form.hours.data is not None else None,
        "areas": areas,
        "tags": (form.tags.data or "").split(","),
        "activity_iri": form.activity_iri.data,
        "hours_from_duration": form.hours_from_duration.data,
        "description": form.description.data,
    }


@bp.route("/trainings/new", methods=["GET", "POST"])
@bp.route("/trainings/<int:training_id>/edit", methods=["GET", "POST"])
@require("courses:manage_trainings")
def edit_training(training_id: int | None = None):
    actor = current_actor()
    training = None
    if training_id is not None:
        training = access.get_training(actor, training_id)
        access.check_manage(actor, training)
        association = training.association
    else:
        association = acting_association("courses:manage_trainings", actor)
    form = _training_form(association, training, request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        try:
            saved = trainings.save_training(
                actor,
                association,
                _training_values(form),
                training=training,
                prerequisites=form.prerequisites.data or [],
            )
        except CourseError as exc:
            form_error(form, exc, "code")
        else:
            flash(f"{saved.title} is saved.", "success")
            return redirect(url_for("courses.training_detail", training_id=saved.id))
    status = 400 if form.errors else 200
    return render_template("courses/training_form.html", form=form, training=training), status


@bp.route("/trainings/<int:training_id>/sessions/new", methods=["GET", "POST"])
@require("courses:manage_trainings")
def new_session(training_id: int):
    actor = current_actor()
    training = access.get_training(actor, training_id)
    access.check_manage(actor, training)
    form = SessionForm()
    trainers = (
        User.select()
        .join(Membership)
        .where(
            (Membership.association == training.association_id)
            & (Membership.role.in_(("trainer", "coordinator")))
        )
        .distinct()
        .order_by(User.display_name)
    )
    form.trainers.choices = choices((u.id, u.display_name) for u in trainers)
    if form.validate_on_submit():
        try:
            trainings.add_session(
                actor,
                training,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                location=form.location.data or "",
                online=form.online.data,
                capacity=form.capacity.data,
                trainer_ids=form.trainers.data or [],
            )
        except CourseError as exc:
            form_error(form, exc, "starts_on")
        else:
            flash("The session is scheduled.", "success")
            return redirect(url_for("courses.training_detail", training_id=training.id))
    status = 400 if form.errors else 200
    return render_template("courses/session_form.html", form=form, training=training), status


# --- roster ------------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/roster", methods=["GET", "POST"])
@require("courses:record_completion")
def roster(session_id: int):
    actor = current_actor()
    session = access.get_session(actor, session_id)
    training = session.training
    access.check_record(actor, training)
    errors: list[tuple[str, str]] = []  # (field id, message), all at once
    completed_on = session.ends_on
    query = request.args.get("q", "")[:100]
    ticked = set(request.form.getlist("attendee", type=int))
    pasted = ""
    if request.method == "POST":
        form = ConfirmForm()
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action", "record")
        query = request.form.get("q", query)[:100]
        raw_date = request.form.get("completed_on", "")
        try:
            completed_on = dt.date.fromisoformat(raw_date) if raw_date else session.ends_on
        except ValueError:
            errors.append(("completed_on", "Give the completion date as YYYY-MM-DD."))
        if action == "paste":
            pasted = request.form.get("emails", "")
            found, unknown = _tick_pasted(training.association, pasted, ticked)
            errors = [e for e in errors if e[0] != "completed_on"]
            if unknown:
                errors.append(("emails", unknown))
            elif found:
                flash(f"Ticked {found} clinician(s) from your list. Check, then record.", "info")
                pasted = ""
            else:
                errors.append(("emails", "Paste at least one email address."))
        elif action == "record" and not errors:
            if not ticked:
                errors.append(("attendees", "Tick at least one attendee, or paste their emails."))
            else:
                try:
                    results = completions.record_roster(
                        actor, session, sorted(ticked), completed_on=completed_on
                    )
                except CourseError as exc:
                    errors.append((exc.field or "attendees", str(exc)))
                else:
                    rosters.reevaluate_recorded(actor, results)
                    created = sum(1 for _, new in results if new)
                    flash(
                        f"Recorded {created} completion(s); {len(results) - created} were "
                        "already recorded.",
                        "success",
                    )
                    for message, counts in counting.recorded_messages(results):
                        flash(message, "info" if counts else "warning")
                    return redirect(url_for("courses.roster", session_id=session.id))
    people = access.search_clinicians(training.association, query, limit=100)
    recorded = {  # clinician id -> the live completion, which the trainer may correct
        c.clinician_id: c.id
        for c in Completion.select(Completion.id, Completion.clinician).where(
            (Completion.session == session) & Completion.live.is_null(False)
        )
    }
    also_ticked = rosters.ticked_people(training.association, ticked - set(recorded), people)
    return render_template(
        "courses/roster.html",
        session=session,
        training=training,
        people=people,
        also_ticked=also_ticked,
        recorded=recorded,
        words=counting.prerequisite_words(
            training, [*people, *also_ticked], completed_on, recorded=recorded
        ),
        query=query,
        page_errors=errors,
        completed_on=completed_on,
        ticked=ticked,
        pasted=pasted,
        form=ConfirmForm(),
    ), (400 if errors else 200)


def _tick_pasted(association: Association, text: str, ticked: set[int]) -> tuple[int, str]:
    """Tick the clinicians whose emails are pasted; return how many, and what was not found."""
    emails, bad = rosters.parse_emails(text)
    people = rosters.clinicians_by_email(association, emails)
    ticked.update(u.id for u in people.values())
    missing = [e for e in emails if e not in people]
    parts = []
    if missing:
        parts.append("not a clinician of the association: " + ", ".join(missing[:20]))
    if bad:
        parts.append("not an email address: " + ", ".join(bad[:20]))
    if not parts:
        return len(people), ""
    return len(people), f"{len(people)} found and ticked; " + "; ".join(parts) + "."


# --- self-reports and verification -------------------------------------------------------------


def _self_report_form(association: Association, formdata=None) -> SelfReportForm:
    form = SelfReportForm(formdata=formdata) if formdata is not None else SelfReportForm()
    active = Training.select().where(
        (Training.association == association) & (Training.active == True)  # noqa: E712
    )
    form.training.choices = choices(
        [(0, "Not in the catalogue")]
        + [(t.id, f"{t.code} — {t.title}") for t in active.order_by(Training.title)]
    )
    form.areas.choices = _area_choices(association)
    return form


@bp.route("/report", methods=["GET", "POST"])
@upload_limit
@require("courses:self_report")
def self_report():
    actor = current_actor()
    association = acting_association("courses:self_report", actor)
    form = _self_report_form(association)
    if form.validate_on_submit():
        upload = form.certificate.data
        training = None
        if form.training.data:
            training = Training.get_or_none(
                (Training.id == form.training.data) & (Training.association == association)
            )
        try:
            data, content_type = self_reports.read_certificate(upload.stream, upload.filename)
            self_reports.report_training(
                actor,
                training=training,
                title=form.title.data or "",
                provider=form.provider.data or "",
                completed_on=form.completed_on.data,
                hours=float(form.hours.data),
                areas=form.areas.data or [],
                certificate=data,
                filename=upload.filename or "certificate",
                content_type=content_type,
            )
        except CourseError as exc:
            form_error(form, exc, "certificate")
        else:
            flash("Sent. It counts once your association or the trainer verifies it.", "success")
            return redirect(url_for("courses.transcript"))
    status = 400 if form.errors else 200
    return render_template("courses/self_report.html", form=form), status


@bp.route("/verify")
@require("courses:verify_self_reports")
def verify_queue():
    actor = current_actor()
    rows = list(completions.pending_self_reports(actor).limit(200))
    return render_template("courses/verify.html", rows=rows, form=DecisionForm())


@bp.route("/completions/<int:completion_id>/decide", methods=["POST"])
@require("courses:verify_self_reports")
def decide(completion_id: int):
    actor = current_actor()
    completion = completions.get_completion(actor, completion_id, "courses:verify_self_reports")
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            completions.decide(
                actor,
                completion,
                accept=form.decision.data == "verify",
                reason=form.reason.data or "",
            )
        except CourseError as exc:
            flash(str(exc), "danger")
        else:
            flash("Decision saved.", "success")
    else:
        flash("Choose verify or reject.", "danger")
    return redirect(url_for("courses.verify_queue"))


@bp.route("/completions/<int:completion_id>/certificate")
@require()
def certificate(completion_id: int):
    actor = current_actor()
    completion = Completion.get_or_none(Completion.id == completion_id)
    if completion is None:
        abort(404)
    if completion.clinician_id != actor.user.id and not completions.may_verify(actor, completion):
        abort(404)
    file = CertificateFile.select().where(CertificateFile.completion == completion).first()
    if file is None:
        abort(404)
    data = bytes(file.data)
    content_type, disposition = uploads.serving(
        file.content_type, data, f"certificate-{completion.id}", download=True
    )
    return Response(
        data,
        mimetype=content_type,
        headers={**uploads.FILE_HEADERS, "Content-Disposition": disposition},
    )


# --- transcripts -------------------------------------------------------------------------------


def _transcript_subject(clinician_id: int | None) -> User:
    actor = current_actor()
    if clinician_id is None:
        if not actor.can("courses:self_report"):
            abort(403)
        return actor.user
    user = User.get_or_none(User.id == clinician_id)
    if user is None:
        abort(404)
    shared = [
        m.association_id
        for m in Membership.select().where(
            (Membership.user == user) & (Membership.role == "clinician")
        )
    ]
    if not any(actor.can("courses:view_transcripts", a) for a in shared):
        abort(404)
    return user


def _transcript_scope(clinician_id: int | None) -> list[int] | None:
    """Return the associations whose completions the actor sees (None: all, own transcript)."""
    if clinician_id is None:
        return None
    return current_actor().association_ids("courses:view_transcripts")


@bp.route("/transcript")
@bp.route("/clinicians/<int:clinician_id>/transcript")
@require()
def transcript(clinician_id: int | None = None):
    user = _transcript_subject(clinician_id)
    scope = _transcript_scope(clinician_id)
    rows = transcript_rows(user, scope)
    recorded = [r.completion for r in rows]
    actor = current_actor()
    correctable = (
        set()
        if clinician_id is None or clinician_id == actor.user.id
        else {
            c.id for c in recorded if c.status == "verified" and corrections.may_correct(actor, c)
        }
    )
    return render_template(
        "courses/transcript.html",
        user=user,
        rows=rows,
        own=clinician_id is None,
        by_id={c.id: c for c in recorded},
        correctable=correctable,
        pathway_hours=pathway_hours(user, scope, dt.date.today()),
        today=dt.date.today(),
        elsewhere=recorded_elsewhere(user, scope),
        # Own transcript: a link to each self-report's certificate (others open it to verify).
        certified=self_reports.with_certificate(c.id for c in recorded)
        if clinician_id is None
        else set(),
    )


@bp.route("/transcript.csv")
@bp.route("/clinicians/<int:clinician_id>/transcript.csv")
@require()
def transcript_download(clinician_id: int | None = None):
    user = _transcript_subject(clinician_id)
    return Response(
        transcript_csv(user, _transcript_scope(clinician_id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="transcript-{user.id}.csv"'},
    )
