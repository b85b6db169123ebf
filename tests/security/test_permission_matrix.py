"""The permission matrix: every route × every role × whose object it is → the expected answer.

`MATRIX` below is the table. Each entry names one route as `app.url_map` has it ("METHOD rule")
and what every role gets. Roles are the seven of `lms.plugins.ROLES` plus `anonymous`; on
`/api/` and `/xapi/` a role means that role's API token, and a clinician or admin signed in
with a session cookie and no token must get what `anonymous` gets (the API trusts tokens only).

The data: associations A and B, each with a coordinator, and three worlds of a clinician,
trainer, RSC provider, agency manager and endorsed reviewer with one record of every kind
(pathway, evidence, training, session, completions, self-reports, RSC session, credential,
endorsement, certificates, application, review, exam sitting and registration, reference
link, LMS account, API token): "own" in A (its people are the actors), "peer" in A (another
agency) and "zulu" in B. Routes that take an object are called once per *owner* of it:

- `own`    — the actor's own record or one of their world: the clinician's own pathway, the
  trainer's own training, the session the provider gave, the agency manager's staff member,
  the review assigned to the reviewer (for coordinators and admins: a record of A);
- `same`   — the same kind of record of someone else in A (another agency, trainer, provider,
  reviewer), or A itself for pages that take an association;
- `other`  — the record of association B, or B itself;
- `shared` — a framework or rule set shared by every association;
- `cross`  — A's page asked about a person or file of B;
- `dual`   — a clinician of both A (in the own agency) and B, with a pathway and a training in B;
  A's coordinator changes only A's roles of that account: its name, password (invitation) and
  activation are refused (for an admin, or whoever coordinates both, they work);
- `dual_roles` — the same person, with an edit form that keeps their name: only A's roles change;
- `valid` / `unknown` — a public link's token or code that exists, or does not.

Outcomes are HTTP statuses, or `LOGIN` for a redirect to the sign-in page (a 302 expected to be
anything else must not lead there). Besides the status, every answer is held to three rules:

- a refusal (4xx or the sign-in redirect) writes nothing, not even a row rolled back later
  (SQLite `total_changes()`, PostgreSQL `txid_current_if_assigned()`);
- a page a user of A may see never shows anything of B, nor a clinician or another agency's
  manager anything of another clinician (see FOREIGN and PEER);
- GET on an address that takes only other methods answers 405.

Each request runs in a transaction rolled back afterwards, so an allowed write does not change
what the next check sees. POST data is a realistic form where the object check comes after form
validation, and an empty form where a 400 already shows the role got past every check.

A route missing from `MATRIX` fails `test_every_route_has_an_expectation` with its name.
Run with `-s` to print the matrix (one line per route, owner and credential; one column per
role); a failure lists each wrong answer as route, role, owner, expected, actual.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from lms.db import db, is_sqlite
from lms.plugins import ROLES as APP_ROLES

PASSWORD = "correct horse battery staple"
TODAY = dt.date.today()
LOGIN = "login"  # a redirect to the sign-in page
ROLES = ("anonymous", *APP_ROLES)
WORLD_ROLES = ("clinician", "trainer", "rsc_provider", "agency_manager", "reviewer")
API = ("/api/", "/xapi/")  # token-only addresses
COOKIE_ROLES = ("clinician", "admin")  # the least and the most one may do, signed in on the API
SKIPPED_ENDPOINTS = {"static", "bootstrap.static"}  # files, not pages

ONE: tuple[str | None, ...] = (None,)
OWN3 = ("own", "same", "other")
ASSOC2 = ("same", "other")
SHARED3 = ("same", "other", "shared")
USER3 = ("same", "other", "cross")
USER4 = (*USER3, "dual")  # and the account shared with B: account-level actions refused
USER5 = (*USER4, "dual_roles")
PERSON4 = ("own", "same", "other", "dual")
# Nothing of association B (its people and records are "ZULU", its code "MXZ") may show on a
# page for a user of A, nor another clinician ("Clinician PEER") on a clinician's pages or on
# those of the manager of another agency. Whole words only: random tokens never match.
FOREIGN = re.compile(r"\b(zulu|mxz)\b")
PEER = re.compile(r"\bclinician[ .]peer\b")
PEER_ROLES = {"clinician", "agency_manager"}
TOKEN2 = ("valid", "unknown")

Outcome = int | str


@dataclass(frozen=True)
class Entry:
    """One route of the table: how to call it and what each role gets per owner."""

    method: str
    rule: str
    expect: Mapping[str, tuple[Outcome, ...]]
    owners: tuple[str | None, ...] = ONE
    args: Mapping[str, str] = field(default_factory=dict)
    query: str = ""
    form: Mapping[str, Any] | None = None
    body: Callable[[dict], Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    signs_out: bool = False
    public: bool = False
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def is_api(self) -> bool:
        return self.rule.startswith(API)


OPTIONS = {"owners", "args", "query", "form", "body", "headers", "signs_out", "public", "note"}


def _entry(spec: str, anonymous: Outcome, others: Any, kw: dict[str, Any]) -> Entry:
    method, rule = spec.split(" ", 1)
    options = {k: kw.pop(k) for k in list(kw) if k in OPTIONS}
    unknown = set(kw) - set(APP_ROLES)
    assert not unknown, f"{spec}: unknown roles {unknown}"
    owners = options.get("owners", ONE)
    expect = {}
    for role in ROLES:
        value = anonymous if role == "anonymous" else kw.get(role, others)
        values = value if isinstance(value, tuple) else (value,) * len(owners)
        assert len(values) == len(owners), f"{spec}: {role} needs one outcome per owner {owners}"
        expect[role] = values
    return Entry(method, rule, expect, **options)


def route(spec: str, *, anonymous: Outcome = LOGIN, others: Any = 403, **kw: Any) -> Entry:
    """A signed-in page: anonymous visitors go to the sign-in page, unlisted roles get 403."""
    return _entry(spec, anonymous, others, kw)


def api(spec: str, *, others: Any = 403, **kw: Any) -> Entry:
    """An API operation: no token is 401, unlisted roles' tokens get 403."""
    return _entry(spec, 401, others, kw)


def public(spec: str, outcome: Any, **kw: Any) -> Entry:
    """A public page: everyone, signed in or not, gets the same answer."""
    return _entry(spec, outcome, outcome, dict(kw, public=True))


def completion_body(w: dict) -> dict:
    return {
        "items": [
            {
                "email": w["clinician_email"],
                "training_code": w["training_code"],
                "completed_on": (TODAY - dt.timedelta(days=3)).isoformat(),
            }
        ]
    }


def rsc_body(w: dict) -> dict:
    return {
        "provider_id": w["rsc_provider"],
        "occurred_on": (TODAY - dt.timedelta(days=2)).isoformat(),
        "hours": 1.0,
    }


def xapi_body(w: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{w['clinician_email']}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": w["training_iri"]},
        "result": {"completion": True},
        "timestamp": f"{(TODAY - dt.timedelta(days=2)).isoformat()}T10:00:00Z",
    }


XAPI = {"X-Experience-API-Version": "1.0.3"}
ZIP_QUERY = f"kind=endorsement&start={TODAY.replace(day=1)}&end={TODAY}"

# fmt: off
MATRIX: tuple[Entry, ...] = (
    # --- the platform: home, sign-in, account -------------------------------------------------
    public("GET /", 200),
    public("GET /healthz", 200),
    public("GET /endorsement/registry", 200),
    route("GET /login", anonymous=200, others=302),
    route("POST /login", anonymous=400, others=302),
    route("POST /logout", others=LOGIN, signs_out=True),
    route("GET /account", others=200),
    route("POST /account", others=400),
    route("GET /account/password", others=200),
    route("POST /account/password", others=400),
    route("POST /account/tokens/<int:token_id>/revoke", owners=OWN3, args={"token_id": "api_token"},
          others=(302, 404, 404)),
    public("GET /invitation/<token>", (200, 410), owners=TOKEN2, args={"token": "invitation"}),
    public("POST /invitation/<token>", (400, 410), owners=TOKEN2, args={"token": "invitation"}),
    public("GET /endorsement/rate/<token>", (200, 404), owners=TOKEN2, args={"token": "reference"}),
    public("POST /endorsement/rate/<token>", (400, 404), owners=TOKEN2,
           args={"token": "reference"}),
    # --- administration: coordinators run their association, admins every one -----------------
    route("GET /admin/", coordinator=200, admin=200),
    route("GET /admin/audit", coordinator=200, admin=200),
    route("GET /admin/associations/new", admin=200),
    route("POST /admin/associations/new", admin=302,
          form={"code": "MXN", "name": "Matrix New", "renewal_due": "12-31"}),
    route("GET /admin/associations/<int:association_id>", owners=ASSOC2,
          coordinator=(200, 404), admin=200),
    route("POST /admin/associations/<int:association_id>", owners=ASSOC2,
          form={"agency-name": "Matrix agency", "agency-city": "Lansing"},
          coordinator=(302, 404), admin=302),
    route("GET /admin/associations/<int:association_id>/users", owners=ASSOC2,
          coordinator=(200, 404), admin=200),
    route("POST /admin/associations/<int:association_id>/users", owners=ASSOC2,
          form={"email": "invited@example.org", "display_name": "Invited", "roles": "clinician",
                "agency": "0"},
          coordinator=(200, 404), admin=200),
    route("GET /admin/associations/<int:association_id>/users/<int:user_id>", owners=USER4,
          args={"user_id": "member"}, coordinator=(200, 404, 404, 200),
          admin=(200, 200, 404, 200)),
    # Renaming the shared account is refused (400, the form says why); its roles in A change.
    route("POST /admin/associations/<int:association_id>/users/<int:user_id>", owners=USER5,
          args={"user_id": "member"},
          form={"display_name": "{new_name}", "roles": "clinician", "agency": "0"},
          coordinator=(302, 404, 404, 400, 302), admin=(302, 302, 404, 302, 302)),
    route("POST /admin/associations/<int:association_id>/users/<int:user_id>/active",
          owners=USER4, args={"user_id": "member"}, form={"active": "0"},
          coordinator=(302, 404, 404, 403), admin=(302, 302, 404, 302)),
    route("POST /admin/associations/<int:association_id>/users/<int:user_id>/invite",
          owners=USER4, args={"user_id": "member"},
          coordinator=(200, 404, 404, 403), admin=(200, 200, 404, 200)),
    # --- the API: tokens only -----------------------------------------------------------------
    public("GET /api/v1/openapi.json", 200),
    api("GET /api/v1/me", others=200),
    api("GET /api/v1/associations/<code>/readiness", owners=ASSOC2,
        args={"code": "association_code"}, reviewer=(200, 404), coordinator=(200, 404), admin=200),
    api("GET /api/v1/clinicians/<int:user_id>/readiness", owners=PERSON4,
        args={"user_id": "clinician"}, others=404,
        clinician=(200, 404, 404, 404), agency_manager=(200, 404, 404, 200),
        reviewer=(200, 200, 404, 200), coordinator=(200, 200, 404, 200), admin=200),
    api("POST /api/v1/completions", owners=OWN3, body=completion_body,
        trainer=(200, 422, 422), coordinator=(200, 200, 422), admin=(200, 200, 422)),
    api("PATCH /api/v1/completions/<external_id>", owners=OWN3,
        body=lambda w: {"reason": "Typo in the hours", "hours": 2.0},
        trainer=(200, 403, 404), coordinator=(200, 200, 404), admin=(200, 200, 404)),
    api("DELETE /api/v1/completions/<external_id>", owners=OWN3,
        body=lambda w: {"reason": "Recorded for the wrong person"},
        trainer=(200, 403, 404), coordinator=(200, 200, 404), admin=(200, 200, 404)),
    api("GET /api/v1/rsc-sessions", clinician=200),
    api("POST /api/v1/rsc-sessions", owners=OWN3, body=rsc_body, clinician=(201, 201, 422)),
    api("PATCH /api/v1/rsc-sessions/<int:session_id>", owners=OWN3,
        args={"session_id": "rsc_session"}, body=lambda w: {"hours": 2.0},
        clinician=(200, 404, 404)),
    public("GET /api/v1/verify/<code>", (200, 404), owners=TOKEN2, args={"code": "cert_code"}),
    api("POST /xapi/statements", owners=OWN3, body=xapi_body, headers=XAPI,
        trainer=(200, 400, 400), coordinator=(200, 200, 400), admin=(200, 200, 400)),
    public("GET /xapi/about", 200),
    api("GET /xapi/statements", headers=XAPI, query=f"statementId={uuid.uuid4()}",
        trainer=404, coordinator=404, admin=404),
    api("PUT /xapi/statements", owners=OWN3, body=lambda w: {**xapi_body(w), "id": None},
        headers=XAPI,
        query=f"statementId={uuid.uuid4()}",
        trainer=(204, 400, 400), coordinator=(204, 204, 400), admin=(204, 204, 400)),
    # --- competencies: the clinician's own pathway --------------------------------------------
    route("GET /competencies/", clinician=200),
    route("POST /competencies/goals", clinician=400),
    route("GET /competencies/evidence", clinician=200),
    route("GET /competencies/evidence/new/<kind>", args={"kind": "evidence_kind"}, clinician=200),
    route("POST /competencies/evidence/new/<kind>", args={"kind": "evidence_kind"}, clinician=400),
    route("POST /competencies/evidence/<int:evidence_id>/withdraw", owners=OWN3,
          args={"evidence_id": "pending_evidence"}, clinician=(302, 404, 404)),
    route("GET /competencies/evidence/<int:evidence_id>/documents/new", owners=OWN3,
          args={"evidence_id": "pending_evidence"}, clinician=(200, 404, 404)),
    route("POST /competencies/evidence/<int:evidence_id>/documents/new", owners=OWN3,
          args={"evidence_id": "pending_evidence"}, clinician=(400, 404, 404)),
    # The document behind an item: its clinician, and staff of its association who review.
    route("GET /competencies/evidence/<int:evidence_id>/documents/<int:document_id>",
          owners=OWN3, args={"evidence_id": "pending_evidence", "document_id": "evidence_document"},
          others=404, clinician=(200, 404, 404), reviewer=(200, 200, 404),
          coordinator=(200, 200, 404), admin=200),
    route("GET /endorsement/applications/mine", clinician=200),
    route("GET /endorsement/pathways/<int:pathway_id>/apply", owners=OWN3,
          args={"pathway_id": "pathway"}, clinician=(200, 404, 404)),
    route("POST /endorsement/pathways/<int:pathway_id>/apply", owners=OWN3,
          args={"pathway_id": "pathway"}, clinician=(400, 404, 404)),
    route("GET /endorsement/pathways/<int:pathway_id>/references", owners=OWN3,
          args={"pathway_id": "pathway"}, clinician=(200, 404, 404)),
    route("POST /endorsement/pathways/<int:pathway_id>/references", owners=OWN3,
          args={"pathway_id": "pathway"}, clinician=(400, 404, 404)),
    route("POST /endorsement/applications/<int:application_id>/resubmit", owners=OWN3,
          clinician=(302, 404, 404)),
    route("POST /endorsement/applications/<int:application_id>/withdraw", owners=OWN3,
          clinician=(302, 404, 404)),
    route("GET /competencies/planner", others=200),
    route("POST /competencies/planner", others=400),
    route("GET /endorsement/renewal", others=200),
    route("POST /endorsement/renewal/<int:endorsement_id>", owners=OWN3,
          args={"endorsement_id": "endorsement"}, others=404,
          clinician=(302, 404, 404), coordinator=(302, 302, 404), admin=302),
    route("POST /endorsement/registry-listing", others=302),
    # --- endorsement: one application, seen by its clinician, coordinator and reviewers -------
    route("GET /endorsement/applications/<int:application_id>", owners=OWN3, others=404,
          clinician=(200, 404, 404), reviewer=(200, 404, 404),
          coordinator=(200, 200, 404), admin=200),
    # The files behind an application's evidence are for its reviewers and coordinators.
    route("GET /endorsement/applications/<int:application_id>/files/<key>",
          owners=("own", "same", "other", "cross"), args={"key": "file_key"}, others=404,
          clinician=(403, 404, 404, 403), reviewer=(200, 404, 404, 404),
          coordinator=(200, 200, 404, 404), admin=(200, 200, 200, 404)),
    route("POST /endorsement/applications/<int:application_id>/assign", owners=OWN3,
          coordinator=(400, 400, 404), admin=400),
    route("POST /endorsement/applications/<int:application_id>/decide", owners=OWN3,
          coordinator=(400, 400, 404), admin=400),
    route("GET /endorsement/reviews", reviewer=200, coordinator=200, admin=200),
    # A review is its reviewer's own: coordinators read it on the application page.
    route("GET /endorsement/reviews/<int:review_id>", owners=OWN3,
          reviewer=(200, 404, 404), coordinator=404, admin=404),
    route("POST /endorsement/reviews/<int:review_id>", owners=OWN3,
          reviewer=(400, 404, 404), coordinator=404, admin=404),
    # --- competencies: the association's desk -------------------------------------------------
    route("GET /competencies/verify", coordinator=200, admin=200),
    route("POST /competencies/verify/<int:evidence_id>", owners=OWN3,
          args={"evidence_id": "pending_evidence"}, form={"decision": "verify"},
          coordinator=(302, 302, 404), admin=302),
    route("GET /endorsement/workflow", owners=ASSOC2, query="association={association}",
          coordinator=(200, 404), admin=200),
    route("GET /endorsement/workflow.csv", owners=ASSOC2, query="association={association}",
          coordinator=(200, 404), admin=200),
    route("GET /endorsement/workflow/readiness.csv", owners=ASSOC2,
          query="association={association}", coordinator=(200, 404), admin=200),
    route("GET /competencies/endorsements", owners=ASSOC2, query="association={association}",
          coordinator=(200, 404), admin=200),
    route("POST /competencies/endorsements", owners=ASSOC2, query="association={association}",
          coordinator=(400, 404), admin=400),
    route("GET /endorsement/exams", owners=ASSOC2, query="association={association}",
          coordinator=(200, 404), admin=200),
    route("POST /endorsement/exams", owners=ASSOC2, query="association={association}",
          coordinator=(400, 404), admin=400),
    route("POST /endorsement/exams/<int:sitting_id>/register", owners=OWN3,
          args={"sitting_id": "sitting"}, coordinator=(400, 400, 404), admin=400),
    route("POST /endorsement/exams/registrations/<int:registration_id>/result", owners=OWN3,
          args={"registration_id": "registration"}, coordinator=(400, 400, 404), admin=400),
    route("POST /endorsement/renewal/<int:endorsement_id>/reinstate", owners=OWN3,
          args={"endorsement_id": "endorsement"}, coordinator=(302, 302, 404), admin=302),
    route("GET /competencies/readiness", owners=ASSOC2, query="association={association}",
          reviewer=(200, 404), coordinator=(200, 404), admin=200),
    route("GET /competencies/readiness.csv", owners=ASSOC2, query="association={association}",
          reviewer=(200, 404), coordinator=(200, 404), admin=200),
    route("GET /competencies/clinicians/<int:user_id>/readiness", owners=PERSON4,
          args={"user_id": "clinician"}, others=404,
          clinician=(200, 404, 404, 404), agency_manager=(200, 404, 404, 200),
          reviewer=(200, 200, 404, 200), coordinator=(200, 200, 404, 200), admin=200),
    route("GET /competencies/staff", owners=ASSOC2, query="association={association}",
          agency_manager=(200, 404)),
    route("GET /competencies/staff.csv", owners=ASSOC2, query="association={association}",
          agency_manager=(200, 404)),
    # --- competencies: frameworks and rule sets -----------------------------------------------
    route("GET /competencies/frameworks", others=200),
    route("GET /competencies/frameworks/<int:framework_id>", owners=SHARED3,
          args={"framework_id": "framework"}, others=(200, 404, 200), admin=200),
    route("GET /competencies/frameworks/<int:framework_id>/export.<any(json, yaml, csv):fmt>",
          owners=SHARED3, args={"framework_id": "framework", "fmt": "framework_format"},
          others=(200, 404, 200), admin=200),
    # Only admins edit a framework shared by every association.
    route("GET /competencies/frameworks/<int:framework_id>/areas/<area_idnumber>",
          owners=SHARED3, args={"framework_id": "framework", "area_idnumber": "area"},
          reviewer=(200, 404, 403), coordinator=(200, 404, 403), admin=200),
    route("POST /competencies/frameworks/<int:framework_id>/areas/<area_idnumber>",
          owners=SHARED3, args={"framework_id": "framework", "area_idnumber": "area"},
          reviewer=(400, 404, 403), coordinator=(400, 404, 403), admin=400),
    route("GET /competencies/frameworks/import", reviewer=200, coordinator=200, admin=200),
    route("GET /competencies/frameworks/import/template.csv",
          reviewer=200, coordinator=200, admin=200),
    route("GET /competencies/documents/<code>", args={"code": "document"}, others=200),
    route("POST /competencies/frameworks/import", reviewer=400, coordinator=400, admin=400),
    route("GET /competencies/rules", coordinator=200, admin=200),
    route("GET /competencies/rules/<int:rule_set_id>", owners=SHARED3,
          args={"rule_set_id": "rule_set"}, coordinator=(200, 404, 200), admin=200),
    route("GET /competencies/rules/<int:rule_set_id>/export.<any(json, yaml):fmt>",
          owners=SHARED3, args={"rule_set_id": "rule_set", "fmt": "rule_set_format"},
          coordinator=(200, 404, 200), admin=200),
    route("GET /competencies/rules/upload", coordinator=200, admin=200),
    route("POST /competencies/rules/upload", coordinator=400, admin=400),
    # --- endorsement: the addresses it had in competencies redirect to its own ---------------
    public("GET /registry", 301),
    public("GET /rate/<token>", 301, owners=TOKEN2, args={"token": "reference"}),
    public("POST /rate/<token>", 308, owners=TOKEN2, args={"token": "reference"}),
    public("GET /competencies/applications/mine", 301),
    public("GET /competencies/applications/<int:application_id>", 301),
    public("GET /competencies/applications/<int:application_id>/files/<key>", 301,
           args={"key": "file_key"}),
    public("GET /competencies/pathways/<int:pathway_id>/apply", 301),
    public("GET /competencies/pathways/<int:pathway_id>/references", 301),
    public("GET /competencies/reviews", 301),
    public("GET /competencies/reviews/<int:review_id>", 301),
    public("GET /competencies/exams", 301),
    public("GET /competencies/renewal", 301),
    public("GET /competencies/workflow", 301),
    public("GET /competencies/workflow.csv", 301),
    public("GET /competencies/workflow/readiness.csv", 301),
    # --- courses ------------------------------------------------------------------------------
    route("GET /courses/", others=200),
    route("GET /courses/trainings/<int:training_id>", owners=OWN3,
          others=(200, 200, 404), admin=200),
    route("GET /courses/trainings/new", trainer=200, coordinator=200, admin=200),
    route("POST /courses/trainings/new", trainer=400, coordinator=400, admin=400),
    # Trainers manage, record and verify for their own trainings only: another trainer's is 403.
    route("GET /courses/trainings/<int:training_id>/edit", owners=OWN3,
          trainer=(200, 403, 404), coordinator=(200, 200, 404), admin=200),
    route("POST /courses/trainings/<int:training_id>/edit", owners=OWN3,
          trainer=(400, 403, 404), coordinator=(400, 400, 404), admin=400),
    route("GET /courses/trainings/<int:training_id>/sessions/new", owners=OWN3,
          trainer=(200, 403, 404), coordinator=(200, 200, 404), admin=200),
    route("POST /courses/trainings/<int:training_id>/sessions/new", owners=OWN3,
          trainer=(400, 403, 404), coordinator=(400, 400, 404), admin=400),
    route("GET /courses/sessions/<int:session_id>/roster", owners=OWN3,
          args={"session_id": "course_session"},
          trainer=(200, 403, 404), coordinator=(200, 200, 404), admin=200),
    route("POST /courses/sessions/<int:session_id>/roster", owners=OWN3,
          args={"session_id": "course_session"}, form={"attendee": "{clinician}"},
          trainer=(302, 403, 404), coordinator=(302, 302, 404), admin=302),
    route("GET /courses/import", trainer=200, coordinator=200, admin=200),
    route("GET /courses/import/template.csv", trainer=200, coordinator=200, admin=200),
    # Only the person whose import started a job sees it; a job nobody started is 404 for all.
    route("GET /courses/import/jobs/<job_id>", args={"job_id": "import_job"},
          trainer=404, coordinator=404, admin=404),
    route("POST /courses/import", trainer=400, coordinator=400, admin=400),
    route("POST /courses/import/<token>", args={"token": "import_token"},
          trainer=302, coordinator=302, admin=302),
    # Resuming a kept preview: only one's own; none kept under this token, so back to the form.
    route("GET /courses/import/<token>", args={"token": "import_token"},
          trainer=302, coordinator=302, admin=302),
    route("GET /courses/report", clinician=200),
    route("POST /courses/report", clinician=400),
    route("GET /courses/verify", trainer=200, coordinator=200, admin=200),
    route("POST /courses/completions/<int:completion_id>/decide", owners=OWN3,
          args={"completion_id": "self_report"}, form={"decision": "verify"},
          trainer=(302, 403, 404), coordinator=(302, 302, 404), admin=302),
    route("GET /courses/completions/<int:completion_id>/certificate", owners=OWN3,
          args={"completion_id": "self_report"}, others=404,
          clinician=(200, 404, 404), trainer=(200, 404, 404),
          coordinator=(200, 200, 404), admin=200),
    route("GET /courses/completions/<int:completion_id>/correct", owners=OWN3,
          trainer=(200, 403, 404), coordinator=(200, 200, 404), admin=200),
    route("POST /courses/completions/<int:completion_id>/correct", owners=OWN3,
          trainer=(400, 403, 404), coordinator=(400, 400, 404), admin=400),
    route("POST /courses/completions/<int:completion_id>/void", owners=OWN3,
          trainer=(400, 403, 404), coordinator=(400, 400, 404), admin=400),
    route("GET /courses/my-lms-accounts", clinician=200),
    route("GET /courses/lms-accounts/template.csv", coordinator=200, admin=200),
    route("GET /courses/lms-accounts", owners=ASSOC2, query="association={association}",
          coordinator=(200, 404), admin=200),
    route("POST /courses/lms-accounts", owners=ASSOC2, query="association={association}",
          coordinator=(400, 404), admin=400),
    route("POST /courses/lms-accounts/import", owners=ASSOC2,
          query="association={association}", coordinator=(400, 404), admin=400),
    route("POST /courses/lms-accounts/<int:account_id>/unlink", owners=OWN3,
          args={"account_id": "lms_account"}, others=404,
          clinician=(302, 404, 404), coordinator=(302, 302, 404), admin=302),
    route("GET /courses/transcript", clinician=200),
    route("GET /courses/transcript.csv", clinician=200),
    # Staff transcripts (a clinician reads theirs at /courses/transcript); the dual clinician's
    # shows only what the reader's association holds.
    route("GET /courses/clinicians/<int:clinician_id>/transcript", owners=PERSON4,
          args={"clinician_id": "clinician"}, others=404,
          reviewer=(200, 200, 404, 200), coordinator=(200, 200, 404, 200), admin=200),
    route("GET /courses/clinicians/<int:clinician_id>/transcript.csv", owners=PERSON4,
          args={"clinician_id": "clinician"}, others=404,
          reviewer=(200, 200, 404, 200), coordinator=(200, 200, 404, 200), admin=200),
    # --- supervision --------------------------------------------------------------------------
    route("GET /supervision/", clinician=200),
    route("GET /supervision/sessions/new", clinician=200),
    route("POST /supervision/sessions/new", clinician=400),
    route("GET /supervision/sessions/<int:session_id>", owners=OWN3,
          args={"session_id": "rsc_session"}, clinician=(200, 404, 404)),
    route("POST /supervision/sessions/<int:session_id>", owners=OWN3,
          args={"session_id": "rsc_session"}, clinician=(400, 404, 404)),
    route("POST /supervision/sessions/<int:session_id>/remind", owners=OWN3,
          args={"session_id": "rsc_session"}, clinician=(302, 404, 404)),
    route("POST /supervision/sessions/<int:session_id>/withdraw", owners=OWN3,
          args={"session_id": "rsc_session"}, clinician=(302, 404, 404)),
    route("GET /supervision/provider", rsc_provider=200),
    # Another provider's session: the service refuses (400, with the reason), signs nothing.
    route("POST /supervision/provider/attest", owners=OWN3,
          form={"sessions": "{rsc_session}", "password": PASSWORD},
          rsc_provider=(302, 400, 404)),
    route("POST /supervision/provider/sessions/<int:session_id>/reject", owners=OWN3,
          args={"session_id": "rsc_session"}, form={"reason": "Not my session"},
          rsc_provider=(302, 400, 404)),
    route("GET /supervision/provider/enter", rsc_provider=200),
    route("POST /supervision/provider/enter", rsc_provider=400),
    route("GET /supervision/providers", coordinator=200, admin=200),
    route("GET /supervision/providers/<int:user_id>", owners=OWN3,
          args={"user_id": "rsc_provider"}, query="association={association}",
          coordinator=(200, 200, 404), admin=200),
    route("POST /supervision/providers/<int:user_id>", owners=OWN3,
          args={"user_id": "rsc_provider"}, query="association={association}",
          coordinator=(400, 400, 404), admin=400),
    route("POST /supervision/credentials/<int:credential_id>/revoke", owners=OWN3,
          args={"credential_id": "credential"}, coordinator=(302, 302, 404), admin=302),
    # --- certificates -------------------------------------------------------------------------
    route("GET /certificates/", others=200),
    route("POST /certificates/progress", clinician=400),
    route("POST /certificates/transcript", clinician=302),
    route("GET /certificates/<int:cert_id>/pdf", owners=OWN3,
          args={"cert_id": "completion_cert"}, others=404,
          clinician=(200, 404, 404), trainer=(200, 404, 404),
          coordinator=(200, 200, 404), admin=200),
    route("GET /certificates/<int:cert_id>/credential.json", owners=OWN3,
          args={"cert_id": "endorsement_cert"}, others=404,
          clinician=(200, 404, 404), coordinator=(200, 200, 404), admin=200),
    route("GET /certificates/completions", trainer=200),
    route("POST /certificates/completions/<int:evidence_id>", owners=OWN3,
          args={"evidence_id": "training_evidence"}, trainer=(302, 404, 404)),
    route("GET /certificates/manage", coordinator=200, admin=200),
    route("GET /certificates/manage/zip", query=ZIP_QUERY, coordinator=200, admin=200),
    route("POST /certificates/endorsements/<int:endorsement_id>", owners=OWN3,
          args={"endorsement_id": "endorsement"}, coordinator=(302, 302, 404), admin=302),
    route("GET /certificates/<int:cert_id>/revoke", owners=OWN3,
          args={"cert_id": "endorsement_cert"}, coordinator=(200, 200, 404), admin=200),
    route("POST /certificates/<int:cert_id>/revoke", owners=OWN3,
          args={"cert_id": "endorsement_cert"}, coordinator=(400, 400, 404), admin=400),
    # Suspension (issue 19): like revoking; POST without a reason is a form error, reinstating
    # a certificate that is not suspended is refused with a message (302 back to the list).
    route("GET /certificates/<int:cert_id>/suspend", owners=OWN3,
          args={"cert_id": "endorsement_cert"}, coordinator=(200, 200, 404), admin=200),
    route("POST /certificates/<int:cert_id>/suspend", owners=OWN3,
          args={"cert_id": "endorsement_cert"}, coordinator=(400, 400, 404), admin=400),
    route("POST /certificates/<int:cert_id>/reinstate", owners=OWN3,
          args={"cert_id": "endorsement_cert"}, coordinator=(302, 302, 404), admin=302),
    # --- lti: coordinators register platforms; the platform and its iframe call the rest -------
    route("GET /lti/platforms", coordinator=200, admin=200),
    route("GET /lti/platforms/new", coordinator=200, admin=200),
    route("POST /lti/platforms/new", coordinator=400, admin=400),
    public("GET /lti/<code>/jwks", (200, 404), owners=TOKEN2, args={"code": "association_code"}),
    # Without the platform's parameters (or id_token) nothing is a login or a launch: 400.
    public("GET /lti/<code>/login", (400, 404), owners=TOKEN2,
           args={"code": "association_code"}),
    public("POST /lti/<code>/login", (400, 404), owners=TOKEN2,
           args={"code": "association_code"}),
    public("POST /lti/<code>/launch", (400, 404), owners=TOKEN2,
           args={"code": "association_code"}),
    # Pages inside the iframe act for the launch their launch id names; none named: 404.
    public("POST /lti/connect", 404),
    public("POST /lti/deep-link", 404),
    public("POST /lti/roster", 404),
    # --- public verification ------------------------------------------------------------------
    public("GET /verify", 200),
    public("POST /verify", 400),
    public("GET /verify/<code>", (200, 404), owners=TOKEN2, args={"code": "cert_code"}),
    public("POST /verify/<code>", (400, 404), owners=TOKEN2, args={"code": "cert_code"}),
    public("GET /verify/issuers/<assoc_code>", (200, 404), owners=TOKEN2,
           args={"assoc_code": "association_code"}),
    public("GET /verify/issuers/<assoc_code>/revocations", (200, 404), owners=TOKEN2,
           args={"assoc_code": "association_code"}),
    # Open Badges 3.0 (issue 19): the issuer's DID document, its signed status list, the badge
    # image and each endorsement's signed credential are public, like the verify page.
    public("GET /verify/issuers/<assoc_code>/did.json", (200, 404), owners=TOKEN2,
           args={"assoc_code": "association_code"}),
    public("GET /verify/issuers/<assoc_code>/status/revocation", (200, 404), owners=TOKEN2,
           args={"assoc_code": "association_code"}),
    public("GET /verify/issuers/<assoc_code>/status/suspension", (200, 404), owners=TOKEN2,
           args={"assoc_code": "association_code"}),
    public("GET /verify/issuers/<assoc_code>/achievements/<category>/image.<ext>", (200, 404),
           owners=TOKEN2, args={"assoc_code": "association_code", "ext": "image_ext"}),
    public("GET /verify/<code>/credential.<ext>", (200, 404), owners=TOKEN2,
           args={"code": "cert_code", "ext": "credential_ext"}),
)
# fmt: on

CONSTANTS = {
    "evidence_kind": "work",
    "framework_format": "json",
    "rule_set_format": "yaml",
    "import_token": "0123456789abcdef0123456789abcdef",
    "new_name": "Renamed",
    "category": "IMHS",
    "image_ext": "png",
    "credential_ext": "json",
}


# --- the data: two associations, three worlds of people and their records ---------------------

DAYS = dt.timedelta


def _people(tag: str, association, agency) -> dict[str, Any]:
    """Create one person per role of a world; names and emails carry the world's tag."""
    from lms.accounts import create_user

    return {
        role: create_user(
            f"{role}.{tag}@matrix.test",
            f"{role.replace('_', ' ').title()} {tag.upper()}",
            roles=(role,),
            association=association,
            agency=agency,
            password=PASSWORD,
        )
        for role in WORLD_ROLES
    }


def _competency_records(people: dict[str, Any], association, coordinator) -> dict[str, Any]:
    """Endorse the reviewer and the clinician; start two pathways; enter pending evidence."""
    from competencies import evidence_documents, ledger
    from competencies.endorsements import record_endorsement
    from competencies.pathways import declare_goal
    from lms.uploads import Upload

    clinician = people["clinician"]
    record_endorsement(people["reviewer"], association, "IMHS", TODAY, actor=coordinator)
    endorsement = record_endorsement(clinician, association, "IMHS", TODAY, actor=coordinator)
    pending = ledger.record(
        clinician=clinician,
        association=association,
        kind="work",
        occurred_on=TODAY - DAYS(100),
        status="pending",
        source="self",
        details={"years": 1.0, "kind": "paid", "families": 10},
        label="Home visiting",
        actor=clinician,
    )
    letter = Upload(b"%PDF-1.4\n%work letter\n", "application/pdf", "letter.pdf")
    return {
        "endorsement": endorsement.id,
        "endorsement_cert": _endorsement_cert(endorsement),
        "pending_evidence": pending.id,
        "evidence_document": evidence_documents.attach(clinician, pending.id, letter).id,
        "pathway": declare_goal(clinician, association, "IFA", TODAY - DAYS(200)),
        "exam_pathway": declare_goal(clinician, association, "IFS", TODAY - DAYS(200)),
    }


def _report(clinician, training, days_ago: int, name: str):
    """Report the clinician's own training with a (tiny) PDF certificate; it waits, pending."""
    from courses import self_reports
    from lms.permissions import actor_for

    return self_reports.report_training(
        actor_for(clinician),
        training=training,
        title="",
        provider="",
        completed_on=TODAY - DAYS(days_ago),
        hours=3,
        areas=[],
        certificate=f"%PDF-1.4\n%{name}\n".encode(),
        filename=f"{name}.pdf",
        content_type="application/pdf",
    )


def _course_records(tag: str, people: dict[str, Any], association) -> dict[str, Any]:
    """The trainer's training and session, completions recorded and reported, their files."""
    from certificates import issuing
    from competencies.models import Evidence
    from courses import completions, lms_accounts, trainings
    from lms.permissions import actor_for

    clinician, trainer = people["clinician"], actor_for(people["trainer"])
    values = {
        "code": f"MX-{tag.upper()}",
        "title": f"Matrix training {tag}",
        "format": "in_service",
        "hours": 3,
        "areas": {"TF-DEV": None},
        "activity_iri": f"https://lms.matrix.test/{tag}",
    }
    training = trainings.save_training(trainer, association, values)
    session = trainings.add_session(trainer, training, starts_on=TODAY - DAYS(10), location="Hall")
    completion, _ = completions.record_completion(
        trainer,
        clinician=clinician,
        training=training,
        completed_on=TODAY - DAYS(10),
        source="roster",
        session=session,
    )
    completions.record_completion(
        trainer,
        clinician=clinician,
        training=training,
        completed_on=TODAY - DAYS(50),
        source="api",
        external_id=f"ext-{tag}",
    )
    verified = _report(clinician, training, 40, "verified")
    completions.decide(trainer, verified, accept=True)  # its file is behind the application
    account, _ = lms_accounts.link_from_lms(
        association, clinician, "https://lms.matrix.test", f"learner-{tag}"
    )
    evidence = Evidence.get_by_id(completion.evidence_id)
    return {
        "training": training.id,
        "training_code": training.code,
        "training_iri": training.activity_iri,
        "course_session": session.id,
        "completion": completion.id,
        "training_evidence": completion.evidence_id,
        "completion_cert": issuing.issue_completion(evidence, actor=trainer).id,
        "external_id": f"ext-{tag}",
        "self_report": _report(clinician, training, 30, "pending").id,
        "file_key": f"courses-certificate-{verified.files.get().id}",
        "lms_account": account.id,
    }


def _supervision_records(people: dict[str, Any], association, coordinator) -> dict[str, Any]:
    """The provider's credential and a pending session the clinician logged with them."""
    from supervision import credentials, rules
    from supervision import services as supervision

    provider = people["rsc_provider"]
    credential = credentials.record_credential(
        provider, association, "IMHS", TODAY - DAYS(2000), actor=coordinator
    )
    session = supervision.log_session(
        people["clinician"],
        association,
        provider,
        rules.SessionInput(TODAY - DAYS(10), 1.5, "individual"),
    )
    return {"credential": credential.id, "rsc_session": session.id}


def _workflow_records(tag: str, people: dict[str, Any], pathways, coordinator) -> dict[str, Any]:
    """A reference link; an application under review by the reviewer; one registered for exam."""
    from endorsement import applications, exams, references, reviews

    clinician = people["clinician"]
    pathway, exam_pathway = pathways
    reference = references.ask(
        pathway,
        email=f"rater.{tag}@matrix.test",
        name="Rita Rater",
        role="supervisor",
        actor=clinician,
    )
    signed = {"code_of_ethics", "endorsement_agreement"}
    application = applications.submit(pathway, actor=clinician, signed=signed, apply_anyway=True)
    review = reviews.assign(application, people["reviewer"], actor=coordinator)
    for_exam = applications.submit(exam_pathway, actor=clinician, signed=signed, apply_anyway=True)
    for step in ("under_review", "approved_for_exam"):
        applications.transition(for_exam, step, actor=coordinator, role="coordinator")
    sitting = exams.create_sitting(
        pathway.association,
        held_on=TODAY + DAYS(30),
        location="Hall",
        capacity=10,
        actor=coordinator,
    )
    return {
        "reference_token": reference.token,
        "application": application.id,
        "review": review.id,
        "sitting": sitting.id,
        "registration": exams.register(for_exam, sitting, actor=coordinator).id,
    }


def _world(tag: str, association, agency, coordinator) -> dict[str, Any]:
    """Create the people of one world and one record of every kind they own."""
    from lms.accounts import create_api_token

    people = _people(tag, association, agency)
    clinician = people["clinician"]
    world = {
        "people": people,
        "tokens": {
            role: create_api_token(
                user, role=role, association=association, name="matrix", password=PASSWORD
            )
            for role, user in people.items()
        },
        "association": association.id,
        "association_code": association.code,
        "clinician": clinician.id,
        "clinician_email": clinician.email,
        "member": clinician.id,
        "rsc_provider": people["rsc_provider"].id,
    }
    world["api_token"] = world["tokens"]["clinician"].record.id
    world.update(_competency_records(people, association, coordinator))
    world.update(_course_records(tag, people, association))
    world.update(_supervision_records(people, association, coordinator))
    pathways = world.pop("pathway"), world.pop("exam_pathway")
    world.update(_workflow_records(tag, people, pathways, coordinator))
    world["pathway"] = pathways[0].id
    world["document"] = "code_of_ethics"  # our own summary page of a document one signs
    world["import_job"] = "0123456789abcdef01234567"  # a job id nobody started
    return world


def _endorsement_cert(endorsement) -> int:
    """Return the certificate issued when the endorsement was recorded."""
    from certificates.models import IssuedCertificate

    return IssuedCertificate.get(
        (IssuedCertificate.kind == "endorsement")
        & (IssuedCertificate.source_ref == f"endorsement:{endorsement.id}")
    ).id


def _association(code: str, name: str):
    """Create an association with its own framework, a rule set not yet in force, two agencies."""
    from competencies import rules
    from competencies.frameworks import save_framework
    from competencies.frameworks_io import demo_framework
    from competencies.rulesets import save_rule_set
    from lms.models import Agency, Association

    association = Association.create(code=code, name=name)
    framework = save_framework(demo_framework(), association=association)
    document = rules.default_rule_sets()[0].to_dict()
    document.update(version=f"matrix-{code}", effective=f"{TODAY.year + 2}-01-01")
    rule_set = save_rule_set(document, association=association)
    agencies = [Agency.create(association=association, name=f"{code} agency {i}") for i in (1, 2)]
    return association, framework, rule_set, agencies


def build_fixture() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Build both associations and return (actors, objects by owner)."""
    from competencies.frameworks import area_infos
    from competencies.rulesets import install_defaults
    from lms.accounts import create_user, invite

    shared_rules = install_defaults()
    shared = {"framework": shared_rules[0].framework_id, "rule_set": shared_rules[0].id}
    a, a_framework, a_rules, (a1, a2) = _association("MXA", "Matrix Alpha Association")
    b, b_framework, b_rules, (b1, _) = _association("MXZ", "Matrix Zulu Association")
    coordinator_a = create_user(
        "coordinator.a@matrix.test",
        "Cora A",
        roles=("coordinator",),
        association=a,
        password=PASSWORD,
    )
    coordinator_b = create_user(
        "coordinator.zulu@matrix.test",
        "Cora Zulu",
        roles=("coordinator",),
        association=b,
        password=PASSWORD,
    )
    admin = create_user("admin@matrix.test", "Ada Admin", roles=("admin",), password=PASSWORD)
    own = _world("own", a, a1, coordinator_a)
    same = _world("peer", a, a2, coordinator_a)
    other = _world("zulu", b, b1, coordinator_b)
    area = area_infos(a_framework)[0].id
    own.update(framework=a_framework.id, rule_set=a_rules.id, area=area)
    same.update(framework=a_framework.id, rule_set=a_rules.id, area=area)
    other.update(framework=b_framework.id, rule_set=b_rules.id, area=area)
    shared["area"] = area
    actors = _actors(own, coordinator_a, admin)
    invited = create_user("invitee@matrix.test", "Ivy Invitee", association=a)
    objects = {
        "own": own,
        "same": same,
        "other": other,
        "shared": shared,
        "cross": {
            "association": a.id,
            "member": other["member"],
            "application": own["application"],
            "file_key": other["file_key"],
        },
        "dual": _dual(a, a1, b, other),
        "dual_roles": {},  # filled below: the dual person, edited without renaming
        "valid": {
            "invitation": invite(invited).token,
            "reference": own["reference_token"],
            "cert_code": _code(own["endorsement_cert"]),
            "association_code": a.code,
        },
        "unknown": {
            "invitation": "no-such-invitation",
            "reference": "no-such-reference",
            "cert_code": "0000-0000-0000-0000",
            "association_code": "NOPE",
        },
    }
    objects["dual_roles"] = dict(objects["dual"], new_name="Dana Dual")
    for values in objects.values():
        for key, value in CONSTANTS.items():
            values.setdefault(key, value)
    return actors, objects


def _actors(own: dict[str, Any], coordinator, admin) -> dict[str, Any]:
    """Return the acting users and their API tokens; own["api_token"] becomes each one's own."""
    from lms.accounts import create_api_token
    from lms.models import ApiToken, Association

    owner_tokens = {role: t.record.id for role, t in own["tokens"].items()}
    tokens = {role: t.secret for role, t in own["tokens"].items()}
    for role, user in (("coordinator", coordinator), ("admin", admin)):
        where = None if role == "admin" else Association.get_by_id(own["association"])
        issued = create_api_token(
            user, role=role, association=where, name="matrix", password=PASSWORD
        )
        tokens[role], owner_tokens[role] = issued.secret, issued.record.id
    own["api_token"] = owner_tokens
    # No token use may write (its last-use stamp would count as a write of a refused request).
    ApiToken.update(last_used_at=dt.datetime(2999, 1, 1)).execute()
    return {"users": dict(own["people"], coordinator=coordinator, admin=admin), "tokens": tokens}


def _dual(a, agency, b, other: dict[str, Any]) -> dict[str, Any]:
    """A clinician of both associations (A's own agency) with a pathway and a training in B."""
    from competencies.pathways import declare_goal
    from courses import completions
    from courses.models import Training
    from lms.accounts import create_user, set_roles
    from lms.permissions import actor_for

    dual = create_user("dual@matrix.test", "Dana Dual", association=a, agency=agency)
    set_roles(dual, b, ["clinician"])
    declare_goal(dual, a, "IFA", TODAY - DAYS(100))
    declare_goal(dual, b, "IFS", TODAY - DAYS(100))
    completions.record_completion(
        actor_for(other["people"]["trainer"]),
        clinician=dual,
        training=Training.get_by_id(other["training"]),
        completed_on=TODAY - DAYS(5),
        source="roster",
    )
    return {"clinician": dual.id, "member": dual.id, "association": a.id}


def _code(cert_id: int) -> str:
    from certificates.codes import display
    from certificates.models import IssuedCertificate

    return display(IssuedCertificate.get_by_id(cert_id).code)


# --- walking the table ------------------------------------------------------------------------

CONVERTER = re.compile(r"<(?:[^<>]*:)?(\w+)>")


@dataclass(frozen=True)
class Check:
    """One request of the matrix and what came back."""

    route: str
    who: str
    owner: str
    expected: Outcome
    actual: Outcome
    wrote: bool
    may_write: bool = False  # signing out writes and answers with the sign-in page
    leaked: str = ""  # what of another association (or clinician) the answer showed

    @property
    def refused(self) -> bool:
        return self.actual == LOGIN or (isinstance(self.actual, int) and self.actual >= 400)

    @property
    def ok(self) -> bool:
        return (
            self.actual == self.expected
            and not (self.refused and self.wrote and not self.may_write)
            and not self.leaked
        )


def _pick(value: Any, role: str) -> Any:
    """Return a value of the table's objects; some differ per acting role (their own token)."""
    if isinstance(value, dict):
        return value.get(role, value["clinician"])
    return value


def _key(name: str, entry: Entry, values: dict[str, Any]) -> str:
    """Return the object a URL variable names: `args`, else `training_id` -> `training`."""
    if name in entry.args:
        return entry.args[name]
    return name[:-3] if name.endswith("_id") and name[:-3] in values else name


def build_url(entry: Entry, values: dict[str, Any], role: str) -> str:
    """Return the address of the entry's route about one owner's objects."""
    path = CONVERTER.sub(
        lambda m: str(_pick(values[_key(m.group(1), entry, values)], role)), entry.rule
    )
    return f"{path}?{entry.query.format_map(values)}" if entry.query else path


def _fill(value: Any, values: dict[str, Any]) -> Any:
    return value.format_map(values) if isinstance(value, str) else value


def _writes() -> Any:
    """Return a marker that changes once the connection writes anything, even if rolled back.

    PostgreSQL gives a transaction an id at its first write, so it is None before one.
    """
    if is_sqlite():
        return db.execute_sql("SELECT total_changes()").fetchone()[0]
    return db.execute_sql("SELECT txid_current_if_assigned()").fetchone()[0]


class _Undo(Exception):
    """Raised to leave a request's transaction by rolling it back."""


def outcome_of(response) -> Outcome:
    """Return the status, or LOGIN for a redirect to the sign-in page."""
    if response.status_code in (301, 302, 303) and response.location:
        if re.match(r"^(https?://[^/]+)?/login(\?|$)", response.location):
            return LOGIN
    return response.status_code


def call(client, method: str, url: str, **kwargs: Any) -> tuple[Outcome, bool, str]:
    """Send one request inside a transaction that is rolled back; tell whether it wrote."""
    try:
        with db.atomic():
            before = _writes() if is_sqlite() else None  # a new transaction has no id yet
            response = client.open(url, method=method, **kwargs)
            body = response.get_data()  # a streamed body runs inside the transaction too
            wrote = _writes() != before
            response.close()
            raise _Undo
    except _Undo:
        pass
    return outcome_of(response), wrote, readable_text(response.mimetype, body).lower()


def readable_text(mimetype: str, body: bytes) -> str:
    """Return what a person reads in an answer: a PDF's text, a ZIP's names and contents.

    Compressed bytes are no text: searched as they come, they spell a marker now and then.
    The files clinicians upload here are stand-ins, not PDFs: those are read as they are.
    """
    if mimetype == "application/pdf":
        try:
            return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
        except PdfReadError:
            pass
    if mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            parts = []
            for member in archive.infolist():
                kind = "application/pdf" if member.filename.endswith(".pdf") else "text/plain"
                parts += [member.filename, readable_text(kind, archive.read(member))]
        return "\n".join(parts)
    return body.decode("utf-8", "ignore")


def leaks(entry: Entry, role: str, actual: Outcome, text: str) -> str:
    """Return the first marker of another association (or clinician) a page showed."""
    if entry.public or actual != 200 or role in ("anonymous", "admin"):
        return ""
    found = FOREIGN.search(text) or (PEER.search(text) if role in PEER_ROLES else None)
    return found.group(0) if found else ""


def _clone(app, client):
    """Return a new client holding the same session cookie (for a request that signs out)."""
    copy = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    if cookie is not None:
        copy.set_cookie(name, cookie.value, domain=cookie.domain, path=cookie.path)
    return copy


def sign_in(app, users: dict[str, Any]) -> dict[str, Any]:
    """Return a test client per role, signed in (and one for anonymous visitors)."""
    clients = {"anonymous": app.test_client()}
    for role, user in users.items():
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, f"{role} cannot sign in"
        clients[role] = client
    return clients


def _credentials(entry: Entry, role: str, index: int, clients, tokens) -> list[tuple]:
    """Return (who, client, headers, expected) for one role: on the API, token and cookie."""
    expected = entry.expect[role][index]
    if not entry.is_api or role == "anonymous":
        return [(role, clients[role], {}, expected)]
    token = {"Authorization": f"Bearer {tokens[role]}"}
    runs = [(f"{role} (token)", clients["anonymous"], token, expected)]
    if role in COOKIE_ROLES:  # a session cookie is no credential on the API: as good as none
        runs.append((f"{role} (cookie)", clients[role], {}, entry.expect["anonymous"][index]))
    return runs


def _request(entry: Entry, values: dict[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments of the test client for this entry and owner."""
    kwargs: dict[str, Any] = {"headers": dict(entry.headers)}
    if entry.form is not None:
        kwargs["data"] = {k: _fill(v, values) for k, v in entry.form.items()}
    if entry.body is not None:
        kwargs["json"] = entry.body(values)
    return kwargs


def run_matrix(app, actors: dict[str, Any], objects: dict[str, dict[str, Any]]) -> list[Check]:
    """Call every route as every role about every owner's object; return what came back."""
    clients = sign_in(app, actors["users"])
    checks: list[Check] = []
    for entry in MATRIX:
        for index, owner in enumerate(entry.owners):
            values = objects[owner or "own"]
            kwargs = _request(entry, values)
            for role in ROLES:
                url = build_url(entry, values, role)
                for who, client, headers, want in _credentials(
                    entry, role, index, clients, actors["tokens"]
                ):
                    if entry.signs_out:
                        client = _clone(app, client)
                    options = dict(kwargs, headers={**kwargs["headers"], **headers})
                    actual, wrote, text = call(client, entry.method, url, **options)
                    checks.append(
                        Check(
                            entry.key,
                            who,
                            owner or "-",
                            want,
                            actual,
                            wrote,
                            may_write=entry.signs_out and role != "anonymous",
                            leaked=leaks(entry, role, actual, text),
                        )
                    )
    checks.extend(_not_allowed(app, clients["anonymous"]))
    return checks


def _not_allowed(app, client) -> list[Check]:
    """GET on an address that only takes other methods answers 405 and changes nothing."""
    methods: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in SKIPPED_ENDPOINTS:
            methods.setdefault(rule.rule, set()).update(rule.methods or ())
    checks = []
    for rule, allowed in sorted(methods.items()):
        if "GET" in allowed:
            continue
        url = CONVERTER.sub("1", rule)  # any id: the method is refused first
        actual, wrote, _ = call(client, "GET", url)
        checks.append(Check(f"GET {rule}", "anonymous", "-", 405, actual, wrote))
    return checks


def table(checks: list[Check]) -> str:
    """Return one line per check: route, role, owner, expected, actual (and what went wrong)."""
    width = max((len(c.route) for c in checks), default=10)
    lines = [f"{'route':{width}}  {'role':24}  {'owner':7}  {'expected':8}  actual"]
    for c in checks:
        flag = "" if c.ok else "   <-- WRONG" + (" (wrote)" if c.refused and c.wrote else "")
        flag += f" (shows {c.leaked!r})" if c.leaked else ""
        lines.append(
            f"{c.route:{width}}  {c.who:24}  {c.owner:7}  {c.expected!s:8}  {c.actual!s}{flag}"
        )
    return "\n".join(lines)


def matrix_view(checks: list[Check]) -> str:
    """Return the matrix: one line per route, owner and credential, one column per role.

    A cell is the answer; "!" marks one that differs from the table (or wrote, or leaked).
    On the API the role's line is its token; the "cookie" line is the role signed in without one.
    """
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for c in checks:
        role, _, via = c.who.partition(" (")
        via = via.rstrip(")") or ("token" if c.route.split(" ")[1].startswith(API) else "")
        cells = rows.setdefault((c.route, c.owner, via), {})
        cells[role] = f"{c.actual}{'' if c.ok else '!'}"
    width = max(len(route) for route, _, _ in rows)
    head = f"{'route':{width}}  {'owner':6} {'via':6}" + "".join(f" {r:>14}" for r in ROLES)
    lines = [head]
    for (route, owner, via), cells in rows.items():
        line = f"{route:{width}}  {owner:6} {via:6}"
        lines.append((line + "".join(f" {cells.get(r, ''):>14}" for r in ROLES)).rstrip())
    notes = [f"{e.key}: {e.note}" for e in MATRIX if e.note]
    return "\n".join([*lines, "", "Notes:", *notes] if notes else lines)


# --- the tests --------------------------------------------------------------------------------


def routes_of(app) -> set[str]:
    """Return "METHOD rule" of every route of the app (files and HEAD/OPTIONS left out)."""
    keys = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            keys.add(f"{method} {rule.rule}")
    return keys


def test_every_route_has_an_expectation(app):
    routes = routes_of(app)
    listed = [e.key for e in MATRIX]
    missing = sorted(routes - set(listed))
    stale = sorted(set(listed) - routes)
    twice = sorted({k for k in listed if listed.count(k) > 1})
    hint = "Routes without a line in MATRIX (add what each role gets):\n"
    assert not missing, hint + "\n".join(missing)
    assert not stale, "MATRIX lines for routes the app does not have:\n" + "\n".join(stale)
    assert not twice, "Routes listed twice in MATRIX:\n" + "\n".join(twice)


def test_permission_matrix(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False, PASSWORD_HASH_COST="fast")
    with app.app_context():
        actors, objects = build_fixture()
        checks = run_matrix(app, actors, objects)
    print("\n" + matrix_view(checks))
    wrong = [c for c in checks if not c.ok]
    assert not wrong, f"{len(wrong)} of {len(checks)} answers differ:\n" + table(wrong)
