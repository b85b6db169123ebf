"""Capabilities of the courses plugin, with their default roles."""

from lms.plugins import Capability

EVERYONE = (
    "clinician",
    "trainer",
    "rsc_provider",
    "agency_manager",
    "reviewer",
    "coordinator",
    "admin",
)

CAPABILITIES = {
    "courses:view_catalogue": Capability("read", EVERYONE, "Browse the trainings catalogue"),
    "courses:manage_trainings": Capability(
        "write",
        ("trainer", "coordinator", "admin"),
        "Add and edit trainings and sessions (trainers: their own only)",
    ),
    "courses:record_completion": Capability(
        "write",
        ("trainer", "coordinator", "admin"),
        "Record who completed a training (trainers: their own trainings)",
    ),
    "courses:import": Capability(
        "write", ("trainer", "coordinator", "admin"), "Import completions from a CSV file"
    ),
    "courses:verify_self_reports": Capability(
        "write",
        ("trainer", "coordinator", "admin"),
        "Verify or reject trainings clinicians reported (trainers: their own trainings)",
    ),
    "courses:self_report": Capability(
        "write", ("clinician",), "Report a training taken elsewhere and see one's transcript"
    ),
    "courses:link_lms_accounts": Capability(
        "write",
        ("coordinator", "admin"),
        "Link clinicians' learning-platform accounts, so xAPI statements find them",
    ),
    "courses:view_transcripts": Capability(
        "read", ("reviewer", "coordinator", "admin"), "Read clinicians' training transcripts"
    ),
}
