"""Build evaluator summaries for many clinicians at once with a fixed number of SQL queries."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable

import peewee as pw
from peewee import SQL

from competencies.models import Evidence
from competencies.types import AREA_IDS_KEPT, COUNTED, KINDS, AreaEvidence, EvidenceItem, Summary
from lms.db import db, is_sqlite

_COUNTED = sorted(COUNTED)
_NOT_LISTED = sorted(COUNTED | {"void"})  # statuses of training rows that are not items
# Every kind, named so that the covering index is searched on (clinician, kind, status) rather
# than the table read row by row through the (clinician, date) index: the ledger writes no
# other kind (`ledger.record`).
_KINDS = sorted(KINDS)


def _month(column: pw.Field) -> pw.Node:
    """Return the month of a date column: its "YYYY-MM" text on SQLite (dates are ISO text
    there), the month's first day on PostgreSQL (its key is made once per month, in Python);
    cheaper than formatting every row."""
    if is_sqlite():
        return pw.fn.substr(column, 1, 7)
    return pw.fn.date_trunc("month", column)


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

    # Raw cursors and plain tuples: peewee's per-row conversion, or an object per aggregate
    # row, would cost more than the queries themselves.
    sqlite = is_sqlite()
    month = _month(Evidence.occurred_on)
    q1 = _scope(
        Evidence.select(
            Evidence.clinician,
            Evidence.tags,
            month,
            pw.fn.SUM(Evidence.hours),
            pw.fn.COUNT(SQL("*")),
        ).where(counted_training),
        ids,
        association_id,
        as_of,
        start,
    ).group_by(Evidence.clinician, Evidence.tags, month)
    training: dict[int, list[tuple]] = {}
    for clinician_id, *rest in db.execute(q1):
        rows = training.get(clinician_id)
        if rows is None:
            training[clinician_id] = [rest]
        else:
            rows.append(rest)

    q2 = _scope(
        Evidence.select(
            Evidence.clinician,
            Evidence.areas,
            Evidence.kind,
            pw.fn.COUNT(SQL("*")),
            pw.fn.SUM(Evidence.hours),
            pw.fn.MAX(Evidence.id),
        ).where(Evidence.kind.in_(_KINDS) & Evidence.status.in_(_COUNTED) & (Evidence.areas != "")),
        ids,
        association_id,
        as_of,
        start,
    ).group_by(Evidence.clinician, Evidence.areas, Evidence.kind)
    covered: dict[int, list[tuple]] = {}
    for clinician_id, *rest in db.execute(q2):
        rows = covered.get(clinician_id)
        if rows is None:
            covered[clinician_id] = [rest]
        else:
            rows.append(rest)

    q3 = _scope(
        Evidence.select(
            Evidence.clinician,
            Evidence.id,
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
    ).order_by(Evidence.clinician, Evidence.occurred_on, Evidence.id)  # the index's order
    items: dict[int, list[EvidenceItem]] = {}
    # Dates, area and tag sets and details repeat from row to row: each text is read once
    # (the details' dicts are shared, read-only, by the items with the same text).
    days: dict = {}
    sets: dict[str, frozenset[str]] = {"": frozenset()}
    details_of: dict[str | None, dict] = {None: {}, "": {}, "{}": {}}
    loads, fromiso, item = json.loads, dt.date.fromisoformat, EvidenceItem
    for cid, row_id, kind, day, status, hrs, areas, tags, provider, details, label in db.execute(
        q3
    ):
        date = days.get(day)
        if date is None:
            date = days[day] = fromiso(day) if sqlite else day
        area_set = sets.get(areas)
        if area_set is None:
            area_set = sets[areas] = frozenset(areas.split(","))
        tag_set = sets.get(tags)
        if tag_set is None:
            tag_set = sets[tags] = frozenset(tags.split(","))
        parsed = details_of.get(details)
        if parsed is None:
            parsed = details_of[details] = loads(details)
        it = item(row_id, kind, date, status, hrs, area_set, tag_set, provider, parsed, label)
        mine = items.get(cid)
        if mine is None:
            items[cid] = [it]
        else:
            mine.append(it)

    summaries = {}
    fsum = math.fsum
    months: dict = {}
    splits: dict[str, list[str]] = {}
    for clinician_id in training.keys() | covered.keys() | items.keys():
        hours, count, monthly, by_tags = _training(
            training.get(clinician_id, ()), months, sets, sqlite, fsum
        )
        summaries[clinician_id] = Summary(
            clinician_id,
            hours,
            count,
            monthly,
            _areas(covered.get(clinician_id, ()), fsum, splits),
            tuple(items.get(clinician_id, ())),
            by_tags,
        )
    return summaries


def _training(rows, months: dict, sets: dict, sqlite: bool, fsum) -> tuple:
    """Return (hours by tag and "*", count, hours by month, hours by tag set) of one clinician
    from their (tags, month, hours, count) rows."""
    everything: list[float] = []
    hours: dict[str, list[float]] = {"*": everything}
    monthly: dict[str, float] = {}
    by_tags: dict[str, list[float]] = {}
    count = 0
    for tags, ym, total, n in rows:
        everything.append(total)
        if tags:
            tag_set = sets.get(tags)
            if tag_set is None:
                tag_set = sets[tags] = frozenset(tags.split(","))
            for tag in tag_set:
                hours.setdefault(tag, []).append(total)
        key = ym if sqlite else months.get(ym)
        if key is None:
            key = months[ym] = f"{ym.year:04d}-{ym.month:02d}"
        monthly[key] = monthly.get(key, 0.0) + total
        by_tags.setdefault(tags or "", []).append(total)  # stored sorted: the key of items
        count += n
    return (
        {k: fsum(v) for k, v in hours.items()},
        count,
        dict(sorted(monthly.items())),
        {k: fsum(v) for k, v in by_tags.items()},
    )


def _areas(rows, fsum, splits: dict[str, list[str]]) -> dict[str, AreaEvidence]:
    """Return the AreaEvidence of one clinician from their (areas, kind, count, hours, last id)
    rows (`splits` caches each areas text split, shared by every clinician)."""
    per_area: dict[str, list[tuple]] = {}
    for areas, kind, count, total, last_id in rows:
        part = (last_id, count, total, kind)
        names = splits.get(areas)
        if names is None:
            names = splits[areas] = areas.split(",")
        for area in names:
            parts = per_area.get(area)
            if parts is None:
                per_area[area] = [part]
            else:
                parts.append(part)
    out = {}
    evidence = AreaEvidence
    for area, parts in per_area.items():
        if len(parts) == 1:
            last_id, count, total, kind = parts[0]
            out[area] = evidence(count, fsum((total,)), (last_id,), frozenset((kind,)))
            continue
        parts.sort(reverse=True)  # latest id first (ids are unique within a clinician's rows)
        ids, counts, totals, kinds = zip(*parts, strict=True)
        out[area] = evidence(sum(counts), fsum(totals), ids[:AREA_IDS_KEPT], frozenset(kinds))
    return out


def empty_summary(clinician_id: int) -> Summary:
    """Return the summary of a clinician with no evidence yet."""
    return Summary(clinician_id, {"*": 0.0}, 0, {}, {}, ())
