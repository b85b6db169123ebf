"""Sign in and out, set a password from an invitation, change a password."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from lms import accounts, audit
from lms.db import db
from lms.forms import ChangePasswordForm, ConfirmForm, LoginForm, SetPasswordForm
from lms.models import User, normalise_email, utcnow
from lms.security import check_password, limiter

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

INVALID = "Invalid email or password."


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = User.get_or_none(User.id == uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """Return the target when it is a local path on this site, else None."""
    if not target:
        return None
    target = target.strip()
    parsed = urlparse(target)
    if (
        parsed.scheme
        or parsed.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return None
    return target


def _account_key() -> str:
    return "login:" + normalise_email(request.form.get("email", ""))[:254]


def _login_limits() -> str:
    from flask import current_app

    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _account_limits() -> str:
    from flask import current_app

    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limits, methods=["POST"])
@limiter.limit(_account_limits, key_func=_account_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("lms.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = User.by_email(form.email.data).first()
        ok = check_password(user.password_hash if user else None, form.password.data)
        if user is None or not ok or not user.active:
            with db.atomic():
                audit.record(
                    "auth.login_failed",
                    object_type="lms_user",
                    object_id=user.id if user else "",
                    actor=None,
                )
            form.password.errors.append(INVALID)
        else:
            with db.atomic():
                User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
                audit.record("auth.login", user, actor=user)
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("lms.home"))
    return render_template("lms/login.html", form=form), (400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    accounts.end_sessions(user, reason="logout")
    logout_user()
    flash("You are signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def accept_invitation(token: str):
    try:
        invitation = accounts.find_invitation(token)
    except accounts.AccountError as exc:
        return render_template("lms/invitation_invalid.html", message=str(exc)), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(token, form.password.data)
        except accounts.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            login_user(user)
            flash("Your password is set. Welcome!", "success")
            return redirect(url_for("lms.home"))
    status = 400 if form.errors else 200
    return render_template("lms/set_password.html", form=form, user=invitation.user), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data)
        except accounts.AccountError as exc:
            getattr(form, exc.field or "new_password").errors.append(str(exc))
        else:
            login_user(user)  # this session stays, with the new version; all others end
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("lms.account"))
    return render_template("lms/change_password.html", form=form), (400 if form.errors else 200)


def init_app(app: Flask) -> None:
    """Wire Flask-Login and the auth pages."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
