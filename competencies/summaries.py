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


class _Slot:
    """A value of the call in a query compiled once per shape: `values[index]` at execution."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def _slot(index: int) -> pw.Value:
    return pw.Value(_Slot(index), converter=False)  # left as it is, the value is converted later


def _id_slots(count: int) -> int:
    """Return how many id placeholders a call with `count` clinicians uses: the next power of two
    (the last id repeated), then multiples of 1024, so a handful of texts serve every count."""
    return 1 << (count - 1).bit_length() if count <= 1024 else -(-count // 1024) * 1024


def _scope(
    query: pw.ModelSelect,
    clinician_ids: list | None,
    association_id: object,
    as_of: object,
    start: object,
) -> pw.ModelSelect:
    if association_id is not None:
        query = query.where(Evidence.association == association_id)
    if clinician_ids is not None:
        query = query.where(Evidence.clinician.in_(clinician_ids))
    query = query.where(Evidence.occurred_on <= as_of)
    if start is not None:
        query = query.where(Evidence.occurred_on >= start)
    return query


def _queries(
    clinician_ids: list | None, association_id: object, as_of: object, start: object
) -> tuple[pw.ModelSelect, pw.ModelSelect, pw.ModelSelect]:
    """Return the three queries of `build_summaries` (values, or slots to compile them once)."""
    counted_training = (Evidence.kind == "training") & Evidence.status.in_(_COUNTED)
    scope = (clinician_ids, association_id, as_of, start)
    month = _month(Evidence.occurred_on)
    training = _scope(
        Evidence.select(
            Evidence.clinician,
            Evidence.tags,
            month,
            pw.fn.SUM(Evidence.hours),
            pw.fn.COUNT(SQL("*")),
        ).where(counted_training),
        *scope,
    ).group_by(Evidence.clinician, Evidence.tags, month)
    covered = _scope(
        Evidence.select(
            Evidence.clinician,
            Evidence.areas,
            Evidence.kind,
            pw.fn.COUNT(SQL("*")),
            pw.fn.SUM(Evidence.hours),
            pw.fn.MAX(Evidence.id),
        ).where(Evidence.kind.in_(_KINDS) & Evidence.status.in_(_COUNTED) & (Evidence.areas != "")),
        *scope,
    ).group_by(Evidence.clinician, Evidence.areas, Evidence.kind)
    items = _scope(
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
        *scope,
    ).order_by(Evidence.clinician, Evidence.occurred_on, Evidence.id)  # the index's order
    return training, covered, items


# The three queries' SQL text and parameters (with _Slot where a call's values go), compiled by
# peewee once per shape: building the text cost about as much as running the queries for one
# clinician. Keyed by the database's class and parameter style too, so that SQLite and
# PostgreSQL in one process never share a text.
_COMPILED: dict[tuple, tuple[tuple[str, list], ...]] = {}


def _compiled(id_slots: int | None, association: bool, start: bool) -> tuple:
    database = db.obj
    key = (type(database), database.param, id_slots, association, start)
    found = _COMPILED.get(key)
    if found is None:  # the values of a call: association, as_of, start, then the ids (`_rows`)
        ids = None if id_slots is None else [_slot(3 + i) for i in range(id_slots)]
        queries = _queries(
            ids, _slot(0) if association else None, _slot(1), _slot(2) if start else None
        )
        found = _COMPILED[key] = tuple(query.sql() for query in queries)
    return found


def _rows(
    which: int,
    ids: list[int] | None,
    association_id: int | None,
    as_of: dt.date,
    start: dt.date | None,
) -> Iterable[tuple]:
    """Return a cursor over the rows of query `which` (0 training, 1 covered, 2 items) of
    `_queries`, run with these values through its compiled text."""
    slots = None if ids is None else _id_slots(len(ids))
    sql, params = _compiled(slots, association_id is not None, start is not None)[which]
    clinician, day = Evidence.clinician.db_value, Evidence.occurred_on.db_value
    values = [
        None if association_id is None else Evidence.association.db_value(association_id),
        day(as_of),
        None if start is None else day(start),
    ]
    if ids is not None:
        values += [clinician(i) for i in ids]
        values += values[-1:] * (slots - len(ids))
    return db.execute_sql(sql, [values[p.index] if type(p) is _Slot else p for p in params])


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
    # Raw cursors and plain tuples: peewee's per-row conversion, or an object per aggregate
    # row, would cost more than the queries themselves.
    sqlite = is_sqlite()
    scope = (ids, association_id, as_of, start)
    training: dict[int, list[tuple]] = {}
    for clinician_id, *rest in _rows(0, *scope):
        rows = training.get(clinician_id)
        if rows is None:
            training[clinician_id] = [rest]
        else:
            rows.append(rest)

    covered: dict[int, list[tuple]] = {}
    for clinician_id, *rest in _rows(1, *scope):
        rows = covered.get(clinician_id)
        if rows is None:
            covered[clinician_id] = [rest]
        else:
            rows.append(rest)

    items: dict[int, list[EvidenceItem]] = {}
    # Dates, area and tag sets and details repeat from row to row: each text is read once
    # (the details' dicts are shared, read-only, by the items with the same text).
    days: dict = {}
    sets: dict[str, frozenset[str]] = {"": frozenset()}
    details_of: dict[str | None, dict] = {None: {}, "": {}, "{}": {}}
    loads, fromiso, item = json.loads, dt.date.fromisoformat, EvidenceItem
    for cid, row_id, kind, day, status, hrs, areas, tags, provider, details, label in _rows(
        2, *scope
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
