"""A clinician's dashboard with a current kept summary runs four statements, each from SQL text
built once, and shows the same figures, tasks and forecast as the evaluation it renders."""

from __future__ import annotations

import datetime as dt

from markupsafe import escape

from tests.competencies.conftest import TODAY


def _dashboard(client, auth, user, association):
    from competencies import readiness
    from competencies.pathways import forget_recent

    readiness.refresh_stale(association, TODAY)  # kept rows and summaries current
    forget_recent()
    auth.login(user.email)
    client.get("/competencies/")  # as a running server: rule set parsed, stamps read


def test_dashboard_with_a_current_kept_summary_runs_four_statements(
    client, auth, cohort, association
):
    from playhouse.test_utils import count_queries

    from competencies.pathways import evaluate_pathways, forget_recent, open_pathways

    user = cohort["soon"]
    _dashboard(client, auth, user, association)
    forget_recent()  # the page evaluates again, from the kept summary
    with count_queries() as counter:
        response = client.get("/competencies/")

    # who is asking with their roles and associations; open pathways with kept rows and
    # summaries; the rule set in force for a new goal; upcoming sessions for uncovered areas
    assert response.status_code == 200
    assert counter.count <= 4
    body = response.get_data(as_text=True)
    (ev,) = evaluate_pathways(list(open_pathways(user)), TODAY)
    result = ev.result
    percent = round(result.progress * 100) if not result.ready else 100
    assert f"You are {percent} % of the way to {result.category_name}." in body
    ready_on = result.forecast.ready_date
    assert f"you will be ready around {ready_on.strftime('%B %Y')}" in body
    for leaf in result.leaves():
        if leaf.figures:
            assert f'{escape(leaf.figures.text)} <span class="status status-{leaf.status}' in body
    assert "What is missing" in body
    for warning in result.forecast.warnings:
        assert str(escape(warning)) in body


def test_dashboard_without_a_pathway_runs_three_statements(client, auth, make_user, defaults):
    from playhouse.test_utils import count_queries

    user = make_user("new@example.test")
    auth.login(user.email)
    client.get("/competencies/")
    with count_queries() as counter:
        body = client.get("/competencies/").get_data(as_text=True)
    assert counter.count <= 3  # who is asking; no open pathway; the rule set in force
    assert "Start here" in body and "Infant Mental Health Specialist (IMHS)" in body


def test_identity_is_read_once_with_roles_and_associations(
    app, make_user, association, make_association
):
    from playhouse.test_utils import count_queries

    from lms.models import Association, Membership
    from lms.permissions import acting_association, actor_for, load_identity

    other = make_association("ZZ", "Other Association")
    user = make_user("two@example.test", roles=("clinician", "trainer"), assoc=other)
    Membership.create(user=user, association=association, role="clinician")
    Membership.create(user=user, association=None, role="reviewer")
    with app.test_request_context("/"), count_queries() as counter:
        loaded = load_identity(user.id)
        actor = actor_for(loaded)
        acting = acting_association("competencies:track_own", actor)
    assert counter.count == 1
    assert loaded.__data__ == type(user).get_by_id(user.id).__data__
    assert actor.grants == {
        other.id: {"clinician", "trainer"},
        association.id: {"clinician"},
        None: {"reviewer"},
    }
    lowest = min(association.id, other.id)
    assert acting.__data__ == Association.get_by_id(lowest).__data__
    again = actor_for(loaded)  # read once: a later actor reads the memberships again
    assert again.grants == actor.grants and again.associations == {}


def test_identity_of_a_user_without_roles_or_unknown(app, make_user):
    from lms.models import Membership
    from lms.permissions import actor_for, load_identity

    user = make_user("none@example.test")
    Membership.delete().where(Membership.user == user).execute()
    assert actor_for(load_identity(user.id)).grants == {}
    assert load_identity(user.id + 1000) is None


def test_rule_set_in_force_prefers_the_associations_own_version(app, defaults, association):
    from competencies.models import RuleSet
    from competencies.rulesets import rule_set_in_force

    shared = max(defaults, key=lambda r: (r.effective, r.id))
    assert rule_set_in_force(association, TODAY).id == shared.id
    assert rule_set_in_force(None, TODAY).id == shared.id
    assert rule_set_in_force(association, dt.date(1990, 1, 1)) is None

    def own(version, effective):
        return RuleSet.create(
            association=association,
            framework=shared.framework_id,
            name="Own rules",
            version=version,
            effective=effective,
            document=shared.document,
        )

    later = own("own.2", TODAY + dt.timedelta(days=30))
    assert rule_set_in_force(association, TODAY).id == shared.id  # not yet in force
    older = own("own.1", dt.date(2000, 1, 1))  # older than the shared one, still first
    assert rule_set_in_force(association, TODAY).id == older.id
    assert rule_set_in_force(association, later.effective).id == later.id
    assert rule_set_in_force(None, TODAY).id == shared.id


def test_compiled_open_pathways_equal_the_querys_own(cohort, association):
    from competencies import readiness
    from competencies.pathways import open_pathways, open_pathways_query

    readiness.refresh_stale(association, TODAY)
    for user in cohort.values():
        expected = list(open_pathways_query(user))
        found = open_pathways(user)
        assert [p.__data__ for p in found] == [p.__data__ for p in expected]
        for attr in ("rule_set", "standing_row", "kept_summary_row"):
            assert [getattr(p, attr).__data__ for p in found] == [
                getattr(p, attr).__data__ for p in expected
            ]


def test_kept_goal_fields_equal_the_forms_own_rendering(app, client, auth, make_user, defaults):
    from flask import render_template_string

    from competencies.explanations import CATEGORY_FOR
    from competencies.views_dashboard import _goal_form, goal_fields
    from lms.models import Association

    user = make_user("fields@example.test")
    auth.login(user.email)
    first = client.get("/competencies/").get_data(as_text=True)
    again = client.get("/competencies/").get_data(as_text=True)  # from the kept rendering
    with app.test_request_context("/competencies/"):
        form = _goal_form(Association.get())
        own = render_template_string(
            '{% from "lms/macros.html" import field, radio_list %}'
            "{{ radio_list(form.category, category_hints) }}{{ field(form.started_on) }}\n"
            "      {{ form.submit(class_='btn btn-primary') }}",
            form=form,
            category_hints=CATEGORY_FOR,
        )
        assert str(goal_fields(form)) == own
    assert own in first and own in again
    assert 'type="radio" name="category"' in own and 'value="IMHS"' in own  # the choices
