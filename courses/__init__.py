"""Trainings catalogue, sessions and completions: rosters, CSV import, REST and xAPI."""

from lms.plugins import Plugin

plugin = Plugin(
    name="courses",
    version=0,
    requires=("competencies",),
)
