"""Capabilities of the supervision plugin, with their default roles."""

from lms.plugins import Capability

CAPABILITIES = {
    "supervision:log_own": Capability(
        "write", ("clinician",), "Log one's own reflective supervision sessions"
    ),
    "supervision:attest": Capability(
        "write",
        ("rsc_provider",),
        "Attest or reject sessions one gave, and enter sessions for attendees",
    ),
    "supervision:manage_providers": Capability(
        "write", ("coordinator", "admin"), "Record and revoke RSC providers' credentials"
    ),
}
