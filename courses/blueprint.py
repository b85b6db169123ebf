"""The plugin's blueprints (pages, API, xAPI) and CLI group, shared by its view modules."""

from flask import Blueprint
from flask.cli import AppGroup

bp = Blueprint("courses", __name__, template_folder="templates")
api = Blueprint("courses_api", __name__)
xapi_bp = Blueprint("courses_xapi", __name__)
cli = AppGroup("courses", help="Trainings and completions: CSV import.")
