"""LTI pages: platform registration (coordinators), the key set, login initiation, launch,
and the pages shown inside the platform's iframe (progress, instructor view, deep linking).

Pages inside the iframe carry no session cookie (a browser may not send one to a third-party
frame): each form posts back the launch id, a random handle stored server-side for two hours,
which is also why those views are exempt from the session-bound CSRF token.
"""

from __future__ import annotations

import datetime as dt

import jwt
from flask import abort, current_app, g, jsonify, redirect, render_template, request, url_for
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, LtiServiceException, OIDCException
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector
from requests import RequestException

from competencies.reevaluate import after_commit
from courses.completions import record_roster
from courses.errors import CourseError
from courses.models import Session as CourseSession
from courses.models import Training
from courses.roster import reevaluate_recorded
from lms.auth import account_limit, reset_account_limit
from lms.csrf import csrf
from lms.errors import Forbidden, NotFound
from lms.forms import choices
from lms.models import Association, User
from lms.permissions import actor_for, current_actor, require
from lms.security import check_password, limiter
from lti import completions, grades, keys, services
from lti import platforms as registry
from lti.blueprint import bp
from lti.forms import PlatformForm
from lti.models import Context, Launch, Platform
from lti.platforms import LtiError
from lti.tool import ToolConf, ToolLaunch, ToolLogin, ToolSession, registration_of, requests_session

CAP = "lti:manage_platforms"


# --- frames: only the registered platforms may show these pages ---------------------------------


def _frame_for(association: Association) -> None:
    origins: list[str] = []
    for p in Platform.select(Platform.frame_origins).where(Platform.association == association):
        origins += [o for o in p.frame_origins.split() if o not in origins]
    g.lti_frame_origins = origins


@bp.after_request
def _frame_headers(response):
    origins = g.get("lti_frame_origins")
    if origins is None:
        return response
    allowed = " ".join(origins) or "'none'"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self' {allowed}; "
        f"frame-ancestors {allowed}"
    )
    return response


def _page(template: str, status: int = 200, **context):
    return render_template(f"lti/{template}", **context), status


def _refused(association: Association, message: str, status: int = 400):
    return _page("refused.html", status, message=message, association=association)


# --- registration -------------------------------------------------------------------------------


@bp.route("/platforms")
@require(CAP)
def platforms():
    actor = current_actor()
    ids = actor.association_ids(CAP)
    rows = registry.platforms_of(ids)
    query = Association.select().order_by(Association.name)
    associations = list(query if ids is None else query.where(Association.id.in_(ids or [0])))
    return render_template(
        "lti/platforms.html",
        associations=[(a, registry.tool_urls(a)) for a in associations],
        platforms=rows,
        deployments=registry.deployments_of(rows),
    )


@bp.route("/platforms/new", methods=["GET", "POST"])
@require(CAP)
def new_platform():
    actor = current_actor()
    ids = actor.association_ids(CAP)
    query = Association.select().order_by(Association.name)
    associations = list(query if ids is None else query.where(Association.id.in_(ids or [0])))
    form = PlatformForm()
    form.association.choices = choices((a.id, a.name) for a in associations)
    if form.validate_on_submit():
        association = next((a for a in associations if a.id == form.association.data), None)
        if association is None:
            abort(404)
        data = registry.PlatformInput(
            name=form.name.data or "",
            issuer=form.issuer.data,
            client_id=form.client_id.data,
            deployment_ids=(form.deployment_ids.data or "").splitlines(),
            auth_login_url=form.auth_login_url.data,
            auth_token_url=form.auth_token_url.data,
            key_set_url=form.key_set_url.data,
            auth_audience=form.auth_audience.data or "",
            frame_origins=form.frame_origins.data or "",
            trusted_email=bool(form.trusted_email.data),
        )
        try:
            registry.register_platform(association, data, actor.user)
        except LtiError as exc:
            field = exc.field if exc.field in form._fields else "issuer"
            if field == "deployment_id":
                field = "deployment_ids"
            getattr(form, field).errors.append(str(exc))
        else:
            return redirect(url_for("lti.platforms"))
    return render_template("lti/platform_form.html", form=form), (400 if form.errors else 200)


# --- what a platform calls ----------------------------------------------------------------------


@bp.route("/<code>/jwks")
def jwks(code: str):
    association = registry.association_by_code(code)
    response = jsonify(keys.jwks(association))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/<code>/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit("120 per minute")
def login(code: str):
    """OIDC third-party login initiation: check the platform, answer with its auth request."""
    association = registry.association_by_code(code)
    _frame_for(association)
    conf = ToolConf(association)
    try:
        oidc = ToolLogin(FlaskRequest(), conf)
        return oidc.pass_params_to_launch({"association": association.code}).redirect(
            registry.tool_urls(association)["launch"]
        )
    except (OIDCException, LtiException) as exc:
        return _refused(association, f"This sign-in from a learning platform was refused: {exc}.")


def _unverified(token: str | None) -> dict:
    """The id_token's claims as sent, for the audit row of a refusal (never trusted)."""
    try:
        return jwt.decode(token or "", options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}


@bp.route("/<code>/launch", methods=["POST"])
@csrf.exempt
@limiter.limit("120 per minute")
def launch(code: str):
    association = registry.association_by_code(code)
    _frame_for(association)
    token, state = request.form.get("id_token"), request.form.get("state")
    if not token:
        return _refused(association, "This is not a launch from a learning platform.")
    conf = ToolConf(association)
    message = ToolLaunch(FlaskRequest(), conf)
    claims: dict = {}
    try:
        claims = dict(message.get_launch_data())
        platform = conf.platform(claims.get("iss"), message.get_client_id())
        if platform is None:
            raise LtiError("Registration not found.")
        accepted = services.accept_launch(association, platform, message.get_launch_id(), claims)
    except (LtiException, LtiError) as exc:
        unverified = _unverified(token)
        services.refuse_launch(association, str(exc), unverified)
        if state and unverified.get("nonce"):  # a refused login is not tried again
            message.get_session_service().forget(state, str(unverified["nonce"]))
        return _refused(association, _explain(str(exc)))
    message.get_session_service().forget(state, claims["nonce"])
    return _show(accepted.launch, claims)


def _explain(reason: str) -> str:
    text = reason.lower()
    if "expired" in text:
        why = "the launch is too old (its token expired)"
    elif "signature" in text or "public key" in text:
        why = "its signature does not match the platform's keys"
    elif "registration not found" in text or "client id" in text:
        why = "this platform is not registered with this association (issuer or client id)"
    elif "deployment" in text:
        why = "its deployment id is not registered"
    elif "nonce" in text or "used already" in text:
        why = "it was used already"
    elif "state" in text:
        why = "it does not follow a sign-in this tool started"
    else:
        why = f"it is incomplete ({reason})"
    return (
        f"This launch was refused: {why}. Nothing was changed. Start the activity again from "
        "the course; if it keeps failing, ask your association's coordinator to check the "
        "platform's registration."
    )


# --- pages inside the frame ---------------------------------------------------------------------


def _show(launch: Launch, claims: dict | None = None, **extra):
    if launch.user_id is None:
        return _page("connect.html", launch=launch, platform=launch.platform, **extra)
    if launch.kind == "deep_link":
        return _page(
            "deep_link.html",
            launch=launch,
            trainings=services.trainings_for(launch.platform.association),
            **extra,
        )
    if launch.role == "instructor":
        return _instructor(launch, **extra)
    return _progress(launch)


def _progress(launch: Launch):
    from competencies import pathways
    from competencies.views_dashboard import evaluation_view

    today = dt.date.today()
    association_id = launch.platform.association_id
    open_ = [p for p in pathways.open_pathways(launch.user) if p.association_id == association_id]
    views = [evaluation_view(ev, today) for ev in pathways.evaluate_pathways(open_, today)]
    return _page("progress.html", launch=launch, views=views, user=launch.user)


def _instructor(launch: Launch, status: int = 200, **extra):
    context = launch.context
    training = context.training if context is not None else None
    sessions = (
        list(
            CourseSession.select()
            .where(CourseSession.training == training)
            .order_by(CourseSession.starts_on.desc())
        )
        if training is not None
        else []
    )
    return _page(
        "instructor.html",
        status,
        launch=launch,
        context=context,
        training=training,
        sessions=sessions,
        members=services.roster_of(context) if context is not None else [],
        **extra,
    )


def _open_launch() -> Launch:
    launch = services.launch_by_id(request.form.get("launch_id"))
    _frame_for(launch.platform.association)
    return launch


@bp.route("/connect", methods=["POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])
@account_limit  # failures counted per account, with the sign-in page's
def connect():
    """Confirm who the platform's user is, once, with their IMH Pathway password."""
    launch = _open_launch()
    if launch.user_id is not None:
        return _show(launch)
    email = request.form.get("email", "")
    user = User.by_email(email).first() if email.strip() else None
    ok = check_password(user.password_hash if user else None, request.form.get("password", ""))
    if user is None or not ok or not user.active:
        return _page(
            "connect.html",
            400,
            launch=launch,
            platform=launch.platform,
            error="Invalid email or password.",
        )
    try:
        services.confirm_link(launch, user)
    except LtiError as exc:
        return _page("connect.html", 400, launch=launch, platform=launch.platform, error=str(exc))
    reset_account_limit()  # signed in and linked: the failures before are forgotten
    return _show(Launch.get_by_id(launch.id))


def _instructor_launch() -> Launch:
    launch = _open_launch()
    if launch.user_id is None or launch.role != "instructor":
        raise Forbidden()
    return launch


@bp.route("/deep-link", methods=["POST"])
@csrf.exempt
def deep_link():
    """Answer a deep-linking request with the chosen content item, signed by the tool."""
    launch = _instructor_launch()
    if launch.kind != "deep_link":
        raise Forbidden()
    platform = launch.platform
    urls = registry.tool_urls(platform.association)
    choice = request.form.get("item", "")
    resource = DeepLinkResource().set_url(urls["launch"])
    training = None
    if choice == "progress":
        resource.set_title("Endorsement progress").set_custom_params(
            {"imh_placement": "progress"}
        ).set_lineitem(
            LineItem()
            .set_label(grades.LINE_ITEM_LABEL)
            .set_tag(grades.LINE_ITEM_TAG)
            .set_resource_id(grades.LINE_ITEM_TAG)
            .set_score_maximum(100)
        )
    elif choice.startswith("training:") and choice[9:].isdigit():
        training = Training.get_or_none(
            (Training.id == int(choice[9:])) & (Training.association == platform.association)
        )
        if training is None:
            raise NotFound()
        resource.set_title(f"Training completion: {training.title}").set_custom_params(
            {"imh_placement": "training", "imh_training": training.code}
        ).set_lineitem(completions.line_item(training))
    else:
        return _show(launch, error="Choose what to add to the course.")
    actor = actor_for(launch.user)
    if training is not None:
        try:
            services.bind_training(launch, training, actor)
        except Forbidden:
            return _show(launch, error="You may not record completions of this training.")
    data = ToolSession(FlaskRequest()).get_launch_data(launch.launch_id) or {}
    settings = data.get(services.DL_CLAIM) or {}
    if not settings.get("deep_link_return_url"):
        raise NotFound()
    deployment_id = data.get(services.CLAIM + "deployment_id", "")
    link = DeepLink(registration_of(platform), deployment_id, settings)
    token = link.get_response_jwt([resource])
    return _page(
        "deep_link_return.html",
        return_url=settings["deep_link_return_url"],
        token=token,
        title=resource.get_title(),
    )


@bp.route("/roster", methods=["POST"])
@csrf.exempt
def roster():
    """Pull the course roster (NRPS), or record completions for the matched learners."""
    launch = _instructor_launch()
    context = launch.context
    if context is None:
        return _instructor(launch, 400, error="The launch names no course.")
    action = request.form.get("action", "")
    if action == "pull":
        if not context.memberships_url:
            return _instructor(launch, 400, error="The platform offers no roster for this course.")
        service = NamesRolesProvisioningService(
            ServiceConnector(registration_of(launch.platform), requests_session()),
            {"context_memberships_url": context.memberships_url},
        )
        try:
            members = service.get_members()
        except (LtiException, LtiServiceException, RequestException, ValueError) as exc:
            return _instructor(launch, 502, error=f"The platform did not give the roster: {exc}")
        found = services.store_roster(context, members, launch.user)
        return _instructor(
            launch,
            notice=f"Roster pulled: {found['matched']} learner(s) linked to clinicians, "
            f"{found['unmatched']} not linked yet.",
        )
    if action == "record":
        training = context.training
        raw_session = request.form.get("session", "")
        session = (
            CourseSession.get_or_none(
                (CourseSession.id == int(raw_session)) & (CourseSession.training == training)
            )
            if training is not None and raw_session.isdigit()
            else None
        )
        if session is None:
            return _instructor(launch, 400, error="Choose a session of the training.")
        ids = [int(v) for v in request.form.getlist("attendee") if v.isdigit()]
        allowed = {m.user_id for m in services.roster_of(context) if m.user_id}
        try:
            results = record_roster(
                actor_for(launch.user), session, [i for i in ids if i in allowed]
            )
        except CourseError as exc:
            return _instructor(launch, 400, error=str(exc))
        except (Forbidden, NotFound):
            return _instructor(launch, 403, error="You may not record completions of it.")
        created = sum(1 for _, new in results if new)
        reevaluate_recorded(actor_for(launch.user), results)
        return _instructor(launch, notice=f"Recorded {created} completion(s).")
    if action == "completions":
        return _fetch_completions(launch, context)
    return _instructor(launch, 400, error="Choose an action.")


def _fetch_completions(launch: Launch, context: Context):
    """Read the completions the LMS reports for this course now, instead of waiting for cron."""
    if context.training_id is None or context.bound_by_id is None:
        return _instructor(launch, 400, error="No training is bound to this course.")
    if completions.RESULT_SCOPE not in context.ags_scopes.split():
        return _instructor(
            launch, 400, error="The platform does not let the tool read this course's grades."
        )
    report = completions.PullReport()
    completions.pull_context(context, report)
    after_commit(report.written, background=True, owner_id=launch.user.id)
    if report.failed and not report.recorded:
        return _instructor(launch, 502, error="; ".join(report.errors))
    notice = (
        f"{report.recorded} completion(s) recorded, {report.already} recorded before, "
        f"{report.unlinked} by learners not linked yet."
    )
    return _instructor(launch, notice=notice, error="; ".join(report.errors) or None)
