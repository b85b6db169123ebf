"""An app built without a plugin shows nothing of it, for every prefix of the plugin order.

Each test first builds the full app (so every plugin's receivers, pages and hooks exist in this
process, as they do when one process serves several apps or a test run builds many), then the
app of one prefix of `LMS_PLUGINS`. Every plugin in the prefix must be there; every plugin after
it must leave no trace: no route, no nav item, no capability, no CLI group, no request hook, no
home panel or to-do, and its receivers must not run.
"""

from __future__ import annotations

import datetime as dt

import pytest

from lms.config import DEFAULT_PLUGINS

PREFIXES = [tuple(DEFAULT_PLUGINS[:n]) for n in range(1, len(DEFAULT_PLUGINS) + 1)]
TODAY = dt.date.today()

# What each plugin adds, written out here (not read from its Plugin) so that a side door the
# contract does not know of is still caught.
BLUEPRINTS = {
    "competencies": {"competencies", "competencies_api"},
    "courses": {"courses", "courses_api", "courses_xapi"},
    "supervision": {"supervision", "supervision_api"},
    "endorsement": {"endorsement", "endorsement_moved"},
    "certificates": {"certificates", "certificates_api", "verify"},
    "lti": {"lti"},
}
URL_PREFIXES = {
    "competencies": ("/competencies/",),
    "courses": ("/courses/", "/xapi/"),
    "supervision": ("/supervision/",),
    "endorsement": ("/endorsement/", "/registry", "/rate/", "/competencies/applications/"),
    "certificates": ("/certificates/", "/verify/"),
    "lti": ("/lti/",),
}
# Texts of each plugin's home panels and to-dos, as a clinician, coordinator, trainer and RSC
# provider in one sees them.
HOME_TEXTS = {
    "competencies": ("Your pathway",),
    "courses": ("Your trainings", "self-reported trainings to verify"),
    "supervision": ("supervision sessions waiting for your signature",),
    "endorsement": ("new applications to assign reviewers to",),
    "certificates": ("endorsements without a valid certificate, to issue",),
    "lti": (),
}


@pytest.fixture(params=PREFIXES, ids=[",".join(p) for p in PREFIXES])
def app(request, app_factory):
    app_factory()  # the full app first: all plugins' receivers connected in this process
    application = app_factory(PLUGINS=list(request.param))
    with application.app_context():
        yield application


def _loaded(app) -> tuple[list[str], list[str]]:
    names = [p.name for p in app.extensions["lms.plugins"]]
    return names, [n for n in DEFAULT_PLUGINS if n not in names]


def test_the_prefix_is_loaded_in_order(app):
    names, absent = _loaded(app)
    assert tuple(names) == tuple(DEFAULT_PLUGINS[: len(names)])
    assert names + absent == DEFAULT_PLUGINS


def test_routes_nav_capabilities_and_cli_only_of_loaded_plugins(app):
    names, absent = _loaded(app)
    endpoints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()}
    paths = [rule.rule for rule in app.url_map.iter_rules()]
    nav = {item.endpoint.split(".")[0] for item in app.extensions["lms.nav"]}
    capabilities = {name.split(":")[0] for name in app.extensions["lms.capabilities"]}
    for name in names:
        assert BLUEPRINTS[name] <= set(app.blueprints) and BLUEPRINTS[name] <= endpoints, name
        for prefix in URL_PREFIXES[name]:
            assert any(p.startswith(prefix) for p in paths), (name, prefix)
        assert name in nav and name in capabilities and name in app.cli.commands
    for name in absent:
        assert not BLUEPRINTS[name] & set(app.blueprints), name
        assert not BLUEPRINTS[name] & endpoints, name
        leaked = [p for p in paths if p.startswith(URL_PREFIXES[name])]
        assert leaked == [], (name, leaked)
        assert name not in nav and name not in capabilities, name
        assert name not in app.cli.commands, name


def _hook_modules(app) -> set[str]:
    registries = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.url_value_preprocessors,
        app.url_default_functions,
        app.template_context_processors,
    )
    return {
        func.__module__.split(".")[0]
        for registry in registries
        for funcs in registry.values()
        for func in funcs
    }


def test_request_hooks_only_of_loaded_plugins(app):
    names, absent = _loaded(app)
    modules = _hook_modules(app)
    assert not modules & set(absent)
    if "courses" in names:
        # The upload limit is raised before any core hook (CSRF) reads the form.
        first = app.before_request_funcs[None][0]
        assert (first.__module__, first.__name__) == ("courses.views_import", "raise_upload_limit")


def test_home_shows_panels_and_todos_only_of_loaded_plugins(app, make_user, client, auth):
    names, absent = _loaded(app)
    make_user(
        "everyone@example.test", roles=("clinician", "coordinator", "trainer", "rsc_provider")
    )
    auth.login("everyone@example.test")
    body = client.get("/").get_data(as_text=True)
    for name in names:
        for text in HOME_TEXTS[name]:
            assert text in body, (name, text)
    for name in absent:
        for text in HOME_TEXTS[name]:
            assert text not in body, (name, text)


def test_receivers_run_only_in_apps_with_their_plugin(app, make_user, association):
    from competencies import ledger
    from competencies.endorsements import record_endorsement
    from competencies.rulesets import install_defaults
    from lms.signals import demo_data  # noqa: F401 - the signals exist whatever is loaded

    names, _ = _loaded(app)
    install_defaults()
    coordinator = make_user("coord@example.test", roles=("coordinator",))
    clinician = make_user("clin@example.test")
    # certificates: an award issues the endorsement certificate.
    record_endorsement(clinician, association, "IMHS", TODAY, actor=coordinator)
    from certificates.models import IssuedCertificate

    issued = IssuedCertificate.select().where(IssuedCertificate.holder == clinician).count()
    assert issued == (1 if "certificates" in names else 0)
    # lti: a ledger write of a linked learner queues their grade.
    from lti.models import Context, GradeJob, Member, Platform

    platform = Platform.create(
        association=association,
        name="LMS",
        issuer="https://lms.example",
        client_id="tool",
        auth_login_url="https://lms.example/auth",
        auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks",
    )
    context = Context.create(platform=platform, context_id="c1")
    Member.create(context=context, sub="s1", learner=True, user=clinician)
    ledger.record(
        clinician=clinician,
        association=association,
        kind="training",
        occurred_on=TODAY - dt.timedelta(days=3),
        status="verified",
        source="test",
        hours=2.0,
        label="Course",
    )
    assert GradeJob.select().count() == (1 if "lti" in names else 0)
