"""Reflective supervision/consultation: providers, sessions and attestation."""

from lms.plugins import Plugin

plugin = Plugin(
    name="supervision",
    version=0,
    requires=("competencies",),
)
