"""Correct or void a recorded completion: from the roster and from a clinician's transcript."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for

from competencies.frameworks import area_infos, framework_for
from courses import completions, corrections
from courses.blueprint import bp
from courses.errors import CourseError
from courses.forms_records import CorrectionForm, VoidForm
from courses.models import Completion
from lms.errors import form_error
from lms.forms import choices
from lms.permissions import Actor, current_actor, require

BACK = ("roster", "transcript")


def _back_url(actor: Actor, completion: Completion, back: str | None) -> str:
    """Return where the page leads back to: the roster or transcript it was opened from."""
    if back == "transcript" and actor.can("courses:view_transcripts", completion.association_id):
        return url_for("courses.transcript", clinician_id=completion.clinician_id)
    if completion.session_id:
        return url_for("courses.roster", session_id=completion.session_id)
    if actor.can("courses:view_transcripts", completion.association_id):
        return url_for("courses.transcript", clinician_id=completion.clinician_id)
    if completion.training_id:
        return url_for("courses.training_detail", training_id=completion.training_id)
    return url_for("courses.catalogue")


def _decimal(hours: float) -> Decimal:
    """Return hours for the form as typed: 15, not 15.0 or 15.00."""
    return Decimal(int(hours)) if hours == int(hours) else Decimal(str(hours))


def _correction_form(completion: Completion, formdata=None) -> CorrectionForm:
    """Return the correction form, starting from the recorded values unless posted."""
    if formdata is None:
        form = CorrectionForm(
            prefix="correct",
            formdata=None,
            data={
                "completed_on": completion.completed_on,
                "hours": _decimal(completion.hours),
                "areas": completion.area_list,
            },
        )
    else:
        form = CorrectionForm(prefix="correct", formdata=formdata)
    training = completion.training if completion.training_id else None
    framework = framework_for(completion.association)
    names = {a.id: a.name for a in area_infos(framework)} if framework else {}
    if training is not None:
        offered = sorted(training.area_set)
    else:  # a training taken elsewhere may cover any area of the framework
        offered = sorted(set(names) | set(completion.area_list))
    form.areas.choices = choices((a, f"{a} — {names[a]}" if a in names else a) for a in offered)
    if training is not None:
        form.hours.description = (
            f"More than 0 and at most {training.hours:g}, the training's clock hours."
        )
    return form


def _void_form(formdata=None) -> VoidForm:
    return VoidForm(prefix="void", formdata=formdata)


def _load(completion_id: int) -> tuple[Actor, Completion, str | None]:
    actor = current_actor()
    completion = completions.get_completion(actor, completion_id, "courses:record_completion")
    if not corrections.may_correct(actor, completion):
        abort(403)
    back = request.args.get("back")
    return actor, completion, back if back in BACK else None


def _render(actor, completion, back, correction, void, status=200):
    current = corrections.latest_version(completion) if completion.status == "void" else None
    return render_template(
        "courses/correct.html",
        completion=completion,
        training=completion.training if completion.training_id else None,
        correction=correction,
        void=void,
        error_forms=[correction, void],
        back=back,
        back_url=_back_url(actor, completion, back),
        current=current if current is not None and current.id != completion.id else None,
        history=_history(completion),
        own=completion.clinician_id == actor.user.id,
        transcript_url=(
            url_for("courses.transcript", clinician_id=completion.clinician_id)
            if actor.can("courses:view_transcripts", completion.association_id)
            else None
        ),
    ), status


def _history(completion: Completion) -> list[Completion]:
    """Return the earlier versions this completion corrected, newest first."""
    out = []
    current = completion
    while current.replaces_id is not None and len(out) < 100:
        current = Completion.get_by_id(current.replaces_id)
        out.append(current)
    return out


@bp.route("/completions/<int:completion_id>/correct", methods=["GET", "POST"])
@require("courses:record_completion")
def correct_completion(completion_id: int):
    actor, completion, back = _load(completion_id)
    if request.method == "GET":
        return _render(actor, completion, back, _correction_form(completion), _void_form())
    correction = _correction_form(completion, request.form)
    if correction.validate_on_submit():
        try:
            new = corrections.correct_completion(
                actor,
                completion,
                reason=correction.reason.data or "",
                completed_on=correction.completed_on.data,
                hours=float(correction.hours.data),
                areas=correction.areas.data or [],
            )
        except CourseError as exc:
            form_error(correction, exc)
        else:
            flash(
                f"Corrected: {new.label}, {new.hours:g} clock hours on "
                f"{new.completed_on.isoformat()}. The earlier entry stays in the history, void.",
                "success",
            )
            return redirect(_back_url(actor, new, back))
    return _render(actor, completion, back, correction, _void_form(), 400)


@bp.route("/completions/<int:completion_id>/void", methods=["POST"])
@require("courses:record_completion")
def void_completion(completion_id: int):
    actor, completion, back = _load(completion_id)
    void = _void_form(request.form)
    if void.validate_on_submit():
        try:
            corrections.void_recorded_completion(actor, completion, reason=void.reason.data or "")
        except CourseError as exc:
            form_error(void, exc)
        else:
            flash(
                f"Voided: {completion.label} of {completion.completed_on.isoformat()}. It stays "
                "in the history with your reason and no longer counts.",
                "success",
            )
            return redirect(_back_url(actor, completion, back))
    return _render(actor, completion, back, _correction_form(completion), void, 400)
