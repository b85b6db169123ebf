"""The plugin's blueprint, API blueprint and CLI group, shared by its view modules."""

from flask import Blueprint
from flask.cli import AppGroup

bp = Blueprint("competencies", __name__, template_folder="templates")
api = Blueprint("competencies_api", __name__)
cli = AppGroup("competencies", help="Frameworks, rule sets, evaluation and readiness.")
