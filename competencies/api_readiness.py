"""Readiness API: one clinician's readiness trees and an association's report, page by page."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import jsonify, request
from pydantic import BaseModel, Field, ValidationError

from competencies import figures, readiness, readiness_access
from competencies.blueprint import api
from competencies.pathways import evaluate_pathways
from lms.api import ApiError, operation
from lms.inputs import MAX_ID
from lms.models import Association
from lms.permissions import current_actor

Bucket = Literal["ready", "within 3 months", "on track", "at risk", "stalled"]
SortKey = Literal[
    "name", "-name", "progress", "-progress", "projected", "-projected", "category", "-category"
]


class PathwayReadiness(BaseModel):
    pathway_id: int
    association: str
    category: str
    started_on: dt.date
    status: str
    percent: int = Field(description="Progress as a whole percentage, as every page shows it")
    result: dict[str, Any] = Field(description="The readiness tree with its forecast")


class ClinicianReadiness(BaseModel):
    clinician_id: int
    name: str
    as_of: dt.date
    pathways: list[PathwayReadiness]


class ReadinessRow(BaseModel):
    pathway_id: int
    clinician_id: int
    name: str
    email: str
    agency: str | None
    category: str
    category_name: str
    started_on: dt.date
    progress: float
    percent: int
    ready: bool
    projected: dt.date | None
    status: Bucket
    flags: list[str]
    last_evidence_on: dt.date | None


class AssociationReadiness(BaseModel):
    association: str
    as_of: dt.date
    counts: dict[str, int] = Field(description="Open pathways per status, before filters")
    total: int
    matching: int
    page: int
    per_page: int
    pages: int
    rows: list[ReadinessRow]


class ReadinessQuery(BaseModel):
    page: int = Field(1, ge=1, le=MAX_ID)
    per_page: int = Field(50, ge=1, le=readiness.MAX_PER_PAGE)
    category: str | None = Field(None, max_length=20)
    status: Bucket | None = None
    agency: int | None = Field(None, ge=1, le=MAX_ID)
    search: str | None = Field(None, max_length=100)
    sort: SortKey = "name"


QUERY_DOC = {
    "page": "integer",
    "per_page": "integer",
    "category": "string",
    "status": "string",
    "agency": "integer",
    "search": "string",
    "sort": "string",
}


def _query() -> ReadinessQuery:
    """Validate the query string; a bad value is a 422 naming the parameter."""
    try:
        return ReadinessQuery.model_validate(
            {k: v for k, v in request.args.items() if k in QUERY_DOC and v != ""}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ApiError(422, f"{field}: {first['msg']}", field=field) from exc


@api.get("/clinicians/<int:user_id>/readiness")
@operation(
    "One clinician's readiness: each open pathway's requirement tree and forecast",
    response=ClinicianReadiness,
    tags=("competencies",),
)
def clinician_readiness(user_id: int):
    found = readiness_access.viewable_pathways(current_actor(), user_id)
    if found is None:
        raise ApiError(404, "There is no clinician with this id you may see.")
    clinician, pathways = found
    today = dt.date.today()
    body = ClinicianReadiness(
        clinician_id=clinician.id,
        name=clinician.display_name,
        as_of=today,
        pathways=[
            PathwayReadiness(
                pathway_id=ev.pathway.id,
                association=ev.pathway.association.code,
                category=ev.pathway.category,
                started_on=ev.pathway.started_on,
                status=ev.pathway.status,
                percent=figures.percent(ev.result.progress, bool(ev.result.ready)),
                result=ev.result.to_dict(),
            )
            for ev in evaluate_pathways(pathways, today)
        ],
    )
    return jsonify(body.model_dump(mode="json"))


@api.get("/associations/<code>/readiness")
@operation(
    "An association's readiness report: counts per status and one page of rows",
    response=AssociationReadiness,
    capability="competencies:view_readiness",
    tags=("competencies",),
    query=QUERY_DOC,
    statuses=(422,),
)
def association_readiness(code: str):
    association = Association.get_or_none(Association.code == code.upper())
    if association is None or not current_actor().can(
        "competencies:view_readiness", association.id
    ):
        raise ApiError(404, "There is no association with this code you may see.")
    q = _query()
    try:
        report = readiness.association_report(
            association,
            dt.date.today(),
            agency_id=q.agency,
            category=q.category,
            status=q.status,
            search=q.search,
            sort=q.sort,
            page=q.page,
            per_page=q.per_page,
        )
    except readiness.ReportError as exc:
        raise ApiError(422, str(exc), field=exc.field) from exc
    body = AssociationReadiness(
        association=association.code,
        as_of=report.as_of,
        counts=report.counts,
        total=report.total,
        matching=len(report.matching),
        page=report.page,
        per_page=report.per_page,
        pages=report.pages,
        rows=[
            ReadinessRow(
                pathway_id=r.pathway_id,
                clinician_id=r.clinician_id,
                name=r.name,
                email=r.email,
                agency=r.agency or None,
                category=r.category,
                category_name=r.category_name,
                started_on=r.started_on,
                progress=r.progress,
                percent=r.percent,
                ready=r.ready,
                projected=r.projected,
                status=r.status,
                flags=list(r.flags),
                last_evidence_on=r.last_evidence_on,
            )
            for r in report.rows
        ],
    )
    return jsonify(body.model_dump(mode="json"))
