"""The what-if planner: my own record, what I plan (added through forms), and the verdict, what
is missing and the projected date side by side with today. Nothing is saved. Evaluating a
portfolio document (JSON or YAML) stays, for associations and the API's users.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import abort, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import (
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from competencies import pathways
from competencies import planner as plans
from competencies.blueprint import bp
from competencies.frameworks import framework_for
from competencies.models import Area
from competencies.portfolio import PortfolioError, parse_portfolio_text
from competencies.rulesets import bound_rule_set, rule_set_in_force
from competencies.types import Summary
from competencies.views_dashboard import evaluation_view
from competencies.vocabulary import EDUCATION_LABELS, TAG_WORDS
from lms.forms import choices
from lms.inputs import upload_limit
from lms.models import Association
from lms.permissions import acting_association, current_actor, require

FORMAT_LABELS = {"individual": "One to one", "group": "In a group", "peer": "With peers"}


class _PlanForm(FlaskForm):
    """Every planner form carries the category and the plan so far (nothing is stored)."""

    category = HiddenField()
    plan = HiddenField()


class TrainingPlanForm(_PlanForm):
    hours = FloatField("Clock hours", validators=[InputRequired(), NumberRange(min=0.5, max=200)])
    on = DateField("Completed on", validators=[DataRequired(message="Give the date.")])
    areas = SelectMultipleField("Competency areas it covers", validators=[Optional()])
    tags = SelectMultipleField("It is also", validators=[Optional()])
    label = StringField("Name (optional)", validators=[Optional(), Length(max=120)])
    submit = SubmitField("Add the training")


class RscPlanForm(_PlanForm):
    hours_per_month = FloatField(
        "Hours a month", validators=[InputRequired(), NumberRange(min=0.25, max=40)]
    )
    start = DateField("From", validators=[DataRequired(message="Give the first date.")])
    months = IntegerField(
        "For how many months", validators=[InputRequired(), NumberRange(min=1, max=36)]
    )
    credential = SelectField("My provider is endorsed as", validators=[DataRequired()])
    format = SelectField(
        "Format", choices=choices(FORMAT_LABELS.items()), validators=[DataRequired()]
    )
    submit = SubmitField("Add the supervision")


class DegreePlanForm(_PlanForm):
    level = SelectField(
        "Degree or licence", choices=choices(EDUCATION_LABELS.items()), validators=[DataRequired()]
    )
    on = DateField("Awarded on", validators=[DataRequired(message="Give the date.")])
    submit = SubmitField("Add the degree")


class ReferencePlanForm(_PlanForm):
    count = IntegerField(
        "How many references", validators=[InputRequired(), NumberRange(min=1, max=5)]
    )
    on = DateField("Received by", validators=[DataRequired(message="Give the date.")])
    submit = SubmitField("Add the references")


class DocumentForm(FlaskForm):
    category = SelectField("Category", validators=[DataRequired()])
    as_of = DateField("Evaluate as of", validators=[Optional()])
    portfolio = TextAreaField(
        "Portfolio (JSON or YAML)",
        validators=[Optional(), Length(max=500_000)],
        description="A list of evidence items; the README documents the schema. Nothing is saved.",
    )
    upload = FileField("…or upload a portfolio file", validators=[FileSize(max_size=1024 * 1024)])
    submit = SubmitField("Evaluate")


FORMS = {
    "training": TrainingPlanForm,
    "rsc": RscPlanForm,
    "degree": DegreePlanForm,
    "reference": ReferencePlanForm,
}


def _association() -> Association:
    return acting_association("competencies:plan")


def _own_pathway(user, association, categories):
    for p in pathways.open_pathways(user):
        if p.association_id == association.id and p.category in categories:
            return p
    return None


def _items_of(kind: str, form) -> list[dict]:
    """The plan items one form adds."""
    if kind == "training":
        return [
            {
                "kind": "training",
                "date": form.on.data.isoformat(),
                "hours": form.hours.data,
                "areas": list(form.areas.data or ()),
                "tags": list(form.tags.data or ()),
                "label": form.label.data or "Planned training",
            }
        ]
    if kind == "rsc":
        return plans.rsc_at_pace(
            form.hours_per_month.data,
            form.start.data,
            form.months.data,
            provider_credential=form.credential.data,
            fmt=form.format.data,
        )
    if kind == "degree":
        return [
            {
                "kind": "education",
                "date": form.on.data.isoformat(),
                "details": {"level": form.level.data},
                "label": EDUCATION_LABELS.get(form.level.data, form.level.data),
            }
        ]
    return [
        {"kind": "reference", "date": form.on.data.isoformat(), "label": "Planned reference"}
        for _ in range(form.count.data)
    ]


def _describe(item: dict) -> str:
    day = item.get("date", "")
    if item["kind"] == "training":
        return f"{item.get('label')}: {item.get('hours'):g} h on {day}"
    if item["kind"] == "rsc":
        return f"Reflective supervision: {item.get('hours'):g} h in the month of {day}"
    if item["kind"] == "education":
        return f"{item.get('label')} on {day}"
    return f"A reference by {day}"


@bp.route("/planner", methods=["GET", "POST"])
@upload_limit
@require("competencies:plan")
def planner():
    """Plan from my record; or evaluate a portfolio document (its own form, same page)."""
    actor = current_actor()
    association = _association()
    today = dt.date.today()
    row = rule_set_in_force(association, today)
    if row is None:
        abort(404)
    rules = bound_rule_set(row)
    if request.method == "POST" and (
        request.form.get("mode") == "document"
        or "portfolio" in request.form
        or "upload" in request.files
    ):
        return _document_page(row, today, rules)
    document = DocumentForm(formdata=None)
    document.category.choices = choices(
        (code, f"{cat.name} ({code})") for code, cat in rules.categories.items()
    )
    return _plan_page(row, association, today, rules, actor, document)


def _plan_page(row, association, today, rules, actor, document):
    categories = list(rules.categories)
    own = _own_pathway(actor.user, association, categories)
    own_category = own.category if own is not None else None
    source = request.form if request.method == "POST" else request.args
    category = source.get("category") or own_category or categories[0]
    status, problems = 200, []
    if category not in rules.categories:
        category, status = own_category or categories[0], 400
        problems.append("Choose one of the association's categories.")
    try:
        plan = plans.read_plan(source.get("plan"))
    except PortfolioError as exc:
        plan, status = [], 400
        problems.extend(f"{p.where}: {p.message}" for p in exc.errors)
    kind = request.form.get("kind", "") if request.method == "POST" else ""
    remove = request.form.get("remove", "") if request.method == "POST" else ""
    forms = {k: cls(formdata=None, prefix=k) for k, cls in FORMS.items()}
    if kind in FORMS:
        forms[kind] = FORMS[kind](prefix=kind)
    _choices(forms, row, association, category, submitted=kind)
    if kind in FORMS:
        form = forms[kind]
        if form.validate_on_submit():
            added = _items_of(kind, form)
            if len(plan) + len(added) > plans.MAX_PLAN_ITEMS:
                form.form_errors.append(f"A plan holds at most {plans.MAX_PLAN_ITEMS} items.")
                status = 400
            else:
                plan = plan + added
        else:
            status = 400
    elif remove.isdigit() and int(remove) < len(plan):
        plan = plan[: int(remove)] + plan[int(remove) + 1 :]
    elif request.method == "POST" and request.form.get("action") != "category":
        status = 400
        problems.append("Choose what to add to the plan.")
    plan_text = json.dumps(plan, separators=(",", ":"))
    for form in forms.values():
        form.category.data, form.plan.data = category, plan_text
    started_on = own.started_on if own is not None and own.category == category else today
    comparison = plans.compare(
        row,
        category,
        plans.own_items(actor.user.id, association.id),
        plan,
        today,
        started_on=started_on,
        association_id=association.id,
    )
    return render_template(
        "competencies/planner.html",
        forms=forms,
        document=document,
        plan=[(i, _describe(item)) for i, item in enumerate(plan)],
        plan_text=plan_text,
        category=category,
        category_choices=[(code, f"{c.name} ({code})") for code, c in rules.categories.items()],
        today_view=evaluation_view(comparison.today, today),
        planned_view=evaluation_view(comparison.planned, comparison.planned_as_of),
        planned_as_of=comparison.planned_as_of,
        problems=problems,
        rule_set=row,
        view=None,
        errors=None,
    ), status


def _choices(forms, row, association, category: str, submitted: str) -> None:
    """Fill the forms' choices; give the forms not being submitted their suggested values."""
    framework = framework_for(association)
    areas = (
        Area.select().where(Area.framework == framework).order_by(Area.position, Area.idnumber)
        if framework is not None
        else []
    )
    forms["training"].areas.choices = choices((a.idnumber, a.name) for a in areas)
    forms["training"].tags.choices = choices(
        (t, f"About {TAG_WORDS.get(t, t)}") for t in plans.training_tags(row, category)
    )
    forms["rsc"].credential.choices = choices((c, c) for c in plans.provider_credentials(row))
    soon = dt.date.today() + dt.timedelta(days=30)
    for kind, form in forms.items():
        if kind == submitted:
            continue
        for name in ("on", "start"):
            if hasattr(form, name):
                getattr(form, name).data = soon
    if submitted != "rsc":
        forms["rsc"].months.data = 12
    if submitted != "reference":
        forms["reference"].count.data = 1


def _document_page(row, today, rules):
    """Evaluate a portfolio document (JSON or YAML) against the rule set in force."""
    form = DocumentForm()
    form.category.choices = choices(
        (code, f"{cat.name} ({code})") for code, cat in rules.categories.items()
    )
    view = errors = None
    if form.validate_on_submit():
        text = form.portfolio.data or ""
        if form.upload.data:
            raw = form.upload.data.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.upload.errors.append("The file is not UTF-8 text.")
        if not form.errors:
            try:
                portfolio = parse_portfolio_text(text or '{"evidence": []}')
            except PortfolioError as exc:
                errors = exc.errors
            else:
                as_of = form.as_of.data or portfolio.as_of or today
                summary = Summary.from_items(0, portfolio.items, end=as_of)
                result = pathways.evaluate_with(row, form.category.data, summary, as_of)
                started = dt.date(as_of.year - 2, as_of.month, 1)
                ev = pathways.Evaluation(
                    pathway=plans._Pathway(row, form.category.data, started),
                    result=result,
                    summary=summary,
                )
                view = evaluation_view(ev, as_of)
    status = 400 if (form.errors or errors) else 200
    return render_template(
        "competencies/planner_document.html", form=form, view=view, errors=errors, rule_set=row
    ), status
