"""Capabilities of the competencies plugin, with their default roles."""

from lms.plugins import Capability

CAPABILITIES = {
    "competencies:view_frameworks": Capability(
        "read",
        (
            "clinician",
            "trainer",
            "rsc_provider",
            "agency_manager",
            "reviewer",
            "coordinator",
            "admin",
        ),
        "Browse competency frameworks",
    ),
    "competencies:manage_frameworks": Capability(
        "write",
        ("reviewer", "coordinator", "admin"),
        "Import and edit the association's frameworks",
    ),
    "competencies:manage_rules": Capability(
        "write", ("coordinator", "admin"), "Load and publish rule-set versions"
    ),
    "competencies:track_own": Capability(
        "write", ("clinician",), "Declare goals and add one's own evidence"
    ),
    "competencies:view_readiness": Capability(
        "read",
        ("reviewer", "coordinator", "admin"),
        "See every clinician's readiness in the association",
    ),
    "competencies:view_staff": Capability(
        "read", ("agency_manager",), "See the readiness of the agency's staff"
    ),
    "competencies:verify_evidence": Capability(
        "write", ("coordinator", "admin"), "Verify or reject evidence clinicians entered"
    ),
    "competencies:view_evidence_files": Capability(
        "read",
        ("reviewer", "coordinator", "admin"),
        "Open the documents clinicians of the association attached to their evidence",
    ),
    "competencies:award": Capability(
        "write", ("coordinator", "admin"), "Award endorsements and record existing endorsees"
    ),
    "competencies:plan": Capability(
        "read",
        (
            "clinician",
            "trainer",
            "rsc_provider",
            "agency_manager",
            "reviewer",
            "coordinator",
            "admin",
        ),
        "Evaluate a what-if portfolio without saving it",
    ),
}
