"""Capabilities of the certificates plugin, with their default roles."""

from lms.plugins import Capability

CAPABILITIES = {
    "certificates:issue_own": Capability(
        "write", ("clinician",), "Issue one's own progress certificate and training transcript"
    ),
    "certificates:issue_completion": Capability(
        "write", ("trainer",), "Issue completion certificates for the trainings one recorded"
    ),
    "certificates:manage": Capability(
        "write",
        ("coordinator", "admin"),
        "Issue and revoke the association's certificates and download them as a ZIP",
    ),
}
