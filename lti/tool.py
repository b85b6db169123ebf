"""PyLTI1p3 bound to our database: tool configuration per association, launch data storage,
and the login and launch classes with state kept server-side and nonces checked against it.

PyLTI1p3 validates the id_token (signature against the platform's key set, expiry, issuer
and client id, deployment, message claims); nothing here decodes a JWT by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing as t

import requests
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract

from lms.db import db
from lms.models import Association, utcnow
from lti import keys
from lti.models import Deployment, LaunchValue, Platform

HTTP_TIMEOUT = 10  # seconds for any call to a platform (key set, token, services)


class _TimeoutSession(requests.Session):
    """A requests session that never waits on a platform forever (PyLTI1p3 sets no timeout)."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(*args, **kwargs)


def requests_session() -> requests.Session:
    session = _TimeoutSession()
    session.headers["User-Agent"] = "IMH-Pathway-LTI (PyLTI1p3)"
    return session


class DbLaunchDataStorage(LaunchDataStorage[t.Any]):
    """Keep PyLTI1p3's state, nonces and launch data in `lti_launchvalue`, with expiry.

    No session cookie names the entries: inside another site's iframe the browser may send
    no cookie at all. The keys are random (state, nonce, launch id), which is what makes them
    safe to look up without one.
    """

    def get_session_cookie_name(self) -> str | None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> t.Any:
        row = LaunchValue.get_or_none(
            (LaunchValue.key == self._prepare_key(key)) & (LaunchValue.expires_at > utcnow())
        )
        return json.loads(row.value) if row is not None else None

    def set_value(self, key: str, value: t.Any, exp: int | None = None) -> None:
        key = self._prepare_key(key)
        expires = utcnow() + dt.timedelta(seconds=exp or 3600)
        with db.atomic():
            LaunchValue.delete().where(LaunchValue.key == key).execute()
            LaunchValue.create(key=key, value=json.dumps(value), expires_at=expires)

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def remove(self, key: str) -> None:
        LaunchValue.delete().where(LaunchValue.key == self._prepare_key(key)).execute()


class ToolSession(SessionService):
    """PyLTI1p3's session service over our storage; binds the nonce to the state it was
    issued with, so a launch is checked against its own login even without a cookie."""

    _launch_data_lifetime = 2 * 3600

    def __init__(self, request: FlaskRequest):
        super().__init__(request)
        self.set_data_storage(DbLaunchDataStorage())
        self.data_storage.set_request(request)
        self._nonce: str | None = None

    def save_nonce(self, nonce: str) -> None:
        self._nonce = nonce
        self.data_storage.set_value(self._get_key("nonce", nonce), True, exp=STATE_SECONDS)

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        self.data_storage.set_value(
            self._get_key(state), {**params, "nonce": self._nonce}, exp=STATE_SECONDS
        )

    def forget(self, state: str, nonce: str) -> None:
        """Use up a login's state and nonce."""
        storage = t.cast(DbLaunchDataStorage, self.data_storage)
        storage.remove(self._get_key(state))
        storage.remove(self._get_key("nonce", nonce))


STATE_SECONDS = 5 * 60  # from login initiation to launch
KEY_SET_SECONDS = 5 * 60  # a platform's key set is fetched again after this long


class ToolConf(ToolConfAbstract[FlaskRequest]):
    """The platforms one association registered, as PyLTI1p3 asks for them."""

    def __init__(self, association: Association):
        super().__init__()
        self.association = association

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        if not iss or not client_id:
            return None
        return Platform.get_or_none(
            (Platform.association == self.association)
            & (Platform.issuer == iss)
            & (Platform.client_id == client_id)
        )

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration:
        raise LtiException("A client id is required to find the platform.")

    def find_registration_by_params(self, iss: str, client_id: str, *args, **kwargs):
        platform = self.platform(iss, client_id)
        return registration_of(platform) if platform is not None else None

    def find_deployment(self, iss: str, deployment_id: str):
        return None

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str, *a, **kw):
        platform = self.platform(iss, client_id)
        if platform is None or not deployment_id:
            return None
        found = Deployment.select().where(
            (Deployment.platform == platform) & (Deployment.deployment_id == deployment_id)
        )
        return LtiDeployment().set_deployment_id(deployment_id) if found.exists() else None


def registration_of(platform: Platform) -> Registration:
    """Return PyLTI1p3's registration of a platform, with the association's active tool key."""
    _kid, private_pem, public_pem = keys.active_key(platform.association)
    registration = (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_key_set_url(platform.key_set_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_auth_login_url(platform.auth_login_url)
        .set_tool_private_key(private_pem)
        .set_tool_public_key(public_pem)
    )
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    return registration


class ToolLogin(FlaskOIDCLogin):
    """OIDC third-party login initiation, with state and nonce kept in the database."""

    def __init__(self, request: FlaskRequest, tool_conf: ToolConf):
        super().__init__(request, tool_conf, session_service=ToolSession(request))
        self.set_launch_data_storage(self._session_service.data_storage)


class ToolLaunch(FlaskMessageLaunch):
    """A resource-link or deep-linking launch, validated by PyLTI1p3.

    The state must be one this tool issued (its cookie, or when the browser sends none inside
    the iframe, its server-side record) and the id_token's nonce the one issued with that
    state. The caller uses the nonce up (`lti_usednonce`) once the launch is accepted.
    """

    def __init__(self, request: FlaskRequest, tool_conf: ToolConf):
        session = ToolSession(request)
        super().__init__(
            request, tool_conf, session_service=session, requests_session=requests_session()
        )
        self.set_launch_data_storage(session.data_storage)
        # PyLTI1p3 keeps the key set under its URL in our storage: one fetch per few minutes.
        self.set_public_key_caching(session.data_storage, cache_lifetime=KEY_SET_SECONDS)
        self.state_record: dict[str, t.Any] | None = None

    def _key_set_cache_key(self) -> str:
        # The key PyLTI1p3's fetch_public_key caches the set under (an md5 of the URL).
        url = self._registration.get_key_set_url() or ""
        return "key-set-url-" + hashlib.md5(url.encode("utf-8"), usedforsecurity=False).hexdigest()

    def get_public_key(self) -> tuple[str, str]:
        """Find the id_token's key in the platform's key set, cached; when the cached set lacks
        its kid (the platform rotated its key), fetch the set again, once."""
        storage = self._public_key_cache_data_storage
        cached = storage is not None and storage.get_value(self._key_set_cache_key()) is not None
        try:
            return super().get_public_key()
        except LtiException as exc:
            if not cached or "Unable to find public key" not in str(exc):
                raise
        storage.remove(self._key_set_cache_key())
        self._registration.set_key_set(None)
        return super().get_public_key()

    def validate_state(self) -> ToolLaunch:
        state = self._get_request_param("state")
        if not state:
            raise LtiException("Missing state param")
        self.state_record = self._session_service.get_state_params(state)
        from_cookie = self._cookie_service.get_cookie(state)
        if self.state_record is None and from_cookie != state:
            raise LtiException("State not found")
        return self

    def validate_nonce(self) -> ToolLaunch:
        super().validate_nonce()
        nonce = self._get_jwt_body().get("nonce")
        if self.state_record is not None and self.state_record.get("nonce") != nonce:
            raise LtiException("The nonce was not issued with this state")
        return self

    @property
    def registration(self) -> Registration | None:
        return self._registration

    def state(self) -> str:
        return self._get_request_param("state")
