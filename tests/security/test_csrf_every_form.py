"""Every page that accepts a POST (or another writing method) refuses it without a CSRF token.

The routes come from the URL map, so a new form is covered the day it is added. The API
(`/api/`, `/xapi/`) authenticates by token, never by cookie, and is exempt by design. So are the
LTI routes a learning platform posts to or that run inside its frame, where cookies may be
blocked: they are authenticated by the OIDC state and nonce, or by a random launch id in the
form, which a forger cannot know either; without it they refuse.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from tests.conftest import PASSWORD, csrf_token_from

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
TOKEN_AUTHENTICATED = ("/api/", "/xapi/")
LAUNCH_AUTHENTICATED = {
    "/lti/<code>/login",
    "/lti/<code>/launch",
    "/lti/connect",
    "/lti/deep-link",
    "/lti/roster",
}


def _form_routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(WRITES & set(rule.methods or ()))
        if not methods or rule.rule.startswith(TOKEN_AUTHENTICATED):
            continue
        values = {
            name: 1 if isinstance(converter, IntegerConverter) else "x"
            for name, converter in rule._converters.items()
        }
        for method in methods:
            yield rule, method, values


def test_every_form_refuses_a_request_without_its_csrf_token(csrf_app, make_user):
    from lms.models import AuditLog

    admin = make_user("admin@example.test", roles=("admin",), assoc=None)
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    signed_in = client.post(
        "/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    audit_rows = AuditLog.select().count()

    routes = list(_form_routes(csrf_app))
    assert len(routes) > 40  # the app's forms, not an empty map
    adapter = csrf_app.url_map.bind("localhost")
    accepted = []
    for rule, method, values in routes:
        url = adapter.build(rule.endpoint, values, method=method)
        for data in ({}, {"csrf_token": "forged"}):
            response = client.open(url, method=method, data=data)
            if rule.rule in LAUNCH_AUTHENTICATED:
                refused = 400 <= response.status_code < 500  # no state, nonce or launch id
            else:
                refused = response.status_code == 400 and b"The form expired" in response.data
            if not refused:
                accepted.append((method, rule.rule, data, response.status_code))
    assert not accepted, accepted
    assert AuditLog.select().count() == audit_rows  # nothing was written


def test_only_the_launch_authenticated_lti_routes_are_exempt(csrf_app):
    """A form route exempt from CSRF must be one of the documented LTI routes, nothing else."""
    from lms.csrf import csrf

    exempt = set()
    for rule in csrf_app.url_map.iter_rules():
        if not (WRITES & set(rule.methods or ())) or rule.rule.startswith(TOKEN_AUTHENTICATED):
            continue
        view = csrf_app.view_functions[rule.endpoint]
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views:
            exempt.add(rule.rule)
    assert exempt == LAUNCH_AUTHENTICATED
