"""LTI 1.3 Advantage tool: platform registration, launch, deep linking, roster, grades."""

from lms.plugins import NavItem, Plugin
from lti import cli as _cli  # noqa: F401
from lti import grades, keys, views  # noqa: F401
from lti.blueprint import bp, cli
from lti.capabilities import CAPABILITIES
from lti.models import MODELS


def _init_app(app) -> None:
    keys.init_config(app)
    grades.init_app(app)


plugin = Plugin(
    name="lti",
    version=1,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies", "courses"),
    cli=cli,
    nav=(NavItem("Learning platforms", "lti.platforms", "lti:manage_platforms", order=60),),
    init_app=_init_app,
)
