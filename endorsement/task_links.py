"""Where a clinician asks for the references a pathway still needs: its references page."""

from __future__ import annotations

from flask import url_for


def task_pages(sender, *, node_types, pathway_id=None, **_: object) -> dict[str, tuple[str, str]]:
    if "references" not in node_types or pathway_id is None:
        return {}
    url = url_for("endorsement.pathway_references", pathway_id=pathway_id)
    return {"references": (url, "Ask for references")}
