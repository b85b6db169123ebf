"""LTI 1.3 Advantage tool: platform registration, launch, deep linking, roster, grades."""

from lms.plugins import NavItem, Plugin, Receiver
from lms.signals import evidence_recorded
from lti import cli as _cli  # noqa: F401
from lti import completions, grades, keys, views  # noqa: F401
from lti.blueprint import bp, cli
from lti.capabilities import CAPABILITIES
from lti.models import MODELS

plugin = Plugin(
    name="lti",
    version=2,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies", "courses"),
    cli=cli,
    receivers=(Receiver(evidence_recorded, grades.on_evidence),),
    nav=(NavItem("Learning platforms", "lti.platforms", "lti:manage_platforms", order=60),),
    init_app=keys.init_config,
)
