"""The home-page panel for clinicians: pending and rejected trainings, missing prerequisites."""

from __future__ import annotations

from lms.models import Membership, User
from lms.signals import dashboard_panels


def _home_panel(user: User, **_: object):
    if (
        not Membership.select()
        .where((Membership.user == user) & (Membership.role == "clinician"))
        .exists()
    ):
        return []
    from courses.transcript import transcript_rows

    rows = transcript_rows(user)
    panel = {
        "pending": [r for r in rows if r.completion.status == "pending"],
        "rejected": [r for r in rows if r.completion.status == "rejected"],
        "flagged": [r for r in rows if r.missing],
        "verified": sum(1 for r in rows if r.completion.status == "verified"),
    }
    return [(20, "courses/home_panel.html", panel)]


def init_app(app) -> None:
    """Show the clinician's trainings on the home page."""
    dashboard_panels.connect(_home_panel, weak=False)
