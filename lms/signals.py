"""Declare every signal of the application, once, each with its contract.

Earlier packages hear of later ones only through these. Receivers run inside the caller's
transaction and must not commit; an exception in a receiver aborts the caller's transaction.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

demo_data = _signals.signal(
    "demo-data",
    doc="""Sent by `flask --app lms demo` after the core demo data exists.
sender: the Flask app. kwargs: `association` (the demo Association), `users` (dict role -> User),
`password` (the demo password). Receivers add their plugin's demo data idempotently (check
before creating) and return nothing.""",
)

user_sessions_ended = _signals.signal(
    "user-sessions-ended",
    doc="""Sent when a user's sessions are ended (logout, password change, deactivation).
sender: the User. kwargs: `reason` (str). Receivers must not write to the user.""",
)

evidence_recorded = _signals.signal(
    "evidence-recorded",
    doc="""Sent by competencies after a ledger row is written or voided.
sender: the Evidence row. kwargs: `replaced` (the voided row or None).""",
)

endorsement_awarded = _signals.signal(
    "endorsement-awarded",
    doc="""Sent by competencies when an association endorses a clinician.
sender: the Endorsement record. Receivers (supervision: provider eligibility; certificates:
the endorsement certificate) run inside the awarding transaction.""",
)

dashboard_panels = _signals.signal(
    "dashboard-panels",
    doc="""Sent while the home page is built, to collect panels from plugins.
sender: the current User. Receivers return a list of (order, template name, dict); the
template is included in the home page and sees the dict as `panel`.""",
)
