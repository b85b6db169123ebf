"""The clinician's pages: dashboard, goals, own evidence; the verification queue."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from competencies import entry, evidence_documents, ledger, missing_help, pathways
from competencies.blueprint import bp
from competencies.charts import hours_chart
from competencies.evaluator import missing_tasks
from competencies.explanations import CATEGORY_FOR, DOCUMENTS
from competencies.figures import Headline, headline, percent
from competencies.forms import (
    DOCUMENT_LABELS,
    EDUCATION_LABELS,
    AgreementForm,
    DecisionForm,
    EducationForm,
    GoalForm,
    MembershipForm,
    ReferenceForm,
    WorkForm,
)
from competencies.models import Evidence, Pathway
from competencies.rulesets import bound_rule_set, rule_set_in_force
from competencies.types import Summary
from lms.errors import form_error
from lms.forms import ConfirmForm, choices
from lms.inputs import int_arg, upload_limit
from lms.models import Association, Membership, User
from lms.permissions import acting_association, current_actor, ensure_in_association, require

EVIDENCE_PER_PAGE = 50
SELF_KINDS = {
    "work": (WorkForm, "Work experience"),
    "education": (EducationForm, "Education"),
    "reference": (ReferenceForm, "Reference rating"),
    "membership": (MembershipForm, "Association membership"),
    "agreement": (AgreementForm, "Signed agreement"),
}


# The rows the pathway page loops over are objects, not dicts: a template reads `a.name`
# as an attribute first, and a dict answered each such read with a caught AttributeError
# (about 230 a dashboard).
@dataclass(frozen=True, slots=True)
class GridArea:
    id: str
    name: str
    covered: bool


@dataclass(frozen=True, slots=True)
class GridDomain:
    domain: str
    areas: list[GridArea]
    covered: int
    total: int


@dataclass(frozen=True, slots=True)
class NotCountedRow:
    reason: str
    item: Any


def area_grid(result, summary: Summary, rules) -> list[GridDomain]:
    """Group the category's areas by domain with covered flags, for the grid."""
    domains: dict[str, list[GridArea]] = {}
    for area in rules.areas_for(result.category):
        domains.setdefault(area.domain, []).append(
            GridArea(area.id, area.name, area.id in summary.areas)
        )
    return [GridDomain(d, a, sum(x.covered for x in a), len(a)) for d, a in domains.items()]


def evaluation_view(ev: pathways.Evaluation, as_of: dt.date) -> SimpleNamespace:
    """Return what the dashboard and the clinician readiness page show for one pathway."""
    rules = bound_rule_set(ev.pathway.rule_set)
    labels = {item.id: item for item in ev.summary.items}
    not_counted = [
        NotCountedRow(nc.reason, labels.get(nc.evidence_id)) for nc in ev.result.all_not_counted()
    ]
    missing = missing_tasks(ev.result)
    grid = area_grid(ev.result, ev.summary, rules)
    association_id = getattr(ev.pathway, "association_id", None)
    uncovered = [a.id for d in grid for a in d.areas if not a.covered]
    return SimpleNamespace(
        pathway=ev.pathway,
        result=ev.result,
        leaves=list(ev.result.leaves()),
        grid=grid,
        missing=missing,
        tasks=missing_help.tasks_with_links(
            ev.result, association_id, ev.pathway.id if isinstance(ev.pathway, Pathway) else None
        ),
        area_trainings=missing_help.trainings_for_areas(uncovered, association_id, as_of),
        not_counted=not_counted,
        chart=hours_chart(ev.result, ev.summary, ev.pathway.started_on, as_of),
    )


@bp.app_template_filter("percent")
def percent_filter(result) -> int:
    """Return a result's progress as the whole percentage every page shows (figures.percent)."""
    ready = result.ready if result.ready is not None else result.met
    return percent(result.progress, bool(ready))


@bp.route("/")
@require("competencies:track_own")
def dashboard():
    user = current_actor().user
    association = acting_association("competencies:track_own")
    today = dt.date.today()
    open_ = pathways.open_pathways(user)
    views = [evaluation_view(ev, today) for ev in pathways.evaluate_pathways(open_, today)]
    form = _goal_form(association)
    return render_template(
        "competencies/dashboard.html",
        views=views,
        form=form,
        goal_fields=goal_fields(form) if form.category.choices else None,
        association=association,
        today=today,
        category_hints=CATEGORY_FOR,
    )


GOAL_FIELDS_KEPT = 64  # rendered goal forms an app keeps (one per rule set and day in use)


def goal_fields(form: GoalForm) -> Markup:
    """Return a fresh goal form's fields rendered (competencies/_goal_fields.html).

    They are the same on every dashboard of an association on a day (the dashboard's form has
    no data and no errors), so each app keeps them per choices and start date: rendering them,
    through WTForms, cost as much as the rest of the form's page."""
    kept = current_app.extensions.setdefault("competencies.goal_fields", {})
    key = (repr(form.category.choices), form.started_on.data)  # every choice's every field
    found = kept.get(key)
    if found is None:
        template = current_app.jinja_env.get_template("competencies/_goal_fields.html")
        found = Markup(template.render(form=form, category_hints=CATEGORY_FOR))
        if len(kept) >= GOAL_FIELDS_KEPT:
            kept.clear()
        kept[key] = found
    return found


def _goal_form(association: Association, formdata=None) -> GoalForm:
    form = GoalForm(formdata=formdata) if formdata is not None else GoalForm(formdata=None)
    row = rule_set_in_force(association, dt.date.today())
    rules = bound_rule_set(row) if row else None
    form.category.choices = choices(
        (code, f"{cat.name} ({code})") for code, cat in (rules.categories.items() if rules else ())
    )
    if form.started_on.data is None:
        form.started_on.data = dt.date.today()
    return form


@bp.route("/goals", methods=["POST"])
@require("competencies:track_own")
def declare_goal():
    association = acting_association("competencies:track_own")
    form = _goal_form(association, formdata=request.form)
    if form.validate_on_submit():
        try:
            pathways.declare_goal(
                current_actor().user, association, form.category.data, form.started_on.data
            )
        except pathways.PathwayError as exc:
            field = exc.field if exc.field in ("category", "started_on") else "category"
            getattr(form, field).errors.append(str(exc))
        else:
            flash("Your pathway is started. Here is where you stand.", "success")
            return redirect(url_for("competencies.dashboard"))
    return render_template(
        "competencies/goal_form.html",
        form=form,
        association=association,
        category_hints=CATEGORY_FOR,
    ), 400


@bp.route("/evidence")
@require("competencies:track_own")
def my_evidence():
    user = current_actor().user
    query = Evidence.select().where(Evidence.clinician == user)
    pages = max(math.ceil(query.count() / EVIDENCE_PER_PAGE), 1)
    page = min(int_arg("page", 1), pages)  # past the end: the last
    rows = list(
        query.order_by(Evidence.occurred_on.desc(), Evidence.id.desc()).paginate(
            page, EVIDENCE_PER_PAGE
        )
    )
    return render_template(
        "competencies/evidence_list.html",
        rows=rows,
        kinds=SELF_KINDS,
        page=page,
        pages=pages,
        documents=evidence_documents.by_evidence(r.id for r in rows),
        document_kinds=evidence_documents.DOCUMENT_KINDS,
    )


def _check_dates(form, today: dt.date) -> None:
    if form.occurred_on.data and form.occurred_on.data > today:
        form.occurred_on.errors.append("This date is in the future.")
    if form.occurred_on.data and form.occurred_on.data < ledger.EARLIEST:
        form.occurred_on.errors.append("This date is too long ago.")
    valid_until = getattr(form, "valid_until", None)
    if valid_until is not None and valid_until.data and form.occurred_on.data:
        if valid_until.data <= form.occurred_on.data:
            valid_until.errors.append("The end must be after the start.")
    entry.check_work_form(form, today)


def _details(kind: str, form) -> tuple[dict, str]:
    if kind == "work":
        return entry.work_details(form), form.label.data
    if kind == "education":
        return {"level": form.level.data, "field": form.label.data}, (
            f"{EDUCATION_LABELS[form.level.data]}: {form.label.data}"
        )
    if kind == "reference":
        return {"void": False, "rater_role": form.rater_role.data}, (
            f"Reference from {form.label.data} ({form.rater_role.data})"
        )
    if kind == "membership":
        return {"valid_until": form.valid_until.data.isoformat()}, "Association membership"
    return {"document": form.document.data}, f"Signed {DOCUMENT_LABELS[form.document.data]}"


@bp.route("/evidence/new/<kind>", methods=["GET", "POST"])
@upload_limit
@require("competencies:track_own")
def new_evidence(kind: str):
    if kind not in SELF_KINDS:
        abort(404)
    form_class, title = SELF_KINDS[kind]
    form = form_class()
    association = acting_association("competencies:track_own")
    verdicts = None
    if form.validate_on_submit():
        _check_dates(form, dt.date.today())
        if not form.errors and getattr(form, "check", None) is not None and form.check.data:
            verdicts = entry.verdicts(
                current_actor().user, kind, form.occurred_on.data, _details(kind, form)[0]
            )
            if "document" in form and form.document.data:
                # A browser never refills a file field: say so rather than drop it quietly.
                form.document.description = (
                    "Choose the file again before you add the item: checking does not keep it. "
                    + form.document.description
                )
        elif not form.errors:
            details, label = _details(kind, form)
            chosen = form.document.data if "document" in form else None
            try:
                # Read before anything is written: a refused file leaves no item behind.
                document = (
                    evidence_documents.read(chosen.stream, chosen.filename) if chosen else None
                )
                evidence_documents.record_own(
                    current_actor().user,
                    association,
                    kind=kind,
                    occurred_on=form.occurred_on.data,
                    details=details,
                    label=label,
                    document=document,
                )
            except ledger.EvidenceError as exc:
                form_error(form, exc, "occurred_on")
            else:
                flash(
                    entry.added_message(
                        title, kind, current_actor().user, form.occurred_on.data, details
                    ),
                    "success",
                )
                return redirect(url_for("competencies.my_evidence"))
    documents = signing_documents() if kind == "agreement" else []
    return render_template(
        "competencies/evidence_form.html",
        form=form,
        title=title,
        kind=kind,
        documents=documents,
        verdicts=verdicts,
    ), (400 if form.errors else 200)


def document_link(code: str) -> str | None:
    """Return where the association publishes a document's full text: the https address of
    `code` in COMPETENCIES_DOCUMENT_LINKS (a mapping, or its JSON text from the environment)."""
    links = current_app.config.get("COMPETENCIES_DOCUMENT_LINKS") or {}
    if isinstance(links, str):
        try:
            links = json.loads(links)
        except ValueError:
            links = {}
    link = links.get(code) if isinstance(links, dict) else None
    return link if isinstance(link, str) and link.startswith("https://") else None


@bp.app_template_global("signing_documents")
def signing_documents() -> list:
    """Return each document a clinician signs with where its full text is: (summary, link)."""
    return [(d, document_link(c)) for c, d in DOCUMENTS.items()]


@bp.app_template_global("pathway_figures")
def pathway_figures(pathway) -> Headline:
    """Return a pathway's headline figures from its evaluation of today (any page that shows
    a count of a clinician's shows this one)."""
    return headline(pathways.evaluate_pathways([pathway], dt.date.today())[0])


@bp.route("/documents/<code>")
@require()
def document(code: str):
    doc = DOCUMENTS.get(code)
    if doc is None:
        abort(404)
    return render_template("competencies/document.html", doc=doc, link=document_link(code))


@bp.route("/evidence/<int:evidence_id>/withdraw", methods=["POST"])
@require("competencies:track_own")
def withdraw_evidence(evidence_id: int):
    row = Evidence.get_or_none(
        (Evidence.id == evidence_id) & (Evidence.clinician == current_actor().user)
    )
    if row is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if row.status != "pending" or row.source != "self":
        flash("Only your own entries that are still pending can be withdrawn.", "danger")
    else:
        ledger.void(row, reason="withdrawn by the clinician", actor=current_actor().user)
        flash("Withdrawn.", "success")
    return redirect(url_for("competencies.my_evidence"))


@bp.route("/verify")
@require("competencies:verify_evidence")
def verification_queue():
    actor = current_actor()
    ids = actor.association_ids("competencies:verify_evidence")
    query = (
        Evidence.select(Evidence, User)
        .join(User, on=Evidence.clinician)
        .where((Evidence.status == "pending") & (Evidence.source == "self"))
        .where(Evidence.clinician != actor.user)  # one's own waits for someone else
        .order_by(Evidence.created_at)
    )
    if ids is not None:
        query = query.where(Evidence.association.in_(ids))
    rows = list(query.limit(200))
    return render_template(
        "competencies/verify.html",
        rows=rows,
        form=DecisionForm(),
        documents=evidence_documents.by_evidence(r.id for r in rows),
        document_kinds=evidence_documents.DOCUMENT_KINDS,
    )


@bp.route("/verify/<int:evidence_id>", methods=["POST"])
@require("competencies:verify_evidence")
def decide(evidence_id: int):
    row = Evidence.get_or_none(Evidence.id == evidence_id)
    if row is None:
        abort(404)
    actor = current_actor()
    ensure_in_association(actor, "competencies:verify_evidence", row.association_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    accept = request.form.get("decision") == "verify"
    try:
        ledger.decide(row, accept=accept, actor=actor.user, reason=form.reason.data or "")
    except ledger.EvidenceError as exc:
        flash(str(exc), "danger")
    else:
        flash("Verified." if accept else "Rejected; the clinician sees your reason.", "success")
    return redirect(url_for("competencies.verification_queue"))


def home_panel(user: User, **_: object):
    if (
        not Membership.select()
        .where((Membership.user == user) & (Membership.role == "clinician"))
        .exists()
    ):
        return []
    today = dt.date.today()
    evaluations = pathways.evaluate_pathways(pathways.open_pathways(user), today)
    # The dashboard's own "what is missing", first three: the home says what to do next.
    missing = [missing_tasks(ev.result)[:3] for ev in evaluations]
    return [
        (
            10,
            "competencies/home_panel.html",
            {"evaluations": evaluations, "missing": missing, "today": today},
        )
    ]
