"""Capabilities of the endorsement plugin, with their default roles.

They grant what `competencies:track_own`, `competencies:view_readiness` and
`competencies:award` granted the workflow while it was part of competencies, to the same roles.
"""

from lms.plugins import Capability

CAPABILITIES = {
    "endorsement:apply": Capability(
        "write",
        ("clinician",),
        "Apply for the endorsement, ask raters for references, withdraw or resubmit",
    ),
    "endorsement:review": Capability(
        "write",
        ("reviewer", "coordinator", "admin"),
        "Review the applications one is assigned",
    ),
    "endorsement:decide": Capability(
        "write",
        ("coordinator", "admin"),
        "Assign reviewers, run exams, decide applications and reinstate endorsements",
    ),
}
