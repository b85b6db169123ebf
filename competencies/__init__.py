"""Competency Guidelines, endorsement rule sets, the evidence ledger, the evaluator and pathways."""

from competencies import (  # noqa: F401
    api_readiness,
    demo,
    evidence_documents,
    views_dashboard,
    views_documents,
    views_endorsements,
    views_frameworks,
    views_planner,
    views_readiness,
    views_rules,
)
from competencies import cli as _cli  # noqa: F401
from competencies import cli_frameworks as _cli_frameworks  # noqa: F401
from competencies.blueprint import api, bp, cli
from competencies.capabilities import CAPABILITIES
from competencies.models import MODELS
from lms.plugins import NavItem, Plugin, Receiver
from lms.signals import demo_data, evidence_files


def _init_app(app) -> None:
    from competencies.pathways import forget_recent
    from competencies.rulesets import clear_caches

    clear_caches()  # a new app may sit on a new database (tests); rule-set ids may repeat
    forget_recent()  # and so may pathway ids with their ledger generations


plugin = Plugin(
    name="competencies",
    version=10,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=(),
    cli=cli,
    api=api,
    receivers=(
        Receiver(demo_data, demo.on_demo),
        Receiver(evidence_files, evidence_documents.document_files),
    ),
    home=(views_dashboard.home_panel,),
    nav=(
        NavItem("My pathway", "competencies.dashboard", "competencies:track_own", order=10),
        NavItem("Readiness", "competencies.readiness", "competencies:view_readiness", order=20),
        NavItem("Frameworks", "competencies.frameworks", "competencies:view_frameworks", order=60),
        NavItem(
            "Rule sets",
            "competencies.rule_sets",
            "competencies:manage_rules",
            order=65,
            group="administration",
        ),
        NavItem("Staff readiness", "competencies.staff", "competencies:view_staff", order=25),
        NavItem("Endorsements", "competencies.endorsement_list", "competencies:award", order=30),
        NavItem(
            "What-if planner",
            "competencies.planner",
            "competencies:plan",
            order=70,
            group="my_work",
        ),
    ),
    init_app=_init_app,
)
