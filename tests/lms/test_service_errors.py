"""One service error type answered in one place, and one rule for the acting association."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField

from lms.errors import Forbidden, NotFound, ServiceError, form_error
from lms.permissions import acting_association, actor_for


def _raise(exc):
    def view():
        raise exc

    return view


def test_service_error_is_json_on_api_paths_and_a_page_elsewhere(app, client):
    refusal = ServiceError("Hours must be more than 0.", "hours")
    app.add_url_rule("/api/v1/_refuse", "refuse_api", _raise(refusal))
    app.add_url_rule("/_refuse", "refuse_page", _raise(refusal))
    app.add_url_rule("/_hidden", "hidden_page", _raise(NotFound("record 7 of association B")))
    app.add_url_rule("/api/v1/_hidden", "hidden_api", _raise(NotFound()))

    api = client.get("/api/v1/_refuse")
    assert api.status_code == 422 and api.headers["Cache-Control"] == "no-store"
    assert api.get_json() == {
        "error": {"code": "invalid", "message": "Hours must be more than 0.", "field": "hours"}
    }
    page = client.get("/_refuse")
    assert page.status_code == 422 and "Hours must be more than 0." in page.get_data(True)

    hidden = client.get("/_hidden")  # a 404 page never repeats what the service said
    assert hidden.status_code == 404 and "association B" not in hidden.get_data(True)
    body = client.get("/api/v1/_hidden").get_json()["error"]
    assert body == {
        "code": "not_found",
        "message": "There is nothing at this address.",
        "field": None,
    }


def test_plugin_errors_are_service_errors_with_their_constructor():
    from courses.errors import CourseError
    from lms.duties import own_error

    exc = CourseError("Choose a training.", "training")
    assert isinstance(exc, ServiceError) and isinstance(exc, ValueError)
    assert (str(exc), exc.field, exc.status, exc.code) == (
        "Choose a training.",
        "training",
        422,
        "invalid",
    )
    own = own_error(CourseError)("You cannot record your own training.", "clinician")
    assert isinstance(own, CourseError) and own.status == 403 and own.code == "forbidden"


def test_form_error_lands_on_the_field_else_the_default_else_the_form(app):
    class Form(FlaskForm):
        hours = StringField()
        email = StringField()

    with app.test_request_context("/", method="POST"):
        form = Form(meta={"csrf": False})
        form.validate()
        form_error(form, ServiceError("Too many hours.", "hours"))
        form_error(form, ServiceError("No such person.", "clinician"), default="email")
        form_error(form, ServiceError("This changed meanwhile."))
        assert form.hours.errors == ["Too many hours."]
        assert form.email.errors == ["No such person."]
        assert form.form_errors == ["This changed meanwhile."]


def test_acting_association_rule(app, make_association, make_user, association):
    from lms.models import Membership

    other = make_association("ZZ", "Another Association")
    third = make_association("TH", "Third Association")
    # a clinician of the first association who coordinates the second
    user = make_user("both@example.test", roles=("clinician",))
    Membership.create(user=user, association=other, role="coordinator")
    actor = actor_for(user)
    with app.test_request_context("/"):
        # the lowest-id association where the capability holds, not merely the first one
        assert acting_association("lms:manage_users", actor) == other
        assert acting_association("lms:view_people", actor) == other
    with app.test_request_context(f"/?association={association.id}"):
        with pytest.raises(NotFound):  # asked for, but not held there
            acting_association("lms:manage_users", actor)
    with app.test_request_context(f"/?association={other.id}"):
        assert acting_association("lms:manage_users", actor) == other
    # outside a request (commands), an explicit association or the rule
    assert acting_association("lms:manage_users", actor, requested=None) == other
    with pytest.raises(NotFound):
        acting_association("lms:manage_users", actor, requested=third.id)
    with pytest.raises(Forbidden):
        acting_association("lms:manage_associations", actor, requested=None)
    assert (
        acting_association("lms:manage_associations", actor, requested=None, required=False) is None
    )

    admin = make_user("admin@example.test", roles=("admin",), assoc=None)
    assert acting_association("lms:manage_users", actor_for(admin), requested=None) == association
    assert acting_association("lms:manage_users", actor_for(admin), requested=third.id) == third
