"""Trainings catalogue, sessions and completions: rosters, CSV import, REST and xAPI."""

from courses import (  # noqa: F401
    api_views,
    demo,
    evidence_files,
    panels,
    upcoming,
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
from lms.plugins import Mount, NavItem, Plugin, Receiver, RequestHook
from lms.signals import area_trainings, demo_data, task_pages
from lms.signals import evidence_files as evidence_files_signal

plugin = Plugin(
    name="courses",
    version=4,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies",),
    cli=cli,
    api=api,
    # xAPI clients authenticate each statement with a token, as the API does: no CSRF.
    blueprints=(Mount(xapi_bp, "/xapi", csrf=False),),
    receivers=(
        Receiver(demo_data, demo.on_demo),
        Receiver(evidence_files_signal, evidence_files.certificate_files),
        Receiver(task_pages, upcoming.task_pages),
        Receiver(area_trainings, upcoming.trainings_for_areas),
    ),
    # The import page takes files up to 40 MB; the limit must be raised before anything (CSRF
    # protection included) reads the form, so this runs first among the request hooks.
    request_hooks=(RequestHook(views_import.raise_upload_limit, first=True),),
    home=(panels.home_panel, panels.home_todos),
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
)
