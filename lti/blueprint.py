"""The plugin's blueprint and CLI group, shared by its view modules."""

from flask import Blueprint
from flask.cli import AppGroup

bp = Blueprint("lti", __name__, template_folder="templates")
cli = AppGroup("lti", help="LTI 1.3: register platforms, rotate tool keys, post grades.")
