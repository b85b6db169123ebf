"""PDF certificates: rendering, the issued-certificate store and verification."""

from certificates import cli as _cli  # noqa: F401
from certificates import keys, panels, receivers, views, views_public  # noqa: F401
from certificates.blueprint import api, bp, cli, public_bp
from certificates.capabilities import CAPABILITIES
from certificates.models import MODELS
from lms.plugins import Mount, NavItem, Plugin, Receiver
from lms.signals import demo_data, endorsement_awarded, registry_links

plugin = Plugin(
    name="certificates",
    version=3,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies",),
    cli=cli,
    api=api,
    blueprints=(Mount(public_bp, "/verify"),),  # anyone checks a certificate there
    receivers=(
        Receiver(endorsement_awarded, receivers.on_award),
        Receiver(demo_data, receivers.on_demo),
        Receiver(registry_links, receivers.links_for_registry),
    ),
    home=(panels.home_todos,),
    nav=(
        NavItem("Certificates", "certificates.mine", None, order=40),
        NavItem(
            "Completions",
            "certificates.completions",
            "certificates:issue_completion",
            45,
            group="my_work",
        ),
        NavItem("Issued certificates", "certificates.manage", "certificates:manage", order=50),
    ),
    init_app=keys.init_config,
)
