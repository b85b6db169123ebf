"""PDF certificates: rendering, the issued-certificate store and verification."""

from certificates import cli as _cli  # noqa: F401
from certificates import keys, panels, receivers, views, views_public  # noqa: F401
from certificates.blueprint import api, bp, cli, public_bp
from certificates.capabilities import CAPABILITIES
from certificates.models import MODELS
from lms.plugins import NavItem, Plugin


def _init_app(app) -> None:
    keys.init_config(app)
    app.register_blueprint(public_bp, url_prefix="/verify")
    receivers.init_app(app)
    panels.init_app(app)


plugin = Plugin(
    name="certificates",
    version=2,
    blueprint=bp,
    models=MODELS,
    capabilities=CAPABILITIES,
    requires=("competencies",),
    cli=cli,
    api=api,
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
    init_app=_init_app,
)
