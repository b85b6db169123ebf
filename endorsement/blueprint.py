"""The plugin's blueprint, its redirects from the old addresses, and its CLI group."""

from flask import Blueprint
from flask.cli import AppGroup

bp = Blueprint("endorsement", __name__, template_folder="templates")
# The addresses the workflow had while it was part of competencies (the public registry, the
# rating links emailed to raters, bookmarked pages), each answered with a 301 to its new one.
moved = Blueprint("endorsement_moved", __name__)
cli = AppGroup("endorsement", help="The endorsement workflow: renewal reminders and lapsing.")
