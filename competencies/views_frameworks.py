"""Pages of frameworks: browse, export, import with a preview, a CSV template, edit an area.

Rule-set pages are `views_rules`; reading the files, `framework_files`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import peewee as pw
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from competencies import rules
from competencies.blueprint import bp
from competencies.framework_files import (
    FORM_FIELD_BYTES,
    FORMAT_LABELS,
    FORMATS,
    MAX_UPLOAD_BYTES,
    detect_format,
    download,
    plain_text,
    read_framework,
    read_upload,
)
from competencies.frameworks import framework_doc, save_framework, visible_frameworks
from competencies.frameworks_io import (
    MAX_TEXT_LENGTH,
    AreaDoc,
    DomainDoc,
    FieldError,
    FrameworkDoc,
    FrameworkError,
    dump_framework,
    dump_moodle_csv,
    framework_to_dict,
    load_framework,
)
from competencies.models import Area, Framework
from competencies.reevaluate import after_framework_edit
from competencies.rulesets import rule_sets_for
from lms import jobs
from lms.forms import choices
from lms.inputs import upload_limit
from lms.models import Association
from lms.permissions import ALL, Actor, current_actor, ensure_in_association, require

SHARED = "shared"
VIEW = "competencies:view_frameworks"
MANAGE = "competencies:manage_frameworks"
JOB_KEY = "competencies_framework_job"  # the session's last framework edit's readiness job


def _reevaluate(actor: Actor, framework: Framework) -> None:
    """Start re-evaluating the readiness rows an edit of the framework staled (after the
    edit's commit); its page then shows the job's progress to whoever made the edit."""
    job = after_framework_edit(framework.id, background=True, owner_id=actor.user.id)
    if job:
        session[JOB_KEY] = [framework.id, job]


def _edit_job(actor: Actor, framework: Framework) -> jobs.JobState | None:
    """Return the readiness job this user's last edit of this framework started, or None."""
    framework_id, job_id = session.get(JOB_KEY) or (None, "")
    state = jobs.state(job_id) if framework_id == framework.id else None
    return state if state is not None and state.owner_id == actor.user.id else None


# --------------------------------------------------------------------------- forms


class ImportForm(FlaskForm):
    upload = FileField("Framework file (JSON, YAML or Moodle CSV, at most 2 MB)")
    fmt = SelectField("Format", choices=choices(FORMAT_LABELS.items()), default="auto")
    association = SelectField("Belongs to", validators=[DataRequired()])
    content = HiddenField()
    filename = HiddenField()
    preview = SubmitField("Preview")
    save = SubmitField("Save this framework")


class AreaForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_TEXT_LENGTH)])
    categories = SelectMultipleField(
        "Categories this area applies to",
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submit = SubmitField("Save area")


def association_choices(actor: Actor, capability: str) -> list:
    """Return the associations the actor may write to; admins may also choose "shared"."""
    ids = actor.association_ids(capability)
    query = Association.select().order_by(Association.name)
    if ids is not ALL:
        query = query.where(Association.id.in_(ids))
    pairs = [(str(a.id), f"{a.name} ({a.code})") for a in query]
    if ids is ALL:
        pairs.insert(0, (SHARED, "Shared by every association"))
    return choices(pairs)


def chosen_association(value: str) -> Association | None:
    return None if value == SHARED else Association.get_by_id(int(value))


# --------------------------------------------------------------------------- frameworks


def _visible_framework_or_404(framework_id: int) -> Framework:
    framework = Framework.get_or_none(Framework.id == framework_id)
    if framework is None:
        abort(404)
    if framework.association_id is not None:
        ensure_in_association(current_actor(), VIEW, framework.association_id)
    return framework


def _may_edit(actor: Actor, framework: Framework) -> bool:
    if framework.association_id is None:
        return actor.association_ids(MANAGE) is ALL
    return actor.can(MANAGE, framework.association_id)


@bp.route("/frameworks")
@require(VIEW)
def frameworks():
    actor = current_actor()
    rows = list(visible_frameworks(actor.association_ids(VIEW)))
    counts = dict(
        Area.select(Area.framework, pw.fn.COUNT(Area.id))
        .where(Area.framework.in_([f.id for f in rows]))
        .group_by(Area.framework)
        .tuples()
    )
    names = {
        a.id: a.name
        for a in Association.select().where(
            Association.id.in_({f.association_id for f in rows if f.association_id})
        )
    }
    items = [
        {
            "framework": f,
            "owner": names.get(f.association_id, "Shared") if f.association_id else "Shared",
            "areas": counts.get(f.id, 0),
        }
        for f in rows
    ]
    return render_template(
        "competencies/frameworks/list.html", items=items, can_import=actor.can(MANAGE)
    )


@dataclass(frozen=True)
class _AreaRow:
    idnumber: str
    name: str
    categories: tuple[str, ...]
    description: str
    depth: int
    leaf: bool


def _area_rows(nodes: Iterable[AreaDoc], depth: int = 0) -> list[_AreaRow]:
    out: list[_AreaRow] = []
    for node in nodes:
        out.append(
            _AreaRow(
                node.idnumber,
                node.name,
                node.categories,
                plain_text(node.description),
                depth,
                not node.children,
            )
        )
        out.extend(_area_rows(node.children, depth + 1))
    return out


def tree_view(doc: FrameworkDoc, category: str | None = None) -> list[dict[str, Any]]:
    """Return the domains with their areas as rows (nested areas flattened with a depth)."""
    domains = []
    for domain in doc.domains:
        rows = _area_rows(domain.areas)
        if category:
            rows = [r for r in rows if r.leaf and category in r.categories]
        domains.append(
            {
                "idnumber": domain.idnumber,
                "name": domain.name,
                "description": plain_text(domain.description),
                "areas": rows,
            }
        )
    return domains


def _categories_in(doc: FrameworkDoc) -> list[str]:
    return list(dict.fromkeys(c for node, _, _ in doc.walk() for c in node.categories))


@bp.route("/frameworks/<int:framework_id>")
@require(VIEW)
def framework(framework_id: int):
    row = _visible_framework_or_404(framework_id)
    doc = framework_doc(row)
    codes = _categories_in(doc)
    category = request.args.get("category", "").strip() or None
    if category is not None and category not in codes:
        category = None
    domains = tree_view(doc, category)
    return render_template(
        "competencies/frameworks/detail.html",
        framework=row,
        doc=doc,
        description=plain_text(doc.description),
        domains=domains,
        codes=codes,
        category=category,
        shown=sum(len(d["areas"]) for d in domains),
        leaves=len(doc.areas()),
        can_edit=_may_edit(current_actor(), row),
        job=_edit_job(current_actor(), row),
    )


@bp.route("/frameworks/<int:framework_id>/export.<any(json, yaml, csv):fmt>")
@require(VIEW)
def framework_export(framework_id: int, fmt: str):
    row = _visible_framework_or_404(framework_id)
    doc = framework_doc(row)
    stem = f"{doc.idnumber}-{doc.version}" if doc.version else doc.idnumber
    if fmt == "csv":
        return download(dump_moodle_csv(doc), f"{stem}.csv", "text/csv")
    mimetype = "application/json" if fmt == "json" else "application/yaml"
    return download(dump_framework(doc, fmt), f"{stem}.{fmt}", mimetype)


def _decode_carried(form: ImportForm) -> tuple[bytes, str] | None:
    """Return the bytes the preview carried back, checked as strictly as an upload."""
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        form.upload.errors.append("The previewed file did not come back intact; upload it again.")
        return None
    if not data or len(data) > MAX_UPLOAD_BYTES:
        form.upload.errors.append("The previewed file did not come back intact; upload it again.")
        return None
    return data, (form.filename.data or "")[:255]


# The Moodle CSV template: a framework of one domain holding one area, as an export writes it.
_TEMPLATE_FRAMEWORK = {
    "framework": {"idnumber": "EXAMPLE", "name": "Example framework", "version": "1"},
    "domains": [
        {
            "id": "EX-DOMAIN",
            "name": "Example domain",
            "areas": [{"id": "EX-AREA", "name": "Example area", "description": "What it covers"}],
        }
    ],
}


@bp.route("/frameworks/import/template.csv")
@require(MANAGE)
def framework_template():
    """A Moodle competency-framework CSV of one domain and one area, to fill in."""
    doc = load_framework(_TEMPLATE_FRAMEWORK)
    return download(dump_moodle_csv(doc), "framework-template.csv", "text/csv")


@bp.route("/frameworks/import", methods=["GET", "POST"])
@upload_limit
@require(MANAGE)
def framework_import():
    actor = current_actor()
    request.max_form_memory_size = FORM_FIELD_BYTES
    form = ImportForm()
    form.association.choices = association_choices(actor, MANAGE)
    errors: list[FieldError] = []
    doc = carried = fmt = None
    if form.validate_on_submit():
        saving = bool(form.save.data and form.content.data)
        got = _decode_carried(form) if saving else read_upload(form.upload)
        if got is not None:
            data, filename = got
            fmt = form.fmt.data if form.fmt.data in FORMATS else detect_format(filename, data)
            try:
                doc = read_framework(data, fmt)
            except FrameworkError as exc:
                errors = exc.errors
            else:
                if saving:
                    association = chosen_association(form.association.data)
                    saved = save_framework(doc, association=association, actor=actor.user)
                    _reevaluate(actor, saved)
                    flash(
                        f"Framework {saved.name} {saved.version} saved: "
                        f"{len(doc.domains)} domains, {len(doc.areas())} areas.",
                        "success",
                    )
                    return redirect(url_for("competencies.framework", framework_id=saved.id))
                carried = {
                    "content": base64.b64encode(data).decode("ascii"),
                    "filename": filename,
                    "fmt": fmt,
                    "association": form.association.data,
                }
    status = 400 if (form.errors or errors) else 200
    return render_template(
        "competencies/frameworks/import.html",
        form=form,
        errors=errors,
        doc=doc if not errors else None,
        domains=tree_view(doc) if doc is not None and not errors else [],
        carried=carried,
        fmt_label=FORMAT_LABELS.get(fmt or "", ""),
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
    ), status


def _replace_area(doc: FrameworkDoc, idnumber: str, **changes: Any) -> FrameworkDoc:
    """Return the document with one area changed (the dataclasses are frozen)."""

    def area(node: AreaDoc) -> AreaDoc:
        if node.idnumber == idnumber:
            return replace(node, **changes)
        if not node.children:
            return node
        return replace(node, children=tuple(area(c) for c in node.children))

    def domain(node: DomainDoc) -> DomainDoc:
        return replace(node, areas=tuple(area(a) for a in node.areas))

    return replace(doc, domains=tuple(domain(d) for d in doc.domains))


def _known_categories(framework: Framework, doc: FrameworkDoc) -> list[str]:
    """Return the category codes of the association's rule sets by family and rank, then others."""
    ranked: dict[str, tuple[int, int]] = {}
    for row in rule_sets_for(framework.association):
        for code, cat in (row.document or {}).get("categories", {}).items():
            family = cat.get("family")
            order = (
                rules.FAMILIES.index(family) if family in rules.FAMILIES else len(rules.FAMILIES)
            )
            ranked.setdefault(code, (order, cat.get("rank") or 0))
    known = sorted(ranked, key=lambda code: (*ranked[code], code))
    return known + [c for c in _categories_in(doc) if c not in ranked]


@bp.route("/frameworks/<int:framework_id>/areas/<area_idnumber>", methods=["GET", "POST"])
@require(MANAGE)
def framework_area(framework_id: int, area_idnumber: str):
    actor = current_actor()
    row = _visible_framework_or_404(framework_id)
    if not _may_edit(actor, row):
        abort(403)
    area_row = Area.get_or_none((Area.framework == row) & (Area.idnumber == area_idnumber))
    if area_row is None:
        abort(404)
    doc = framework_doc(row)
    node = doc.node(area_idnumber)
    form = AreaForm(
        data={"name": node.name, "categories": list(node.categories)}
        if request.method == "GET"
        else None
    )
    form.categories.choices = choices((c, c) for c in _known_categories(row, doc))
    if form.validate_on_submit():
        picked = set(form.categories.data or ())
        ordered = tuple(c for c in _known_categories(row, doc) if c in picked)
        changed = _replace_area(doc, area_idnumber, name=form.name.data.strip(), categories=ordered)
        try:
            changed = load_framework(framework_to_dict(changed))  # the importer's checks
        except FrameworkError as exc:
            form.name.errors.extend(e.message for e in exc.errors)
        else:
            save_framework(changed, association=row.association, actor=actor.user)
            _reevaluate(actor, row)
            flash(f"Area {area_idnumber} saved.", "success")
            return redirect(url_for("competencies.framework", framework_id=row.id))
    return render_template(
        "competencies/frameworks/area_form.html",
        framework=row,
        area=area_row,
        form=form,
    ), (400 if form.errors else 200)
