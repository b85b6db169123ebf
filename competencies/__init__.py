"""Competency Guidelines, endorsement rule sets, the evidence ledger, the evaluator and pathways."""

from lms.plugins import Plugin

plugin = Plugin(
    name="competencies",
    version=0,
    requires=(),
)
