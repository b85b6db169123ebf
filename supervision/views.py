"""Pages: the clinician's RSC page and sessions, the provider's page, providers' credentials."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import peewee as pw
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from competencies.models import Evidence
from competencies.reevaluate import after_commit, of
from competencies.types import COUNTED
from lms.db import is_sqlite
from lms.errors import form_error
from lms.forms import ConfirmForm, choices
from lms.models import Association, User
from lms.permissions import acting_association, current_actor, ensure_in_association, require
from lms.security import limiter
from supervision import attestation, credentials, explain, reminders, rules, services
from supervision.blueprint import bp
from supervision.forms import (
    FORMAT_LABELS,
    AttestForm,
    CredentialForm,
    GroupEntryForm,
    RejectForm,
    SessionForm,
)
from supervision.models import MEANING, ProviderCredential, RscSession


def _sign_limit() -> str:
    return current_app.config.get("SUPERVISION_SIGN_LIMIT", "10 per 15 minutes")


def _signer_key() -> str:
    return f"rsc-sign:{current_user.get_id() or request.remote_addr}"


def _failed(response) -> bool:
    # Only failed signatures use up the allowance; a busy provider may sign all day.
    return response.status_code >= 400


sign_limit = limiter.limit(_sign_limit, key_func=_signer_key, methods=["POST"], deduct_when=_failed)


def _input(form) -> rules.SessionInput:
    hours = form.hours.data
    return rules.SessionInput(
        occurred_on=form.occurred_on.data,
        hours=float(hours) if isinstance(hours, Decimal) else hours,
        format=form.format.data,
        facilitated=bool(getattr(form, "facilitated", None) and form.facilitated.data),
        group_size=form.group_size.data,
        about_giving_rsc=bool(form.about_giving_rsc.data),
        private_note=getattr(getattr(form, "private_note", None), "data", "") or "",
    )


_field_error = form_error  # a service error onto its field (lms.errors)


# --- the clinician ----------------------------------------------------------------------------


@bp.route("/")
@require("supervision:log_own")
def my_rsc():
    user = current_actor().user
    today = dt.date.today()
    views = explain.rsc_views(user, today)
    sessions = explain.session_rows(user)
    pending = [r.session for r in sessions if r.session and r.status == "pending"]
    drafts = [explain.draft_of(s) for s in pending]
    ahead = explain.verdicts(user, drafts, today)
    return render_template(
        "supervision/my_rsc.html",
        views=views,
        sessions=sessions,
        ahead=ahead,
        remind_form=ConfirmForm(formdata=None),
        fmt=explain.hours_text,
        formats=FORMAT_LABELS,
        today=today,
    )


def _session_form(association: Association, obj=None) -> SessionForm:
    form = SessionForm(obj=obj)
    form.provider.choices = choices((p.id, p.display_name) for p in rules.providers_of(association))
    return form


# A value that passes each field's check, to find the problems after the first one.
_PASSING = {"occurred_on": None, "hours": 1.0, "format": "individual", "private_note": ""}


def _every_problem(data: rules.SessionInput) -> list[rules.SupervisionError]:
    """Return every problem of the typed session at once (the check stops at the first: each
    field found at fault is replaced by a passing value and the check runs again)."""
    today = dt.date.today()
    found: list[rules.SupervisionError] = []
    for _ in range(len(_PASSING) + 2):  # each field at most once, then a clean pass
        try:
            rules.check_input(data, today)
        except rules.SupervisionError as exc:
            if exc.field in {e.field for e in found}:
                break
            found.append(exc)
            if exc.field == "group_size":
                data = replace(data, group_size=2)
            elif exc.field in _PASSING:
                data = replace(data, **{exc.field: _PASSING[exc.field] or today})
            else:
                break
        else:
            break
    return found


def _check_or_save(form: SessionForm, association: Association, session=None):
    """Judge the typed session with the evaluator, and save it unless only checking."""
    user = current_actor().user
    provider = User.get_or_none(User.id == form.provider.data)
    problems = _every_problem(_input(form))
    if provider is None:
        form.provider.errors.append("Choose an RSC provider of your association.")
    for exc in problems:
        _field_error(form, exc, "occurred_on")
    if provider is None or problems:
        return None, None
    try:
        data = rules.check_input(_input(form), dt.date.today())
        if form.check.data:
            draft = explain.Draft(
                key=-session.id if session else -1,
                occurred_on=data.occurred_on,
                hours=data.hours,
                format=data.format,
                facilitated=data.facilitated,
                about_giving_rsc=data.about_giving_rsc,
                provider=provider,
                credentials=credentials.credentials_of(provider, association),
                evidence_id=session.evidence_id if session else None,
            )
            return None, explain.verdicts(user, [draft])[draft.key]
        if session is None:
            saved = services.log_session(user, association, provider, data)
        else:
            saved = services.update_session(session, data, actor=user, provider=provider)
    except rules.SupervisionError as exc:
        _field_error(form, exc, "occurred_on")
        return None, None
    return saved, None


@bp.route("/sessions/new", methods=["GET", "POST"])
@require("supervision:log_own")
def new_session():
    association = acting_association("supervision:log_own")
    form = _session_form(association)
    if request.method == "GET":
        form.occurred_on.data = dt.date.today()
    verdicts = None
    if form.validate_on_submit():
        saved, verdicts = _check_or_save(form, association)
        if saved is not None:
            flash("Session logged. It counts once your provider attests it.", "success")
            return redirect(url_for("supervision.session", session_id=saved.id))
    status = 400 if form.errors else 200
    return render_template(
        "supervision/session_form.html", form=form, verdicts=verdicts, session=None
    ), status


def _own_session(session_id: int) -> RscSession:
    session = RscSession.get_or_none(
        (RscSession.id == session_id) & (RscSession.clinician == current_actor().user)
    )
    if session is None:
        abort(404)
    return session


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@require("supervision:log_own")
def session(session_id: int):
    row = _own_session(session_id)
    association = row.association
    form = _session_form(association, obj=row if request.method == "GET" else None)
    if request.method == "GET":
        form.provider.data = row.provider_id  # obj= gives the User; the select wants its id
    verdicts = None
    if request.method == "POST" and row.status == "void":
        abort(409)
    if form.validate_on_submit():
        saved, verdicts = _check_or_save(form, association, row)
        if saved is not None:
            flash("Session changed. It waits for your provider's attestation again.", "success")
            return redirect(url_for("supervision.session", session_id=row.id))
    if verdicts is None and not form.errors and row.status != "void":
        verdicts = explain.verdicts(current_actor().user, [explain.draft_of(row)])[-row.id]
    return render_template(
        "supervision/session_form.html",
        form=form,
        verdicts=verdicts,
        session=row,
        signature_ok=attestation.signature_valid(row),
        meaning=MEANING,
        withdraw_form=ConfirmForm(),
        formats=FORMAT_LABELS,
    ), (400 if form.errors else 200)


@bp.route("/sessions/<int:session_id>/withdraw", methods=["POST"])
@require("supervision:log_own")
def withdraw(session_id: int):
    row = _own_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw(row, actor=current_actor().user)
    except rules.SupervisionError as exc:
        flash(str(exc), "danger")
    else:
        flash("Session withdrawn.", "success")
    return redirect(url_for("supervision.my_rsc"))


@bp.route("/sessions/<int:session_id>/remind", methods=["POST"])
@require("supervision:log_own")
def remind(session_id: int):
    row = _own_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        reminders.remind_provider(row, current_actor().user)
    except reminders.RemindError as exc:
        flash(str(exc), "danger")
    else:
        flash(f"{row.provider.display_name} is reminded by email.", "success")
    return redirect(url_for("supervision.my_rsc") + f"#session-{row.id}")


# --- the provider -----------------------------------------------------------------------------


def _month(column: pw.Field) -> pw.Node:
    if is_sqlite():
        return pw.fn.strftime("%Y-%m", column)
    return pw.fn.to_char(column, "YYYY-MM")


def provider_overview(provider: User, association_ids: list[int] | None) -> dict:
    """Return the provider page's supervisees, pending sessions and hours given per month."""
    given = Evidence.select().where(
        (Evidence.kind == "rsc")
        & (Evidence.provider == provider)
        & Evidence.status.in_(sorted(COUNTED))
    )
    pending = (
        RscSession.select(RscSession, User)
        .join(User, on=RscSession.clinician)
        .where((RscSession.provider == provider) & (RscSession.status == "pending"))
        .order_by(RscSession.occurred_on, RscSession.id)
    )
    if association_ids is not None:
        given = given.where(Evidence.association.in_(association_ids))
        pending = pending.where(RscSession.association.in_(association_ids))
    month = _month(Evidence.occurred_on)
    since = dt.date.today().replace(day=1) - dt.timedelta(days=366)
    monthly = list(
        given.select(month.alias("month"), pw.fn.SUM(Evidence.hours), pw.fn.COUNT(Evidence.id))
        .where(Evidence.occurred_on >= since)
        .group_by(month)
        .order_by(month)
        .tuples()
    )
    per_clinician = {
        cid: (hours, last)
        for cid, hours, last in given.select(
            Evidence.clinician, pw.fn.SUM(Evidence.hours), pw.fn.MAX(Evidence.occurred_on)
        )
        .group_by(Evidence.clinician)
        .tuples()
    }
    pending = list(pending)
    waiting: dict[int, int] = {}
    for s in pending:
        waiting[s.clinician_id] = waiting.get(s.clinician_id, 0) + 1
    ids = set(per_clinician) | set(waiting)
    names = {u.id: u.display_name for u in User.select().where(User.id.in_(sorted(ids)))}
    supervisees = sorted(
        (
            {
                "name": names.get(cid, ""),
                "hours": per_clinician.get(cid, (0.0, None))[0] or 0.0,
                "last": per_clinician.get(cid, (0.0, None))[1],
                "waiting": waiting.get(cid, 0),
            }
            for cid in ids
        ),
        key=lambda r: r["name"].lower(),
    )
    top = max((h for _, h, _ in monthly), default=0.0) or 1.0
    return {
        "pending": pending,
        "supervisees": supervisees,
        "monthly": [
            {"month": m, "hours": h, "sessions": n, "share": h / top} for m, h, n in monthly
        ],
    }


def _provider_page(attest_form=None, error=None, status=200):
    actor = current_actor()
    overview = provider_overview(actor.user, actor.association_ids("supervision:attest"))
    form = attest_form or AttestForm(formdata=None)
    return render_template(
        "supervision/provider.html",
        form=form,
        reject_form=RejectForm(formdata=None),
        error=error,
        fmt=explain.hours_text,
        formats=FORMAT_LABELS,
        credentials=credentials.credentials_of(
            actor.user, acting_association("supervision:attest")
        ),
        **overview,
    ), status


@bp.route("/provider")
@require("supervision:attest")
def provider():
    return _provider_page()


def _sessions_for_provider(ids: list[int]) -> list[RscSession]:
    actor = current_actor()
    rows = list(RscSession.select().where(RscSession.id.in_(sorted(set(ids)))))
    if len(rows) != len(set(ids)):
        abort(404)
    for row in rows:
        ensure_in_association(actor, "supervision:attest", row.association_id)
    return rows


def _reevaluate(sessions: list[RscSession]) -> None:
    """Re-evaluate the attendees' readiness rows the signatures made stale, in a job."""
    after_commit(of(sessions), background=True, owner_id=current_actor().user.id)


@bp.route("/provider/attest", methods=["POST"])
@require("supervision:attest")
@sign_limit
def attest():
    form = AttestForm()
    if not form.validate_on_submit():
        return _provider_page(form, "Enter your password to sign.", 400)
    rows = _sessions_for_provider(form.sessions.data or [])
    try:
        signed = services.attest(rows, provider=current_actor().user, password=form.password.data)
    except rules.SupervisionError as exc:
        if exc.field == "password":
            form.password.errors.append(str(exc))
        return _provider_page(form, str(exc), 400)
    flash(f"Signed {len(signed)} session{'s' if len(signed) != 1 else ''}.", "success")
    _reevaluate(signed)
    return redirect(url_for("supervision.provider"))


@bp.route("/provider/sessions/<int:session_id>/reject", methods=["POST"])
@require("supervision:attest")
def reject(session_id: int):
    (row,) = _sessions_for_provider([session_id])
    form = RejectForm()
    if not form.validate_on_submit():
        return _provider_page(
            error="Say why you reject the session; the clinician sees it.", status=400
        )
    try:
        services.reject(row, provider=current_actor().user, reason=form.reason.data)
    except rules.SupervisionError as exc:
        return _provider_page(error=str(exc), status=400)
    flash("Rejected; the clinician sees your reason.", "success")
    return redirect(url_for("supervision.provider"))


@bp.route("/provider/enter", methods=["GET", "POST"])
@require("supervision:attest")
@sign_limit
def enter():
    association = acting_association("supervision:attest")
    provider_user = current_actor().user
    form = GroupEntryForm()
    form.attendees.choices = choices(
        (c.id, c.display_name) for c in rules.clinicians_of(association) if c.id != provider_user.id
    )
    if request.method == "GET":
        form.occurred_on.data = dt.date.today()
    if form.validate_on_submit():
        attendees = list(User.select().where(User.id.in_(form.attendees.data)))
        try:
            rows = services.enter_for_attendees(
                provider_user, association, attendees, _input(form), password=form.password.data
            )
        except rules.SupervisionError as exc:
            _field_error(form, exc, "occurred_on")
        else:
            flash(f"Entered and signed for {len(rows)} attendee(s).", "success")
            _reevaluate(rows)
            return redirect(url_for("supervision.provider"))
    return render_template("supervision/enter.html", form=form), (400 if form.errors else 200)


# --- the coordinator: providers' credentials --------------------------------------------------


@bp.route("/providers")
@require("supervision:manage_providers")
def providers():
    association = acting_association("supervision:manage_providers")
    people = list(rules.providers_of(association))
    held = {p.id: credentials.credentials_of(p, association) for p in people}
    return render_template(
        "supervision/providers.html", association=association, people=people, held=held
    )


@bp.route("/providers/<int:user_id>", methods=["GET", "POST"])
@require("supervision:manage_providers")
def provider_credentials(user_id: int):
    association = acting_association("supervision:manage_providers")
    person = User.get_or_none(User.id == user_id)
    if person is None or not rules.has_role(person, association, "rsc_provider"):
        abort(404)
    form = CredentialForm()
    form.code.choices = choices(credentials.credential_names(association).items())
    if request.method == "GET":
        form.valid_from.data = dt.date.today()
    if form.validate_on_submit():
        try:
            credentials.record_credential(
                person,
                association,
                form.code.data,
                form.valid_from.data,
                actor=current_actor().user,
            )
        except rules.SupervisionError as exc:
            _field_error(form, exc, "code")
        else:
            flash("Credential recorded.", "success")
            return redirect(url_for("supervision.provider_credentials", user_id=person.id))
    rows = list(
        ProviderCredential.select()
        .where(
            (ProviderCredential.provider == person)
            & (ProviderCredential.association == association)
        )
        .order_by(ProviderCredential.created_at.desc())
    )
    return render_template(
        "supervision/provider_credentials.html",
        person=person,
        association=association,
        rows=rows,
        form=form,
        current=credentials.credentials_of(person, association),
    ), (400 if form.errors else 200)


@bp.route("/credentials/<int:credential_id>/revoke", methods=["POST"])
@require("supervision:manage_providers")
def revoke_credential(credential_id: int):
    row = ProviderCredential.get_or_none(ProviderCredential.id == credential_id)
    if row is None:
        abort(404)
    ensure_in_association(current_actor(), "supervision:manage_providers", row.association_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        credentials.revoke_credential(row, actor=current_actor().user)
    except rules.SupervisionError as exc:
        flash(str(exc), "danger")
    else:
        flash("Credential revoked.", "success")
    return redirect(url_for("supervision.provider_credentials", user_id=row.provider_id))
