"""Pages for admins and coordinators: associations, agencies, users, invitations, audit log."""

from __future__ import annotations

import json

import peewee as pw
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from lms import accounts, audit
from lms.db import transactional
from lms.forms import (
    AgencyForm,
    AssociationForm,
    ConfirmForm,
    InviteForm,
    UserEditForm,
    choices,
)
from lms.inputs import int_arg
from lms.mail import send_mail
from lms.models import Agency, Association, AuditLog, Membership, User
from lms.permissions import ALL, current_actor, ensure_in_association, require
from lms.plugins import NavItem

bp = Blueprint("admin", __name__)

NAV = (
    NavItem("Associations and people", "admin.index", "lms:manage_users", order=90),
    NavItem("Audit log", "admin.audit_log", "lms:view_audit", order=95),
)
PER_PAGE = 50
USER_RECORDS = ("lms_user", "user")  # audit object types naming a person by id


def _association_or_404(association_id: int, capability: str = "lms:manage_users") -> Association:
    association = Association.get_or_none(Association.id == association_id)
    if association is None:
        abort(404)
    ensure_in_association(current_actor(), capability, association.id)
    return association


@bp.route("/")
@require("lms:manage_users")
def index():
    actor = current_actor()
    ids = actor.association_ids("lms:manage_users")
    query = Association.select().order_by(Association.name)
    if ids is not ALL:
        query = query.where(Association.id.in_(ids))
    return render_template(
        "lms/admin/index.html",
        associations=list(query),
        can_create=actor.can("lms:manage_associations"),
    )


@transactional
def _save_association(association: Association | None, form: AssociationForm, actor) -> Association:
    code = form.code.data.strip().upper()
    clash = Association.select().where(Association.code == code)
    if association is not None:
        clash = clash.where(Association.id != association.id)
    if clash.exists():
        raise accounts.AccountError("Another association already uses this code.", "code")
    before = (
        None if association is None else audit.snapshot(association, "code", "name", "renewal_due")
    )
    association = association or Association()
    association.code, association.name = code, form.name.data.strip()
    association.renewal_due = form.renewal_due.data.strip()
    association.save()
    audit.record(
        "association.save",
        association,
        actor=actor.user,
        association_id=association.id,
        before=before,
        after=audit.snapshot(association, "code", "name", "renewal_due"),
    )
    return association


def _valid_mmdd(value: str) -> bool:
    import datetime as dt

    try:
        dt.date(2024, int(value[:2]), int(value[3:])) if value[2] == "-" else None
    except (ValueError, IndexError):
        return False
    return len(value) == 5 and value[2] == "-"


@bp.route("/associations/new", methods=["GET", "POST"])
@require("lms:manage_associations")
def association_new():
    form = AssociationForm()
    if form.validate_on_submit():
        if not _valid_mmdd(form.renewal_due.data):
            form.renewal_due.errors.append("Write the date as MM-DD, e.g. 12-31.")
        else:
            try:
                association = _save_association(None, form, current_actor())
            except accounts.AccountError as exc:
                getattr(form, exc.field).errors.append(str(exc))
            else:
                flash(f"Association {association.name} created.", "success")
                return redirect(url_for("admin.association", association_id=association.id))
    return render_template("lms/admin/association_form.html", form=form), (
        400 if form.errors else 200
    )


@bp.route("/associations/<int:association_id>", methods=["GET", "POST"])
@require("lms:manage_users")
def association(association_id: int):
    association = _association_or_404(association_id)
    actor = current_actor()
    can_edit = actor.can("lms:manage_associations", association.id)
    form = AssociationForm(obj=association)
    agency_form = AgencyForm(prefix="agency")
    if request.method == "POST" and can_edit and "code" in request.form:
        if form.validate_on_submit():
            if not _valid_mmdd(form.renewal_due.data):
                form.renewal_due.errors.append("Write the date as MM-DD, e.g. 12-31.")
            else:
                try:
                    _save_association(association, form, actor)
                except accounts.AccountError as exc:
                    getattr(form, exc.field).errors.append(str(exc))
                else:
                    flash("Association saved.", "success")
                    return redirect(url_for("admin.association", association_id=association.id))
    elif request.method == "POST" and "agency-name" in request.form:
        if agency_form.validate_on_submit():
            try:
                _add_agency(association, agency_form, actor)
            except accounts.AccountError as exc:
                agency_form.name.errors.append(str(exc))
            else:
                flash("Agency added.", "success")
                return redirect(url_for("admin.association", association_id=association.id))
    elif request.method == "POST":
        abort(403)
    agencies = list(association.agencies.order_by(Agency.name))
    status = 400 if (form.errors or agency_form.errors) else 200
    return (
        render_template(
            "lms/admin/association.html",
            association=association,
            form=form,
            agency_form=agency_form,
            agencies=agencies,
            can_edit=can_edit,
        ),
        status,
    )


@transactional
def _add_agency(association: Association, form: AgencyForm, actor) -> Agency:
    name = form.name.data.strip()
    if association.agencies.where(Agency.name == name).exists():
        raise accounts.AccountError("This association already has an agency of that name.")
    agency = Agency.create(association=association, name=name, city=(form.city.data or "").strip())
    audit.record(
        "agency.create",
        agency,
        actor=actor.user,
        association_id=association.id,
        after={"name": agency.name, "city": agency.city},
    )
    return agency


def _agency_choices(association: Association) -> list:
    return choices(
        [(0, "— none —")] + [(a.id, a.name) for a in association.agencies.order_by(Agency.name)]
    )


@bp.route("/associations/<int:association_id>/users", methods=["GET", "POST"])
@require("lms:manage_users")
def users(association_id: int):
    association = _association_or_404(association_id)
    actor = current_actor()
    form = InviteForm()
    form.agency.choices = _agency_choices(association)
    invite_link = None
    if form.validate_on_submit():
        agency = Agency.get_or_none(
            (Agency.id == form.agency.data) & (Agency.association == association)
        )
        try:
            added = accounts.add_person(
                form.email.data,
                form.display_name.data,
                roles=tuple(form.roles.data),
                association=association,
                agency=agency,
                actor=actor.user,
            )
        except accounts.AccountError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            user = added.user
            if added.invited is None:
                flash(f"{user.display_name} already had an account; it now has these roles.")
            else:
                token = added.invited.token
                invite_link = url_for("auth.accept_invitation", token=token, _external=True)
                _send_invitation(user, invite_link)
                flash(f"{user.display_name} is invited. The link is shown below, once.", "success")
            form = InviteForm(formdata=None)
            form.agency.choices = _agency_choices(association)
    q = request.args.get("q", "").strip()
    page = int_arg("page", 1)
    query = (
        User.select(User, pw.fn.GROUP_CONCAT(Membership.role).alias("role_list"))
        if _sqlite()
        else User.select(User, pw.fn.STRING_AGG(Membership.role, ",").alias("role_list"))
    )
    query = (
        query.join(Membership)
        .where(Membership.association == association)
        .group_by(User.id)
        .order_by(User.display_name)
    )
    if q:
        query = query.where(User.display_name.contains(q) | User.email.contains(q.lower()))
    total = query.count()
    people = list(query.paginate(page, PER_PAGE))
    return (
        render_template(
            "lms/admin/users.html",
            association=association,
            form=form,
            people=people,
            invite_link=invite_link,
            q=q,
            page=page,
            pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        ),
        400 if form.errors else 200,
    )


def _sqlite() -> bool:
    from lms.db import is_sqlite

    return is_sqlite()


def _send_invitation(user: User, link: str) -> None:
    send_mail(
        user.email,
        "Your IMH Pathway account",
        f"Hello {user.display_name},\n\nAn account was created for you. Set your password here "
        f"(the link works once and expires in a few days):\n{link}\n",
    )


def _user_in_association(association: Association, user_id: int) -> User:
    user = (
        User.select()
        .join(Membership)
        .where((User.id == user_id) & (Membership.association == association))
        .first()
    )
    if user is None:
        abort(404)
    return user


@transactional
def _save_person(person: User, association: Association, form: UserEditForm, agency, actor):
    """Save the name, city and this association's roles together, or nothing."""
    accounts.update_profile(
        person,
        display_name=form.display_name.data,
        city=form.city.data or "",
        actor=actor.user,
        association_id=association.id,
    )
    accounts.set_roles(person, association, list(form.roles.data), agency=agency, actor=actor.user)


def _render_user(association, person, form, *, status: int = 200, problem: str = ""):
    """Render a person's page; what acts on the whole account shows only to who may do it."""
    return (
        render_template(
            "lms/admin/user.html",
            association=association,
            person=person,
            form=form,
            confirm=ConfirmForm(),
            manages_account=accounts.can_manage_account(current_actor(), person),
            problem=problem,
        ),
        status,
    )


def _user_form(association: Association, person: User, *, stored: bool) -> UserEditForm:
    """Return the edit form: the stored values, or what was posted."""
    if stored:
        memberships = list(person.memberships.where(Membership.association == association))
        form = UserEditForm(
            formdata=None,
            data={
                "display_name": person.display_name,
                "city": person.city,
                "roles": [m.role for m in memberships],
                "agency": next((m.agency_id for m in memberships if m.agency_id), 0),
            },
        )
    else:
        form = UserEditForm()
    form.agency.choices = _agency_choices(association)
    return form


@bp.route("/associations/<int:association_id>/users/<int:user_id>", methods=["GET", "POST"])
@require("lms:manage_users")
def user(association_id: int, user_id: int):
    association = _association_or_404(association_id)
    person = _user_in_association(association, user_id)
    actor = current_actor()
    form = _user_form(association, person, stored=request.method == "GET")
    if form.validate_on_submit():
        agency = Agency.get_or_none(
            (Agency.id == form.agency.data) & (Agency.association == association)
        )
        try:
            _save_person(person, association, form, agency, actor)
        except accounts.AccountError as exc:
            target = form.display_name if exc.field == "display_name" else form.roles
            target.errors.append(str(exc))
            person = User.get_by_id(person.id)  # the refused values were not saved
        else:
            flash("Saved.", "success")
            return redirect(url_for("admin.user", association_id=association.id, user_id=person.id))
    return _render_user(association, person, form, status=400 if form.errors else 200)


def _refused(association: Association, person: User, exc: accounts.AccountError):
    """Answer an account-level action the actor may not take: 403, the page saying why."""
    form = _user_form(association, person, stored=True)
    return _render_user(association, person, form, status=403, problem=str(exc))


@transactional
def _change_active(person: User, active: bool, actor: User, association: Association) -> bool:
    """Set the account active or not; return False, writing nothing, if it already is.

    The state is read again in the writing transaction (locked on PostgreSQL), so a click on a
    page loaded before another admin's change never undoes that change.
    """
    # Whoever may not change the account is refused by set_active before anything is locked.
    if accounts.can_manage_account(actor, person):
        query = User.select(User.active).where(User.id == person.id)
        person.active = (query if _sqlite() else query.for_update()).scalar()
        if person.active == active:
            return False
    accounts.set_active(person, active, actor=actor, association_id=association.id)
    return True


@bp.route("/associations/<int:association_id>/users/<int:user_id>/active", methods=["POST"])
@require("lms:manage_users")
def user_active(association_id: int, user_id: int):
    """Deactivate or reactivate as the form says (`active=0|1`), never toggle."""
    association = _association_or_404(association_id)
    person = _user_in_association(association, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    intended = request.form.get("active", "")
    if intended not in ("0", "1"):
        form = _user_form(association, person, stored=True)
        problem = (
            "The button did not say whether to deactivate or reactivate (field active must be "
            "0 or 1), so nothing was changed. Reload the page and use its button."
        )
        return _render_user(association, person, form, status=400, problem=problem)
    actor = current_actor()
    if person.id == actor.user.id:
        flash("You cannot deactivate yourself.", "danger")
        return redirect(url_for("admin.user", association_id=association.id, user_id=person.id))
    try:
        changed = _change_active(person, intended == "1", actor.user, association)
    except accounts.AccountError as exc:
        return _refused(association, person, exc)
    state = "active" if person.active else "deactivated"
    if not changed:
        form = _user_form(association, person, stored=True)
        problem = (
            f"{person.display_name} is already {state}: someone changed it after this page was "
            "loaded, so nothing was changed. Check the state below before acting again."
        )
        return _render_user(association, person, form, status=409, problem=problem)
    detail = "" if person.active else "; every session ended"
    flash(f"{person.display_name} is {state}{detail}.", "success")
    return redirect(url_for("admin.user", association_id=association.id, user_id=person.id))


@bp.route("/associations/<int:association_id>/users/<int:user_id>/invite", methods=["POST"])
@require("lms:manage_users")
def user_invite(association_id: int, user_id: int):
    association = _association_or_404(association_id)
    person = _user_in_association(association, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        issued = accounts.invite(person, actor=current_actor().user, association=association)
    except accounts.AccountError as exc:
        return _refused(association, person, exc)
    link = url_for("auth.accept_invitation", token=issued.token, _external=True)
    _send_invitation(person, link)
    return render_template(
        "lms/admin/invited.html", association=association, person=person, link=link
    )


@bp.route("/audit")
@require("lms:view_audit")
def audit_log():
    actor = current_actor()
    ids = actor.association_ids("lms:view_audit")
    page = int_arg("page", 1)
    query = AuditLog.select().order_by(AuditLog.id.desc())
    if ids is not ALL:
        query = query.where(audit.visible_to(ids))
    rows = list(query.paginate(page, PER_PAGE))
    for row in rows:
        row.after_pretty = _pretty(row.after)
        row.before_pretty = _pretty(row.before)
    # Names, not ids: one query for every person the page mentions (actor or user record).
    people = {r.actor_id for r in rows if r.actor_id} | {
        int(r.object_id) for r in rows if r.object_type in USER_RECORDS and r.object_id.isdigit()
    }
    names = dict(
        User.select(User.id, User.display_name).where(User.id.in_(sorted(people))).tuples()
        if people
        else []
    )
    # The chain spans every association: only admins see how the newest checkpoint holds.
    checkpoint = audit.checkpoint_status() if ids is ALL else None
    return render_template(
        "lms/admin/audit.html",
        rows=rows,
        names=names,
        user_records=USER_RECORDS,
        page=page,
        admin=ids is ALL,
        checkpoint=checkpoint,
    )


def _pretty(value: str | None) -> str:
    if not value:
        return ""
    try:
        return ", ".join(f"{k}: {v}" for k, v in json.loads(value).items())
    except (ValueError, AttributeError):
        return value
