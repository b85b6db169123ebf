"""The platform's own pages: home, account and API tokens."""

from __future__ import annotations

import datetime as dt

import peewee as pw
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from jinja2 import pass_context
from wtforms import Form as WtForm

from lms import accounts, vocabulary
from lms.forms import ConfirmForm, TokenForm, choices
from lms.home import split as split_todos
from lms.home import waited
from lms.models import ApiToken, Association, Membership
from lms.permissions import current_actor
from lms.plugins import NAV_GROUPS, nav_group, role_label
from lms.signals import dashboard_panels

bp = Blueprint("lms", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("lms/welcome.html")
    user = current_user._get_current_object()
    results = []
    for _receiver, result in dashboard_panels.send(user, actor=current_actor()):
        results.extend(result or [])
    todos, panels = split_todos(results)
    memberships = list(
        Membership.select(Membership, Association)
        .join(Association, join_type=pw.JOIN.LEFT_OUTER)
        .where(Membership.user == user)
        .order_by(Membership.role)
    )
    return render_template(
        "lms/home.html",
        panels=panels,
        todos=todos,
        waited=waited,
        today=dt.date.today(),
        memberships=memberships,
    )


def _scope_choices(user) -> list:
    pairs = []
    for m in (
        Membership.select(Membership, Association)
        .join(Association, join_type=pw.JOIN.LEFT_OUTER)
        .where(Membership.user == user)
        .order_by(Membership.role)
    ):
        key = f"{m.role}@{m.association_id or ''}"
        where = m.association.name if m.association_id else "all associations"
        label = f"{role_label(m.role)} — {where}"
        pairs.append((key, label))
    return choices(pairs)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = TokenForm()
    form.scope.choices = _scope_choices(user)
    new_secret = None
    if form.validate_on_submit():
        role, _, assoc_id = form.scope.data.partition("@")
        association = Association.get_or_none(Association.id == int(assoc_id)) if assoc_id else None
        try:
            issued = accounts.create_api_token(
                user,
                role=role,
                association=association,
                name=form.name.data,
                password=form.password.data or "",
            )
        except accounts.AccountError as exc:
            (form.password if exc.field == "password" else form.scope).errors.append(str(exc))
        else:
            new_secret = issued.secret
            form = TokenForm(formdata=None)
            form.scope.choices = _scope_choices(user)
    tokens = list(
        ApiToken.select().where(ApiToken.user == user).order_by(ApiToken.created_at.desc())
    )
    status = 400 if form.errors else 200
    return (
        render_template(
            "lms/account.html",
            form=form,
            tokens=tokens,
            new_secret=new_secret,
            revoke_form=ConfirmForm(),
        ),
        status,
    )


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = ApiToken.get_or_none((ApiToken.id == token_id) & (ApiToken.user == current_user.id))
    if token is None:
        abort(404)
    accounts.revoke_api_token(token, actor=current_actor().user)
    flash(f"The token “{token.name}” is revoked.", "success")
    return redirect(url_for("lms.account"))


@bp.route("/healthz")
def healthz():
    """Answer load balancers: the app runs and reaches its database."""
    from lms.db import db

    db.execute_sql("SELECT 1")
    return {"status": "ok"}, 200, {"Cache-Control": "no-store"}


@bp.app_template_filter("role_label")
def _role_label(role: str) -> str:
    return role_label(role)


@bp.app_template_filter("label")
def _label(code: str | None, kind: str, default: str | None = None) -> str:
    """{{ code|label("kind") }}: the code's name (lms.vocabulary)."""
    return vocabulary.label(code, kind, default)


@bp.app_template_filter("named")
def _named(code: str | None, kind: str | None = None, name=None) -> str:
    """{{ code|named("kind") }} or {{ code|named(name=…) }}: "Name (CODE)" (lms.vocabulary)."""
    return vocabulary.named(code, kind, name)


@bp.app_template_global("forms_with_errors")
@pass_context
def _forms_with_errors(context) -> list:
    """Return every form the view passed to the page that has errors, in the order passed:
    the error summary (lms/_error_summary.html) lists all their errors at once."""
    return [v for v in context.get_all().values() if isinstance(v, WtForm) and v.errors]


@bp.app_template_filter("role_labels")
def _role_labels(roles: str) -> str:
    """Name a comma-separated list of roles."""
    return ", ".join(role_label(r.strip()) for r in roles.split(",") if r.strip())


@bp.app_context_processor
def _nav():
    from flask import current_app

    actor = current_actor() if request.endpoint else None
    items = []
    if actor is not None:
        for item in sorted(current_app.extensions["lms.nav"], key=lambda i: (i.order, i.label)):
            if item.endpoint not in current_app.view_functions:
                continue  # a plugin may list pages of an optional part that is not loaded
            if item.capability is None or actor.can(item.capability):
                items.append(item)
    return {
        "nav_items": items,
        "nav_groups": _nav_groups(items, request.endpoint),
        "actor": actor,
        "has_endpoint": lambda name: name in current_app.view_functions,
    }


def _nav_groups(items: list, endpoint: str | None) -> list[dict]:
    """Sort the menu into its groups, each marked current when it holds this page."""
    from flask import current_app

    caps = current_app.extensions["lms.capabilities"]
    by_key: dict[str, list] = {}
    for item in items:
        by_key.setdefault(nav_group(item, caps), []).append(item)
    return [
        {
            "key": key,
            "label": label,
            "links": by_key[key],
            "current": any(i.endpoint == endpoint for i in by_key[key]),
        }
        for key, label in NAV_GROUPS
        if by_key.get(key)
    ]
