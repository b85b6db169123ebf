"""Reflective supervision/consultation: providers, sessions and attestation."""

from lms.plugins import NavItem, Plugin
from supervision import api as _api  # noqa: F401
from supervision import cli as _cli  # noqa: F401
from supervision import demo, panels, views  # noqa: F401
from supervision.blueprint import api, bp, cli
from supervision.capabilities import CAPABILITIES
from supervision.models import MODELS


def _init_app(app) -> None:
    demo.init_app(app)
    panels.init_app(app)


plugin = Plugin(
    name="supervision",
    version=1,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies",),
    cli=cli,
    api=api,
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
    init_app=_init_app,
)
