"""PDF certificates: rendering, the issued-certificate store and verification."""

from lms.plugins import Plugin

plugin = Plugin(
    name="certificates",
    version=0,
    requires=("competencies",),
)
