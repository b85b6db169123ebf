"""Readiness pages: the association report and its CSV, agency staff, one clinician's readiness."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from competencies import readiness, readiness_access, readiness_rows
from competencies.blueprint import bp
from competencies.pathways import evaluate_pathways
from competencies.rulesets import bound_rule_set, rule_sets_for
from lms.csvutil import csv_rows
from lms.forms import choices
from lms.inputs import int_arg
from lms.models import Association
from lms.permissions import ALL, acting_association, current_actor, require

VIEW = "competencies:view_readiness"
STAFF = "competencies:view_staff"
CSV_HEADER = (
    "Name",
    "Email",
    "Agency",
    "Category",
    "Started",
    "Progress %",
    "Ready",
    "Projected",
    "Status",
    "Flags",
    "Last evidence",
)


class FilterForm(FlaskForm):
    """The report's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    category = SelectField("Category", validators=[Optional()])
    agency = SelectField("Agency", validators=[Optional()])
    status = SelectField("Status", validators=[Optional()])
    q = StringField("Search by name or email", validators=[Optional(), Length(max=100)])
    sort = SelectField("Sort by", default="name")


def _filter_form(report_categories, agencies, with_agency: bool) -> FilterForm:
    form = FilterForm(formdata=request.args)
    form.category.choices = choices(
        [("", "All categories"), *((c, f"{n} ({c})") for c, n in report_categories)]
    )
    form.agency.choices = choices(
        [("", "All agencies"), *((str(i), n) for i, n in agencies)] if with_agency else [("", "")]
    )
    form.status.choices = choices(
        [
            ("", "Any status"),
            *((b, readiness_rows.BUCKET_LABELS[b]) for b in readiness_rows.BUCKETS),
        ]
    )
    form.sort.choices = choices(readiness.SORTS.items())
    return form


def _categories(association: Association) -> list[tuple[str, str]]:
    """Return the categories of every rule-set version the association may use, newest first."""
    names: dict[str, str] = {}
    for row in rule_sets_for(association):
        for code, cat in bound_rule_set(row).categories.items():
            names.setdefault(code, cat.name)
    return list(names.items())


def _report_association() -> tuple[Association, list[Association]]:
    """Return the association to report on (query `association`) and the ones to choose from."""
    actor = current_actor()
    ids = actor.association_ids(VIEW)
    query = Association.select().order_by(Association.name)
    if ids is not ALL:
        query = query.where(Association.id.in_(ids))
    return acting_association(VIEW, actor), list(query)


def _build(association: Association, form: FilterForm, *, scope_agency_id=None, per_page=50):
    """Validate the filters and build the report; bad filters are form errors, no filter."""
    today = dt.date.today()
    page = int_arg("page", 1)
    valid = form.validate()
    agency = form.agency.data if valid and scope_agency_id is None else None
    try:
        return readiness.association_report(
            association,
            today,
            agency_id=int(agency) if agency else None,
            category=(form.category.data or None) if valid else None,
            status=(form.status.data or None) if valid else None,
            search=(form.q.data or None) if valid else None,
            sort=form.sort.data if valid and form.sort.data else "name",
            page=max(page, 1),
            per_page=per_page,
            scope_agency_id=scope_agency_id,
        )
    except readiness.ReportError as exc:  # the form's choices should prevent this
        getattr(form, exc.field if hasattr(form, exc.field) else "q").errors.append(str(exc))
        return readiness.association_report(
            association, today, scope_agency_id=scope_agency_id, per_page=per_page
        )


def _params(form: FilterForm, association: Association | None, **extra) -> dict:
    """Return the query parameters that keep the current filters in links."""
    out = {
        "category": form.category.data or None,
        "agency": form.agency.data or None,
        "status": form.status.data or None,
        "q": form.q.data or None,
        "sort": form.sort.data if form.sort.data != "name" else None,
    }
    for name in form.errors:  # links must not carry a value the form refused
        out.pop(name, None)
    if association is not None:
        out["association"] = association.id
    out.update(extra)
    return {k: v for k, v in out.items() if v not in (None, "")}


@bp.route("/readiness", endpoint="readiness")
@require(VIEW)
def readiness_page():
    association, options = _report_association()
    form = _filter_form(_categories(association), readiness_access.agencies_of(association), True)
    report = _build(association, form)
    keep = association if len(options) > 1 else None
    return render_template(
        "competencies/readiness/report.html",
        report=report,
        form=form,
        options=options if len(options) > 1 else [],
        current=association,
        params=_params(form, keep),
        endpoint="competencies.readiness",
        csv_endpoint="competencies.readiness_csv",
        title=f"Readiness · {association.name}",
        agency=None,
        labels=readiness_rows.BUCKET_LABELS,
        sorts=readiness.SORTS,
    ), (400 if form.errors else 200)


def _csv(report: readiness.Report, stem: str) -> Response:
    rows = (
        (
            r.name,
            r.email,
            r.agency,
            r.category,
            r.started_on.isoformat(),
            r.percent,
            "yes" if r.ready else "no",
            r.projected.isoformat() if r.projected else "",
            readiness_rows.BUCKET_LABELS[r.status],
            "; ".join(r.flags),
            r.last_evidence_on.isoformat() if r.last_evidence_on else "",
        )
        for r in report.matching
    )
    filename = f"{stem}-{report.as_of.isoformat()}.csv"
    return Response(
        csv_rows(CSV_HEADER, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/readiness.csv")
@require(VIEW)
def readiness_csv():
    association, _ = _report_association()
    form = _filter_form(_categories(association), readiness_access.agencies_of(association), True)
    report = _build(association, form, per_page=readiness.MAX_PER_PAGE)
    if form.errors:
        abort(400)
    return _csv(report, f"readiness-{association.code.lower()}")


def _managed_agency():
    """Return the agency the current manager follows (query `association` picks among several)."""
    user = current_actor().user
    agencies = [
        a
        for a in readiness_access.managed_agencies(user)
        if current_actor().can(STAFF, a.association_id)
    ]
    if request.args.get("association"):
        chosen = acting_association(STAFF).id
        agencies = [a for a in agencies if a.association_id == chosen]
        if not agencies:
            abort(404)
    return (agencies[0] if agencies else None), agencies


@bp.route("/staff")
@require(STAFF)
def staff():
    agency, agencies = _managed_agency()
    if agency is None:
        return render_template("competencies/readiness/no_agency.html")
    association = agency.association
    form = _filter_form(_categories(association), [], False)
    report = _build(association, form, scope_agency_id=agency.id)
    several = len({a.association_id for a in agencies}) > 1
    return render_template(
        "competencies/readiness/report.html",
        report=report,
        form=form,
        options=[],
        current=association,
        params=_params(form, association if several else None),
        endpoint="competencies.staff",
        csv_endpoint="competencies.staff_csv",
        title=f"Staff readiness · {agency.name}",
        agency=agency,
        labels=readiness_rows.BUCKET_LABELS,
        sorts=readiness.SORTS,
    ), (400 if form.errors else 200)


@bp.route("/staff.csv")
@require(STAFF)
def staff_csv():
    agency, _ = _managed_agency()
    if agency is None:
        abort(404)
    form = _filter_form(_categories(agency.association), [], False)
    report = _build(agency.association, form, scope_agency_id=agency.id, per_page=200)
    if form.errors:
        abort(400)
    return _csv(report, "staff-readiness")


@bp.route("/clinicians/<int:user_id>/readiness")
@require()
def clinician_readiness(user_id: int):
    found = readiness_access.viewable_pathways(current_actor(), user_id)
    if found is None:
        abort(404)
    clinician, pathways = found
    today = dt.date.today()
    views = [readiness_rows.evaluation_detail(ev) for ev in evaluate_pathways(pathways, today)]
    back = None
    actor = current_actor()
    if actor.can(VIEW):
        back = url_for("competencies.readiness")
    elif actor.can(STAFF):
        back = url_for("competencies.staff")
    return render_template(
        "competencies/readiness/clinician.html",
        clinician=clinician,
        views=views,
        today=today,
        back=back,
        own=actor.user.id == clinician.id,
    )
