"""IMH Pathway's platform: the application factory and the parts every plugin builds on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g

from lms import config as _config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the app: defaults, then instance/config.py, then LMS_* variables, then `config`
    (lms.config.load), then the core and the plugins of LMS_PLUGINS."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("LMS_INSTANCE_PATH")
    if not instance_path:
        instance_path = str(Path(__file__).resolve().parent.parent / "instance")
    app = Flask("lms", instance_path=instance_path, instance_relative_config=True)
    _config.load(app, config)

    from flask_bootstrap import Bootstrap5

    from lms import admin, api, auth, cli, db, errors, inputs, security, views
    from lms.csrf import csrf
    from lms.permissions import CORE_CAPABILITIES
    from lms.plugins import load_plugins

    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)
    app.config["BOOTSTRAP_SERVE_LOCAL"] = True
    app.extensions["lms.capabilities"] = dict(CORE_CAPABILITIES)
    app.extensions["lms.nav"] = list(admin.NAV)

    db.init_app(app)
    inputs.init_app(app)  # before any route: it binds the `int` converter

    @app.before_request
    def _fresh_identity() -> None:
        # Identity is cached on g; a test that holds one app context across requests must
        # not see the previous request's user.
        g.pop("_login_user", None)
        g.pop("lms_actor", None)

    security.init_app(app)
    csrf.init_app(app)
    Bootstrap5(app)
    auth.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    api.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    # Records each plugin in app.extensions["lms.plugins"] (before its init_app) and registers
    # every field of its Plugin; nothing else of a plugin reaches the app.
    load_plugins(app, list(app.config["PLUGINS"]))
    return app
