"""Every page that accepts a POST (or another writing method) refuses it without a CSRF token.

The routes come from the URL map, so a new form is covered the day it is added. The API
(`/api/`, `/xapi/`) authenticates by token, never by cookie, and is exempt by design.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from tests.conftest import PASSWORD, csrf_token_from

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
TOKEN_AUTHENTICATED = ("/api/", "/xapi/")


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
            if response.status_code != 400 or b"The form expired" not in response.data:
                accepted.append((method, rule.rule, data, response.status_code))
    assert not accepted, accepted
    assert AuditLog.select().count() == audit_rows  # nothing was written
