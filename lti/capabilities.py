"""Capabilities of the lti plugin, with their default roles."""

from lms.plugins import Capability

CAPABILITIES = {
    "lti:manage_platforms": Capability(
        "write",
        ("coordinator", "admin"),
        "Register learning platforms (LTI 1.3) and see what to paste into them",
    ),
}
