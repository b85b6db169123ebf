"""A test LMS built on lti1p3platform (which we did not write), served over HTTP on 127.0.0.1.

It plays the platform's part of LTI 1.3: third-party login initiation, the OIDC
authentication response (a signed id_token), its key set, the OAuth2 token endpoint, the
Names and Role Provisioning Service and the Assignment and Grade Services, keeping what the
tool sends. The tool fetches the key set, tokens and services over real HTTP.
"""

from __future__ import annotations

import html
import json
import threading
import typing as t
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context as NrpsContext
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as PlatformRequest
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService
from werkzeug.serving import make_server

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
CLIENT_ID = "imh-tool-client"
DEPLOYMENT = "deployment-1"
CONTEXT = "course-101"


def rsa_pem() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class _Req(PlatformRequest):
    def build_metadata(self, request: t.Any):
        if isinstance(request, dict):
            return {
                "method": "GET",
                "form_data": {},
                "get_data": request,
                "headers": {},
                "content_type": None,
                "path": "/",
                "json": None,
            }
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": request.headers,
            "content_type": request.content_type,
            "path": request.path,
            "json": request.get_json(silent=True),
        }


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: t.Any) -> None:
        self.registration_ = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        return self.registration_


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs.get("hint", "resource-link-1")

    def get_redirect(self, url: str) -> str:
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict, **kwargs: t.Any) -> dict:
        return launch_data


@dataclass
class Person:
    sub: str
    name: str
    email: str
    roles: list[str]


@dataclass
class TestLms:
    """The platform: its registration of the tool, server address and what it received."""

    base: str = ""
    issuer: str = ""
    private_key: str = ""
    public_key: str = ""
    tool_launch_url: str = ""
    tool_login_url: str = ""
    members: list[dict] = field(default_factory=list)
    lineitems: list[dict] = field(default_factory=list)
    scores: list[dict] = field(default_factory=list)
    results: dict[str, list[dict]] = field(default_factory=dict)  # line item id -> its results
    tokens_issued: int = 0
    key_set_fetches: int = 0  # requests for the platform's key set (JWKS)
    deep_link_items: list = field(default_factory=list)
    tool_jwks: dict | None = None
    server: t.Any = None
    person: Person | None = None  # who is signed in to the platform's pages (browser test)

    def registration(self) -> Registration:
        return (
            Registration()
            .set_iss(self.issuer)
            .set_client_id(CLIENT_ID)
            .set_deployment_id(DEPLOYMENT)
            .set_oidc_login_url(self.tool_login_url)
            .set_launch_url(self.tool_launch_url)
            .set_deeplink_launch_url(self.tool_launch_url)
            .set_platform_public_key(self.public_key)
            .set_platform_private_key(self.private_key)
            .set_tool_key_set(self.tool_jwks or {"keys": []})
        )

    def conf(self) -> _Conf:
        return _Conf(registration=self.registration())

    # --- the browser's part: what the platform sends ---------------------------------------

    def login_initiation_url(self, person: Person, hint: str = "resource-link-1") -> str:
        login = _Login(None, self.conf())
        login.set_lti_message_hint(hint=hint)
        return login.prepare_preflight_url(person.sub)

    def id_token_for(
        self,
        auth_request: dict[str, str],
        person: Person,
        *,
        deep_link: bool = False,
        claims: dict | None = None,
        drop: tuple[str, ...] = (),
        sign_with: str | None = None,
        kid: str | None = None,
        expires_in: int = 300,
    ) -> dict[str, str]:
        """Answer the tool's authentication request: {"id_token", "state", "launch_url"}."""
        launch = _Launch(_Req(auth_request), self.conf())
        launch.set_user_data(person.sub, person.roles, person.name, person.email)
        launch.set_resource_link_claim("resource-link-1", title="IMH Pathway")
        launch.set_launch_context_claim(CONTEXT, context_title="Infant Mental Health 101")
        launch.set_ags(
            lineitems_url=f"{self.base}/lineitems",
            allow_creating_lineitems=True,
        )
        launch.set_nrps(f"{self.base}/memberships")
        if deep_link:
            launch.set_dl(f"{self.base}/deep-link-return", title="Add a tool")
        launch.set_id_token_expiration(expires_in)
        data = launch.lti_launch()
        if not (claims or drop or sign_with or kid):
            return data
        registration = self.registration()
        message, _ = launch.get_launch_data()
        if deep_link:
            message.update(
                {"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest"}
            )
            message.update(launch._deep_linking_launch_data)
        message.update(claims or {})
        for name in drop:
            message.pop(name, None)
        data["id_token"] = Registration.encode_and_sign(
            message,
            sign_with or self.private_key,
            headers={"kid": kid or registration.get_kid()},
            expiration=expires_in,
        )
        return data

    def receive_deep_link(self, jwt_value: str) -> list[dict]:
        conf = self.conf()
        conf.get_registration()
        return conf.validate_deeplinking_resp({"JWT": jwt_value})

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()


def auth_request_of(location: str) -> dict[str, str]:
    """The query of the tool's redirect to the platform's authentication endpoint."""
    return dict(parse_qsl(urlsplit(location).query))


def _flask_response(resp) -> Response:
    if 200 <= resp.code < 300:
        data = resp.result["content"] if resp.result and "content" in resp.result else resp.result
        return Response(json.dumps(data), status=resp.code, mimetype=resp.media_type)
    return Response(
        json.dumps({"error": resp.message}), status=resp.code, mimetype="application/json"
    )


def start_lms() -> TestLms:
    """Start the platform on 127.0.0.1 (a free port) in a thread; call `.stop()` after."""
    lms = TestLms()
    lms.private_key, lms.public_key = rsa_pem()
    app = Flask("test_lms")

    class Ags(AssignmentsGradesService):
        def find_lineitems(self, page=1, limit=None, **kwargs):
            return {"content": list(lms.lineitems), "has_next": False}

        def find_lineitem(self, line_item_id):
            return next(i for i in lms.lineitems if i["id"].endswith(f"/{line_item_id}"))

        def create_lineitem(self, creation_data):
            item = dict(creation_data)
            item["id"] = f"{lms.base}/lineitems/{len(lms.lineitems) + 1}"
            lms.lineitems.append(item)
            return item

        def update_lineitem(self, update_data):
            return update_data

        def delete_lineitem(self, line_item_id):
            return None

        def update_score(self, line_item_id, score):
            lms.scores.append({"lineitem": line_item_id, **score})
            return UpdateScoreStatus.SUCCESS

        def get_results(self, line_item_id, page=1, limit=None, user_id=None):
            item = f"{lms.base}/lineitems/{line_item_id}"
            return {"content": list(lms.results.get(item, [])), "has_next": False}

    class Nrps(NamesRoleProvisioningService):
        def get_member_data_page(self, page=1, limit=None, role=None, since=None, **kw):
            return {"content": [dict(m) for m in lms.members], "has_next": False}

        def get_context_by_id(self):
            return NrpsContext(id=CONTEXT, label="IMH101", title="Infant Mental Health 101")

    def conf():
        c = lms.conf()
        c.get_registration()
        return c

    @app.get("/course")
    def course():
        # The course page shows the tool in an iframe, as Moodle and Canvas do.
        src = html.escape(lms.login_initiation_url(lms.person))
        return (
            "<!doctype html><title>Course</title><h1>Infant Mental Health 101</h1>"
            f'<iframe id="tool" title="IMH Pathway" src="{src}" width="1000" height="700"></iframe>'
        )

    @app.get("/auth")
    def auth():
        # The OIDC authentication endpoint: post the signed id_token back to the tool.
        data = lms.id_token_for(request.args.to_dict(), lms.person)
        return (
            "<!doctype html><title>Launching</title>"
            f'<form id="f" method="post" action="{html.escape(data["launch_url"])}">'
            f'<input type="hidden" name="id_token" value="{html.escape(data["id_token"])}">'
            f'<input type="hidden" name="state" value="{html.escape(data["state"])}"></form>'
            '<script>document.getElementById("f").submit()</script>'
        )

    @app.get("/jwks")
    def jwks():
        lms.key_set_fetches += 1
        c = conf()
        return jsonify(c.get_jwks())

    @app.post("/token")
    def token():
        try:
            answer = conf().get_access_token(request.form.to_dict())
        except Exception as exc:  # the platform refuses; the tool must cope
            return jsonify({"error": str(exc)}), 400
        lms.tokens_issued += 1
        return jsonify(answer)

    @app.route("/lineitems", methods=["GET", "POST"])
    def lineitems():
        service = Ags(_Req(request), conf(), f"{lms.base}/lineitems")
        if request.method == "POST":
            return _flask_response(service.handle_resp(service.handle_create_lineitem))
        return _flask_response(service.handle_resp(service.handle_get_lineitems))

    @app.post("/lineitems/<item>/scores")
    def scores(item: str):
        service = Ags(
            _Req(request), conf(), f"{lms.base}/lineitems", f"{lms.base}/lineitems/{item}"
        )
        return _flask_response(service.handle_resp(service.handle_update_score, line_item_id=item))

    @app.get("/lineitems/<item>/results")
    def results(item: str):
        service = Ags(
            _Req(request), conf(), f"{lms.base}/lineitems", f"{lms.base}/lineitems/{item}"
        )
        return _flask_response(service.handle_resp(service.handle_get_results, line_item_id=item))

    @app.get("/memberships")
    def memberships():
        service = Nrps(_Req(request), conf(), f"{lms.base}/memberships")
        return _flask_response(service.handle_resp(service.handle_get_members))

    server = make_server("127.0.0.1", 0, app, threaded=True)
    lms.server = server
    lms.base = f"http://127.0.0.1:{server.server_port}"
    lms.issuer = lms.base
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return lms
