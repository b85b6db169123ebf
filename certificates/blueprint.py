"""The plugin's blueprints (signed-in pages, public verify pages, API) and its CLI group."""

from flask import Blueprint
from flask.cli import AppGroup

bp = Blueprint("certificates", __name__, template_folder="templates")
public_bp = Blueprint("verify", __name__, template_folder="templates")
api = Blueprint("certificates_api", __name__)
cli = AppGroup("certificates", help="Issue and revoke certificates.")
