"""Where a clinician does an unmet reflective-supervision requirement: their RSC page."""

from __future__ import annotations

from flask import url_for


def task_pages(sender, *, node_types, **_: object) -> dict[str, tuple[str, str]]:
    if "rsc_hours" not in node_types:
        return {}
    return {"rsc_hours": (url_for("supervision.my_rsc"), "Log a session")}
