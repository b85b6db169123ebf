"""Reflective supervision/consultation: providers, sessions and attestation."""

from lms.plugins import NavItem, Plugin, Receiver
from lms.signals import demo_data, task_pages
from supervision import api as _api  # noqa: F401
from supervision import cli as _cli  # noqa: F401
from supervision import demo, panels, task_links, views  # noqa: F401
from supervision.blueprint import api, bp, cli
from supervision.capabilities import CAPABILITIES
from supervision.models import MODELS

plugin = Plugin(
    name="supervision",
    version=1,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies",),
    cli=cli,
    api=api,
    receivers=(Receiver(demo_data, demo.on_demo), Receiver(task_pages, task_links.task_pages)),
    home=(panels.home_todos,),
    nav=(
        NavItem("Reflective supervision", "supervision.my_rsc", "supervision:log_own", order=15),
        NavItem(
            "Attest supervision",
            "supervision.provider",
            "supervision:attest",
            order=25,
            group="my_work",
        ),
        NavItem("RSC providers", "supervision.providers", "supervision:manage_providers", order=40),
    ),
)
