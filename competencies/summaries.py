"""Build evaluator summaries for many clinicians at once with a fixed number of SQL queries."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable

import peewee as pw

from competencies.models import Evidence
from competencies.types import AREA_IDS_KEPT, COUNTED, AreaEvidence, EvidenceItem, Summary
from lms.db import is_sqlite

_COUNTED = sorted(COUNTED)


def _month(column: pw.Field) -> pw.Node:
    if is_sqlite():
        return pw.fn.strftime("%Y-%m", column)
    return pw.fn.to_char(column, "YYYY-MM")


def _scope(
    query: pw.ModelSelect,
    clinician_ids: Iterable[int] | None,
    association_id: int | None,
    as_of: dt.date,
    start: dt.date | None,
) -> pw.ModelSelect:
    if association_id is not None:
        query = query.where(Evidence.association == association_id)
    if clinician_ids is not None:
        query = query.where(Evidence.clinician.in_(list(clinician_ids)))
    query = query.where(Evidence.occurred_on <= as_of)
    if start is not None:
        query = query.where(Evidence.occurred_on >= start)
    return query


def build_summaries(
    *,
    as_of: dt.date,
    clinician_ids: Iterable[int] | None = None,
    association_id: int | None = None,
    start: dt.date | None = None,
) -> dict[int, Summary]:
    """Return a summary per clinician with evidence, from four aggregate queries.

    Evidence dated after `as_of` (or before `start`, for a renewal year) is left out. Void rows
    are left out entirely: a correction replaced them.
    """
    ids = None if clinician_ids is None else sorted(set(clinician_ids))
    if ids is not None and not ids:
        return {}
    counted_training = (Evidence.kind == "training") & Evidence.status.in_(_COUNTED)

    hours: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[int, int] = defaultdict(int)
    q1 = _scope(
        Evidence.select(
            Evidence.clinician, Evidence.tags, pw.fn.SUM(Evidence.hours), pw.fn.COUNT(Evidence.id)
        ).where(counted_training),
        ids,
        association_id,
        as_of,
        start,
    ).group_by(Evidence.clinician, Evidence.tags)
    for clinician_id, tags, total, count in q1.tuples():
        bucket = hours[clinician_id]
        bucket["*"].append(total)
        for tag in (t for t in tags.split(",") if t):
            bucket[tag].append(total)
        counts[clinician_id] += count

    monthly: dict[int, dict[str, float]] = defaultdict(dict)
    month = _month(Evidence.occurred_on)
    q2 = _scope(
        Evidence.select(Evidence.clinician, month, pw.fn.SUM(Evidence.hours)).where(
            counted_training
        ),
        ids,
        association_id,
        as_of,
        start,
    ).group_by(Evidence.clinician, month)
    for clinician_id, ym, total in q2.tuples():
        monthly[clinician_id][ym] = total

    area_rows: dict[int, dict[str, list[tuple[int, float, int, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    q3 = _scope(
        Evidence.select(
            Evidence.clinician,
            Evidence.areas,
            Evidence.kind,
            pw.fn.COUNT(Evidence.id),
            pw.fn.SUM(Evidence.hours),
            pw.fn.MAX(Evidence.id),
        ).where(Evidence.status.in_(_COUNTED) & (Evidence.areas != "")),
        ids,
        association_id,
        as_of,
        start,
    ).group_by(Evidence.clinician, Evidence.areas, Evidence.kind)
    for clinician_id, areas, kind, count, total, last_id in q3.tuples():
        for area in areas.split(","):
            area_rows[clinician_id][area].append((count, total, last_id, kind))

    items: dict[int, list[EvidenceItem]] = defaultdict(list)
    q4 = _scope(
        Evidence.select(
            Evidence.id,
            Evidence.clinician,
            Evidence.kind,
            Evidence.occurred_on,
            Evidence.status,
            Evidence.hours,
            Evidence.areas,
            Evidence.tags,
            Evidence.provider,
            Evidence.details,
            Evidence.label,
        ).where(
            (Evidence.status != "void")
            & ((Evidence.kind != "training") | Evidence.status.not_in(_COUNTED))
        ),
        ids,
        association_id,
        as_of,
        start,
    ).order_by(Evidence.occurred_on, Evidence.id)
    for row in q4.namedtuples():
        items[row.clinician].append(
            EvidenceItem(
                id=row.id,
                kind=row.kind,
                date=row.occurred_on,
                status=row.status,
                hours=row.hours,
                areas=frozenset(a for a in row.areas.split(",") if a),
                tags=frozenset(t for t in row.tags.split(",") if t),
                provider_id=row.provider,
                details=row.details or {},
                label=row.label,
            )
        )

    everyone = set(hours) | set(monthly) | set(area_rows) | set(items)
    summaries = {}
    for clinician_id in everyone:
        training_hours = {k: math.fsum(v) for k, v in hours.get(clinician_id, {}).items()}
        training_hours.setdefault("*", 0.0)
        areas = {}
        for area, parts in area_rows.get(clinician_id, {}).items():
            parts.sort(key=lambda p: p[2], reverse=True)
            areas[area] = AreaEvidence(
                count=sum(p[0] for p in parts),
                hours=math.fsum(p[1] for p in parts),
                evidence_ids=tuple(p[2] for p in parts[:AREA_IDS_KEPT]),
                kinds=frozenset(p[3] for p in parts),
            )
        summaries[clinician_id] = Summary(
            clinician_id=clinician_id,
            training_hours=training_hours,
            training_count=counts.get(clinician_id, 0),
            training_monthly=dict(sorted(monthly.get(clinician_id, {}).items())),
            areas=areas,
            items=tuple(items.get(clinician_id, ())),
        )
    return summaries


def empty_summary(clinician_id: int) -> Summary:
    """Return the summary of a clinician with no evidence yet."""
    return Summary(clinician_id, {"*": 0.0}, 0, {}, {}, ())
