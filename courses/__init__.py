"""Trainings catalogue, sessions and completions: rosters, CSV import, REST and xAPI."""

from courses import (  # noqa: F401
    api_views,
    demo,
    panels,
    views,
    views_accounts,
    views_corrections,
    views_import,
    xapi_views,
)
from courses import cli as _cli  # noqa: F401
from courses.blueprint import api, bp, cli, xapi_bp
from courses.capabilities import CAPABILITIES
from courses.models import MODELS
from lms.plugins import NavItem, Plugin


def _init_app(app) -> None:
    from lms.csrf import csrf

    app.register_blueprint(xapi_bp, url_prefix="/xapi")
    csrf.exempt(xapi_bp)
    # The import page takes files up to 40 MB; the limit must be raised before anything (CSRF
    # protection included) reads the form, so this runs first among the request hooks.
    app.before_request_funcs.setdefault(None, []).insert(0, views_import.raise_upload_limit)
    demo.init_app(app)
    panels.init_app(app)


plugin = Plugin(
    name="courses",
    version=2,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies",),
    cli=cli,
    api=api,
    nav=(
        NavItem("My trainings", "courses.transcript", "courses:self_report", order=15),
        NavItem("Trainings", "courses.catalogue", "courses:view_catalogue", order=40),
        NavItem("Import completions", "courses.import_upload", "courses:import", order=45),
        NavItem(
            "Verify trainings", "courses.verify_queue", "courses:verify_self_reports", order=46
        ),
        NavItem(
            "LMS accounts",
            "courses.lms_accounts",
            "courses:link_lms_accounts",
            order=47,
            group="administration",
        ),
    ),
    init_app=_init_app,
)
