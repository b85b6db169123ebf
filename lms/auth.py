"""Sign in and out, set a password from an invitation, change a password."""

from __future__ import annotations

import time
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from lms import accounts, audit
from lms.db import db
from lms.forms import ChangePasswordForm, ConfirmForm, LoginForm, SetPasswordForm
from lms.models import User, normalise_email, utcnow
from lms.permissions import load_identity
from lms.security import check_password, limiter

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

INVALID = "Invalid email or password."
CLOCK_SKEW = 300  # seconds a sign-in may seem to lie in the future (hosts' clocks differ)


def sign_in(user: User, *, remember: bool = False) -> None:
    """Sign the user in on this browser, stamped with the time, so its lifetime can be kept.

    The session's user id is "id:session_version:signed-in-at:kind" (kind "r" with
    remember-me, else "s"); the remember cookie carries the same value, signed by Flask-Login,
    so both expire at the same moment counted from the sign-in, checked on every request.
    """
    login_user(user, remember=remember)
    session.permanent = True  # the cookie expires in the browser too (PERMANENT_SESSION_LIFETIME)
    session["_user_id"] = f"{user.get_id()}:{int(time.time())}:{'r' if remember else 's'}"


def _sign_in_expired(signed_in_at: int, kind: str) -> bool:
    config = current_app.config
    if kind == "r":
        lifetime = config["REMEMBER_COOKIE_DURATION"]
    elif kind == "s":
        lifetime = config["PERMANENT_SESSION_LIFETIME"]
    else:
        return True
    age = time.time() - signed_in_at
    return not -CLOCK_SKEW <= age <= lifetime.total_seconds()


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # Runs on every request that carries a session or remember cookie.
    try:
        raw_id, raw_version, raw_at, kind = user_id.split(":")
        uid, version, signed_in_at = int(raw_id), int(raw_version), int(raw_at)
    except ValueError:
        return None  # malformed, or from before sign-ins were stamped: sign in again
    if _sign_in_expired(signed_in_at, kind):
        return None
    user = load_identity(uid)  # with the roles the request's actor is built from
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
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _account_limits() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _failed_sign_in(response) -> bool:
    # A refused sign-in answers 400; a success redirects and a limited one answers 429.
    return response.status_code == 400


def reset_account_limit() -> None:
    """Forget the account's failed sign-ins after a successful one (in the shared storage)."""
    key = _account_key()
    for current in limiter.current_limits:
        if key in current.request_args:
            current.limiter.clear(current.limit, *current.request_args)


# Per account only failures count, and a success starts the count again: otherwise anyone who
# knows a colleague's email could lock them out by signing in as them a few times. Shared: every
# form that checks a password by email (this one, lti's sign-in to confirm) counts together.
account_limit = limiter.shared_limit(
    _account_limits,
    scope="sign-in-account",
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed_sign_in,
)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limits, methods=["POST"])
@account_limit
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
            reset_account_limit()
            sign_in(user, remember=bool(form.remember.data))
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
            sign_in(user)
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
            sign_in(user)  # this session stays, with the new version; all others end
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("lms.account"))
    return render_template("lms/change_password.html", form=form), (400 if form.errors else 200)


def init_app(app: Flask) -> None:
    """Wire Flask-Login and the auth pages."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
