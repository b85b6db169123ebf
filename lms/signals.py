"""Declare every signal of the application, once, each with its contract.

Earlier packages hear of later ones only through these. Receivers run inside the caller's
transaction and must not commit; an exception in a receiver aborts the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

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
sender: the current User; keyword `actor`: its lms.permissions.Actor. Receivers return a list
of (order, template name, dict), whose template is included in the home page and sees the dict
as `panel`, and of lms.home.Todo items, gathered into the home page's one "To do" list.""",
)


registry_links = _signals.signal(
    "registry-links",
    doc="""Sent by endorsement while the public registry page is built, to link each listed
endorsement to its holder's public credential page (certificates: the verify page of the
endorsement's current certificate). sender: the Flask app. kwargs: `endorsement_ids` (list of
Endorsement ids on the page). Receivers only read and return a dict Endorsement id -> a public
URL (path or absolute) that anyone may open; endorsements they know nothing of are left out.""",
)


@dataclass(frozen=True)
class EvidenceFile:
    """A stored file behind a ledger row, as a plugin that holds it describes it."""

    evidence_id: int
    key: str  # unique across plugins, URL-safe, e.g. "courses-certificate-7"
    filename: str  # as uploaded; for display only, never trusted as a path or a header
    content_type: str  # checked against the content when the file was stored
    size: int
    sha256: str
    load: Callable[[], bytes]  # reads the bytes (only when the file is served)


evidence_files = _signals.signal(
    "evidence-files",
    doc="""Sent by endorsement to find the stored files behind ledger rows (e.g. the
certificate of a self-reported training), so that reviewers can open them.
sender: the Flask app. kwargs: `evidence_ids` (list of Evidence ids). Receivers return a list
of `EvidenceFile` for the rows they hold files of, and only read: the caller has checked who
may see them.""",
)

task_pages = _signals.signal(
    "task-pages",
    doc="""Sent by competencies while it lists what a clinician still has to do, to link each task
to the page that does it. sender: the Flask app. kwargs: `node_types` (set of rule-node type
names with unmet tasks), `association_id`, `pathway_id` (None when nothing is stored, as in the
planner). Receivers only read and return a dict node type -> (URL, link text) for the types
whose page they hold.""",
)


@dataclass(frozen=True)
class UpcomingTraining:
    """A session of a training, to come, that covers some competency areas."""

    title: str
    starts_on: date
    url: str


area_trainings = _signals.signal(
    "area-trainings",
    doc="""Sent by competencies while it shows a clinician's uncovered competency areas, to list
the association's upcoming trainings that cover them. sender: the Flask app. kwargs:
`association_id`, `area_ids` (list of area ids), `today` (date). Receivers only read and return a
dict area id -> list of `UpcomingTraining`, soonest first.""",
)

# Signals whose sender is the Flask app: the plugin loader connects receivers to them with the
# app as sender. Receivers of the others run only while the app that loaded them is current.
SENT_BY_APP = frozenset({demo_data, registry_links, evidence_files, task_pages, area_trainings})
