"""Pages of rule sets: the list, one rule set in plain words, export, and publishing an upload."""

from __future__ import annotations

import json
from typing import Any

import yaml
from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SubmitField
from wtforms.validators import DataRequired

from competencies import rules
from competencies.blueprint import bp
from competencies.framework_files import MAX_UPLOAD_BYTES, download, read_rule_set, read_upload
from competencies.frameworks import area_infos
from competencies.models import RuleSet
from competencies.nodes import NODE_TYPES
from competencies.rulesets import RuleSetConflict, rule_sets_for, save_rule_set
from competencies.types import Problem
from competencies.views_frameworks import association_choices, chosen_association
from lms.inputs import upload_limit
from lms.models import Association
from lms.permissions import ALL, Actor, current_actor, ensure_in_association, require

RULES = "competencies:manage_rules"


class RuleSetUploadForm(FlaskForm):
    upload = FileField("Rule-set document (JSON or YAML, at most 2 MB)")
    association = SelectField("For", validators=[DataRequired()])
    submit = SubmitField("Check and publish")


def _rule_set_query(actor: Actor):
    ids = actor.association_ids(RULES)
    if ids is ALL:
        return RuleSet.select().order_by(RuleSet.effective.desc(), RuleSet.id.desc())
    if len(ids) == 1:
        return rule_sets_for(Association.get_by_id(ids[0]))
    query = RuleSet.select().order_by(RuleSet.effective.desc(), RuleSet.id.desc())
    return query.where(RuleSet.association.is_null() | RuleSet.association.in_(ids))


@bp.route("/rules")
@require(RULES)
def rule_sets():
    rows = list(_rule_set_query(current_actor()))
    names = {
        a.id: a.name
        for a in Association.select().where(
            Association.id.in_({r.association_id for r in rows if r.association_id})
        )
    }
    items = [
        {
            "rule_set": r,
            "owner": names.get(r.association_id, "Shared") if r.association_id else "Shared",
            "categories": len((r.document or {}).get("categories", {})),
        }
        for r in rows
    ]
    return render_template("competencies/rules/list.html", items=items)


def _rule_set_or_404(rule_set_id: int) -> RuleSet:
    row = RuleSet.get_or_none(RuleSet.id == rule_set_id)
    if row is None:
        abort(404)
    if row.association_id is not None:
        ensure_in_association(current_actor(), RULES, row.association_id)
    return row


def describe_node(node: rules.Node, exam: rules.ExamRules, area_count: int | None) -> str:
    """Return one requirement in plain words with its numbers (its type says them)."""
    text = NODE_TYPES[node.type].describe(node, exam, area_count)
    if node.params.get("label"):
        text = f"{node.params['label']} — {text}"
    return text


def node_tree(node: rules.Node, exam: rules.ExamRules, area_count: int | None) -> dict[str, Any]:
    """Return a requirement graph as nested {"text", "children"} for the page."""
    return {
        "text": describe_node(node, exam, area_count),
        "children": [node_tree(c, exam, area_count) for c in node.children],
    }


@bp.route("/rules/<int:rule_set_id>")
@require(RULES)
def rule_set(rule_set_id: int):
    row = _rule_set_or_404(rule_set_id)
    parsed = rules.load_rule_set(row.document)
    infos = area_infos(row.framework) if row.framework_id else None
    categories = []
    for code, cat in parsed.categories.items():
        count = sum(code in a.categories for a in infos) if infos is not None else None
        categories.append(
            {
                "code": code,
                "category": cat,
                "requires": node_tree(cat.requires, parsed.exam, count),
                "renewal": node_tree(cat.renewal, parsed.exam, count) if cat.renewal else None,
            }
        )
    return render_template(
        "competencies/rules/detail.html",
        row=row,
        parsed=parsed,
        categories=categories,
        owner=row.association.name if row.association_id else "Shared",
    )


@bp.route("/rules/<int:rule_set_id>/export.<any(json, yaml):fmt>")
@require(RULES)
def rule_set_export(rule_set_id: int, fmt: str):
    row = _rule_set_or_404(rule_set_id)
    name = f"rules-{row.version}.{fmt}"
    if fmt == "json":
        text = json.dumps(row.document, indent=2, ensure_ascii=False) + "\n"
        return download(text, name, "application/json")
    text = yaml.safe_dump(row.document, sort_keys=False, allow_unicode=True, width=100)
    return download(text, name, "application/yaml")


@bp.route("/rules/upload", methods=["GET", "POST"])
@upload_limit
@require(RULES)
def rule_set_upload():
    actor = current_actor()
    form = RuleSetUploadForm()
    form.association.choices = association_choices(actor, RULES)
    errors: list[Problem] = []
    if form.validate_on_submit():
        got = read_upload(form.upload)
        if got is not None:
            data, filename = got
            try:
                parsed = read_rule_set(data, filename)
                row = save_rule_set(
                    parsed.to_dict(),
                    association=chosen_association(form.association.data),
                    actor=actor.user,
                )
            except rules.RuleSetError as exc:
                errors = exc.errors
            except RuleSetConflict as exc:
                form.upload.errors.append(str(exc))
            else:
                flash(
                    f"{row.name} {row.version} published; in force from {row.effective}.",
                    "success",
                )
                return redirect(url_for("competencies.rule_set", rule_set_id=row.id))
    return render_template(
        "competencies/rules/upload.html",
        form=form,
        errors=errors,
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    ), (400 if (form.errors or errors) else 200)
