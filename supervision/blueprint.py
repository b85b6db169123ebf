"""The plugin's blueprint, API blueprint and CLI group, shared by its view modules."""

from flask import Blueprint
from flask.cli import AppGroup

bp = Blueprint("supervision", __name__, template_folder="templates")
api = Blueprint("supervision_api", __name__)
cli = AppGroup("supervision", help="Reflective supervision: reminders and signature checks.")
