"""Build evaluator summaries for many clinicians at once with a fixed number of SQL queries."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Iterable

import peewee as pw

from competencies.models import Evidence
from competencies.types import AREA_IDS_KEPT, COUNTED, AreaEvidence, EvidenceItem, Summary
from lms.db import db, is_sqlite

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
    """Return a summary per clinician with evidence, from three queries (two aggregates).

    Evidence dated after `as_of` (or before `start`, for a renewal year) is left out. Void rows
    are left out entirely: a correction replaced them.
    """
    ids = None if clinician_ids is None else sorted(set(clinician_ids))
    if ids is not None and not ids:
        return {}
    counted_training = (Evidence.kind == "training") & Evidence.status.in_(_COUNTED)

    # Raw cursors: peewee's per-row conversion would cost more than the queries themselves.
    hours: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    monthly: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_tags: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[int, int] = defaultdict(int)
    month = _month(Evidence.occurred_on)
    q1 = _scope(
        Evidence.select(
            Evidence.clinician,
            Evidence.tags,
            month,
            pw.fn.SUM(Evidence.hours),
            pw.fn.COUNT(Evidence.id),
        ).where(counted_training),
        ids,
        association_id,
        as_of,
        start,
    ).group_by(Evidence.clinician, Evidence.tags, month)
    for clinician_id, tags, ym, total, count in db.execute(q1):
        bucket = hours[clinician_id]
        bucket["*"].append(total)
        if tags:
            for tag in tags.split(","):
                bucket[tag].append(total)
        monthly[clinician_id][ym] += total
        by_tags[clinician_id][tags or ""].append(total)  # stored sorted: the same key as items
        counts[clinician_id] += count

    area_rows: dict[int, dict[str, list[tuple[int, float, int, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    q2 = _scope(
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
    for clinician_id, areas, kind, count, total, last_id in db.execute(q2):
        part = (count, total, last_id, kind)
        per_area = area_rows[clinician_id]
        for area in areas.split(","):
            per_area[area].append(part)

    items: dict[int, list[EvidenceItem]] = defaultdict(list)
    q3 = _scope(
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
    empty: frozenset[str] = frozenset()
    loads = json.loads
    for row_id, cid, kind, day, status, hrs, areas, tags, provider, details, label in db.execute(
        q3
    ):
        items[cid].append(
            EvidenceItem(
                id=row_id,
                kind=kind,
                date=day if isinstance(day, dt.date) else dt.date.fromisoformat(day),
                status=status,
                hours=hrs,
                areas=frozenset(areas.split(",")) if areas else empty,
                tags=frozenset(tags.split(",")) if tags else empty,
                provider_id=provider,
                details=loads(details) if details else {},
                label=label,
            )
        )

    everyone = set(hours) | set(area_rows) | set(items)
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
            training_by_tags={k: math.fsum(v) for k, v in by_tags.get(clinician_id, {}).items()},
        )
    return summaries


def empty_summary(clinician_id: int) -> Summary:
    """Return the summary of a clinician with no evidence yet."""
    return Summary(clinician_id, {"*": 0.0}, 0, {}, {}, ())
