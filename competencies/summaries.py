"""Build evaluator summaries for many clinicians at once with a fixed number of SQL queries."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import operator
from collections.abc import Iterable

import peewee as pw
from peewee import SQL

from competencies.models import Evidence
from competencies.types import (
    AREA_IDS_KEPT,
    COUNTED,
    KINDS,
    STATUSES,
    AreaEvidence,
    EvidenceItem,
    Summary,
)
from lms.compiled import Slot, slot
from lms.db import db, execute_prepared, is_sqlite

_COUNTED = sorted(COUNTED)
# Every kind, named so that the covering index is searched on (clinician, kind, status) rather
# than the table read row by row through the (clinician, date) index: the ledger writes no
# other kind (`ledger.record`).
_KINDS = sorted(KINDS)
# The same for the few clinicians' statement: the items are the rows of these kinds and
# statuses (the ledger writes no other status either), so the index finds them.
_OTHER_KINDS = sorted(KINDS - {"training"})
_UNCOUNTED = sorted(STATUSES - COUNTED - {"void"})
_NOT_VOID = sorted(STATUSES - {"void"})
# Up to this many clinicians, `build_summaries` runs one statement (`_few_query`); more, the
# three queries of `_queries`.
FEW_CLINICIANS = 8
_ITEM_ORDER = operator.attrgetter("date", "id")
# The items' columns, in the order `build_summaries` unpacks them.
_ITEM_COLUMNS = (
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
)


def _month(column: pw.Field) -> pw.Node:
    """Return the month of a date column: its "YYYY-MM" text on SQLite (dates are ISO text
    there), the month's first day on PostgreSQL (its key is made once per month, in Python);
    cheaper than formatting every row. The date is truncated as a `timestamp`: PostgreSQL
    would otherwise make each one a `timestamptz` in the session's time zone, a fifth of the
    training aggregate's time."""
    if is_sqlite():
        return pw.fn.substr(column, 1, 7)
    return pw.fn.date_trunc("month", pw.Cast(column, "timestamp"))


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
        Evidence.select(*_ITEM_COLUMNS).where(
            (Evidence.status != "void")
            & ((Evidence.kind != "training") | Evidence.status.not_in(_COUNTED))
        ),
        *scope,
    ).order_by(Evidence.clinician, Evidence.occurred_on, Evidence.id)  # the index's order
    return training, covered, items


def _few_query(
    clinician_ids: list | None, association_id: object, as_of: object, start: object
) -> pw.SelectQuery:
    """Return the one statement of `build_summaries` for a few clinicians: the rows of the
    three queries of `_queries` in one UNION ALL, each aggregate over the same rows, in the
    same index order, with the same groups as there.

    Every row has the items' columns (clinician, id, kind, date, status, hours, areas, tags,
    provider, details, label); an aggregate fills some and leaves the rest NULL:
    training (clinician, count, -, month, -, hours, -, tags) and area coverage (clinician,
    last id, kind, -, -, hours, areas, -, count). Only an item has a status. The items come
    as the index finds them, by (kind, status); `build_summaries` orders them by date.
    """
    scope = (clinician_ids, association_id, as_of, start)
    null = SQL("NULL")
    if is_sqlite():  # no parameters in it: the GROUP BY term is then the column, made once
        month = month_column = pw.fn.substr(Evidence.occurred_on, SQL("1"), SQL("7"))
    else:  # the column holds the items' dates: a month of their type (date_trunc's is not)
        month = _month(Evidence.occurred_on)
        month_column = pw.Cast(month, "date")
    # One clinician: the aggregates group by their other keys only (a shorter sort key), the
    # clinician's column being the call's id.
    one = clinician_ids is not None and len(clinician_ids) == 1
    clinician = clinician_ids[0] if one else Evidence.clinician
    by_clinician = () if one else (Evidence.clinician,)
    # The items' condition of `_queries` as two searches of the covering index (kind, status):
    # uncounted training, then the other kinds not void. The table is read for these rows only.
    uncounted_training = _scope(
        Evidence.select(*_ITEM_COLUMNS).where(
            (Evidence.kind == "training") & Evidence.status.in_(_UNCOUNTED)
        ),
        *scope,
    )
    other_items = _scope(
        Evidence.select(*_ITEM_COLUMNS).where(
            Evidence.kind.in_(_OTHER_KINDS) & Evidence.status.in_(_NOT_VOID)
        ),
        *scope,
    )
    training = _scope(
        Evidence.select(
            clinician,
            pw.fn.COUNT(SQL("*")),
            null,
            month_column,
            null,
            pw.fn.SUM(Evidence.hours),
            null,
            Evidence.tags,
            null,
            null,
            null,
        ).where((Evidence.kind == "training") & Evidence.status.in_(_COUNTED)),
        *scope,
    ).group_by(*by_clinician, Evidence.tags, month)
    covered = _scope(
        Evidence.select(
            clinician,
            pw.fn.MAX(Evidence.id),
            Evidence.kind,
            null,
            null,
            pw.fn.SUM(Evidence.hours),
            Evidence.areas,
            null,
            pw.fn.COUNT(SQL("*")),
            null,
            null,
        ).where(Evidence.kind.in_(_KINDS) & Evidence.status.in_(_COUNTED) & (Evidence.areas != "")),
        *scope,
    ).group_by(*by_clinician, Evidence.areas, Evidence.kind)
    # The items first: on PostgreSQL their columns give the union its types.
    return uncounted_training.union_all(other_items).union_all(training).union_all(covered)


# The three queries' SQL text and parameters (with a Slot where a call's values go), compiled by
# peewee once per shape: building the text cost about as much as running the queries for one
# clinician. Keyed by the database's class and parameter style too, so that SQLite and
# PostgreSQL in one process never share a text.
_COMPILED: dict[tuple, tuple[tuple[str, list], ...]] = {}


def _compiled(id_slots: int | None, association: bool, start: bool, few: bool = False) -> tuple:
    """Return the compiled texts of `_queries` (three), or of `_few_query` (one) if `few`."""
    database = db.obj
    key = (type(database), database.param, id_slots, association, start, few)
    found = _COMPILED.get(key)
    if found is None:  # the values of a call: association, as_of, start, then the ids (`_rows`)
        ids = None if id_slots is None else [slot(3 + i) for i in range(id_slots)]
        values = (ids, slot(0) if association else None, slot(1), slot(2) if start else None)
        queries = (_few_query(*values),) if few else _queries(*values)
        found = _COMPILED[key] = tuple(query.sql() for query in queries)
    return found


def _rows(
    which: int,
    ids: list[int] | None,
    association_id: int | None,
    as_of: dt.date,
    start: dt.date | None,
    *,
    few: bool = False,
) -> Iterable[tuple]:
    """Return a cursor over the rows of query `which` (0 training, 1 covered, 2 items) of
    `_queries`, or of `_few_query` if `few`, run with these values through its compiled text
    (on PostgreSQL `_few_query` is prepared: `_prepared`)."""
    if few and not is_sqlite():
        name, text, order = _prepared(ids, association_id is not None, start is not None)
        values = _values(ids, association_id, as_of, start)
        return execute_prepared(name, text, [values[i] for i in order])
    return db.execute_sql(*_statement(which, few, ids, association_id, as_of, start))


# `_few_query` as PostgreSQL prepares it, by the key of `_compiled`: the statement's name, its
# text (`$1`, `$2`, … where the call's values go) and which value each placeholder takes.
_PREPARED: dict[tuple, tuple[str, str, list[int]]] = {}


def _prepared(ids: list[int] | None, association: bool, start: bool) -> tuple[str, str, list[int]]:
    """Return `_few_query` for `lms.db.execute_prepared`: the page's one statement for a few
    clinicians (a dashboard, one clinician's evaluation), which the server would otherwise
    plan on every call. Its constants are written into the text, as the driver would send
    them: the planner sees them, and the month of the training rows' GROUP BY is the same
    expression as the one selected."""
    slots = None if ids is None else _id_slots(len(ids))
    key = (type(db.obj), db.obj.param, slots, association, start)
    found = _PREPARED.get(key)
    if found is None:
        sql, params = _compiled(slots, association, start, few=True)[0]
        pieces = sql.split("%s")
        if len(pieces) != len(params) + 1:
            raise RuntimeError("the few clinicians' statement holds a literal %s")
        cursor = db.cursor()
        text, order = [pieces[0]], []
        for param, piece in zip(params, pieces[1:], strict=True):
            if type(param) is Slot:
                order.append(param.index)
                text.append(f"${len(order)}")
            else:
                text.append(cursor.mogrify("%s", (param,)).decode())
            text.append(piece)
        joined = "".join(text)
        name = "lms_summaries_" + hashlib.sha256(joined.encode()).hexdigest()[:16]
        found = _PREPARED[key] = (name, joined, order)
    return found


def _statement(
    which: int,
    few: bool,
    ids: list[int] | None,
    association_id: int | None,
    as_of: dt.date,
    start: dt.date | None,
) -> tuple[str, list]:
    """Return the SQL text and parameters of a compiled query with these values."""
    slots = None if ids is None else _id_slots(len(ids))
    sql, params = _compiled(slots, association_id is not None, start is not None, few)[which]
    values = _values(ids, association_id, as_of, start)
    return sql, [values[p.index] if type(p) is Slot else p for p in params]


def _values(
    ids: list[int] | None, association_id: int | None, as_of: dt.date, start: dt.date | None
) -> list:
    """Return a call's values in the order of the slots: association, as_of, start, then the
    ids, the last repeated up to the number of id slots."""
    clinician, day = Evidence.clinician.db_value, Evidence.occurred_on.db_value
    values = [
        None if association_id is None else Evidence.association.db_value(association_id),
        day(as_of),
        None if start is None else day(start),
    ]
    if ids is not None:
        values += [clinician(i) for i in ids]
        values += values[-1:] * (_id_slots(len(ids)) - len(ids))
    return values


def build_summaries(
    *,
    as_of: dt.date,
    clinician_ids: Iterable[int] | None = None,
    association_id: int | None = None,
    start: dt.date | None = None,
) -> dict[int, Summary]:
    """Return a summary per clinician with evidence, from three queries (two aggregates), or
    for up to FEW_CLINICIANS clinicians from one statement holding the same three.

    Evidence dated after `as_of` (or before `start`, for a renewal year) is left out. Void rows
    are left out entirely: a correction replaced them. Summaries are kept
    (`competencies.kept_summaries`): a change to the values built here from the same ledger
    must bump `kept_summaries.FORMAT`.
    """
    ids = None if clinician_ids is None else sorted(set(clinician_ids))
    if ids is not None and not ids:
        return {}
    # Raw cursors and plain tuples: peewee's per-row conversion, or an object per aggregate
    # row, would cost more than the queries themselves.
    sqlite = is_sqlite()
    scope = (ids, association_id, as_of, start)
    training: dict[int, list[tuple]] = {}
    covered: dict[int, list[tuple]] = {}
    few = ids is not None and len(ids) <= FEW_CLINICIANS
    if few:
        item_rows = _split(_rows(0, *scope, few=True), training, covered)
    else:
        for clinician_id, *rest in _rows(0, *scope):
            rows = training.get(clinician_id)
            if rows is None:
                training[clinician_id] = [rest]
            else:
                rows.append(rest)
        for clinician_id, *rest in _rows(1, *scope):
            rows = covered.get(clinician_id)
            if rows is None:
                covered[clinician_id] = [rest]
            else:
                rows.append(rest)
        item_rows = _rows(2, *scope)

    items: dict[int, list[EvidenceItem]] = {}
    # Dates, area and tag sets and details repeat from row to row: each text is read once
    # (the details' dicts are shared, read-only, by the items with the same text).
    days, sets, splits, words = _texts()
    details_of: dict[str | None, dict] = {None: {}, "": {}, "{}": {}}
    loads, fromiso, item = json.loads, dt.date.fromisoformat, EvidenceItem
    word = words.setdefault
    for cid, row_id, kind, day, status, hrs, areas, tags, provider, details, label in item_rows:
        # One object per text: a kept summary then pickles each once (`kept_summaries`).
        kind, status, label = word(kind, kind), word(status, status), word(label, label)
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

    if few:  # as the index found them: in the items query's order, (date, id)
        for mine in items.values():
            mine.sort(key=_ITEM_ORDER)
    summaries = {}
    fsum = math.fsum
    months: dict = {}
    for clinician_id in training.keys() | covered.keys() | items.keys():
        hours, count, monthly, by_tags = _training(
            training.get(clinician_id, ()), months, sets, sqlite, fsum
        )
        summaries[clinician_id] = Summary(
            clinician_id,
            hours,
            count,
            monthly,
            _areas(covered.get(clinician_id, ()), fsum, splits, sets),
            tuple(items.get(clinician_id, ())),
            by_tags,
        )
    return summaries


# What texts of the ledger read as (dates on SQLite, area and tag sets, area lists), kept
# between calls: a few thousand distinct texts at most in practice; past _TEXTS_KEPT, new
# empty ones are used. Every value is immutable, so calls share them safely.
_DAYS: dict = {}
_SETS: dict[str, frozenset[str]] = {"": frozenset()}
_SPLITS: dict[str, tuple[str, ...]] = {}
_WORDS: dict[str, str] = {}  # kinds, statuses and labels, each text one object
_TEXTS_KEPT = 20_000


def _texts() -> tuple[dict, dict, dict, dict]:
    """Return the kept readings, new ones once they hold too many (a call still reading the
    old ones keeps them: nothing is emptied under it)."""
    global _DAYS, _SETS, _SPLITS, _WORDS
    if len(_DAYS) + len(_SETS) + len(_SPLITS) + len(_WORDS) > _TEXTS_KEPT:
        _DAYS, _SETS, _SPLITS, _WORDS = {}, {"": frozenset()}, {}, {}
    return _DAYS, _SETS, _SPLITS, _WORDS


def _split(rows: Iterable[tuple], training: dict, covered: dict) -> list[tuple]:
    """Sort the rows of `_few_query` into `training` and `covered` (each clinician's rows as
    the three queries give them) and return the items' rows."""
    items = []
    for row in rows:
        if row[4] is not None:  # only an item has a status
            items.append(row)
            continue
        if row[2] is None:  # no kind: training hours of (tags, month)
            cid, count, _, month, _, total, _, tags = row[:8]
            part, mine = [tags, month, total, count], training
        else:
            cid, last_id, kind, _, _, total, areas, _, count = row[:9]
            part, mine = [areas, kind, count, total, last_id], covered
        rows_of = mine.get(cid)
        if rows_of is None:
            mine[cid] = [part]
        else:
            rows_of.append(part)
    return items


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


def _areas(
    rows, fsum, splits: dict[str, tuple[str, ...]], sets: dict[str, frozenset[str]]
) -> dict[str, AreaEvidence]:
    """Return the AreaEvidence of one clinician from their (areas, kind, count, hours, last id)
    rows (`splits` caches each areas text split, `sets` each text's set, here a kind's: both
    shared by every clinician)."""
    per_area: dict[str, list[tuple]] = {}
    for areas, kind, count, total, last_id in rows:
        part = (last_id, count, total, kind)
        names = splits.get(areas)
        if names is None:
            names = splits[areas] = tuple(areas.split(","))
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
            kinds = sets.get(kind)
            if kinds is None:
                kinds = sets[kind] = frozenset((kind,))
            out[area] = evidence(count, fsum((total,)), (last_id,), kinds)
            continue
        parts.sort(reverse=True)  # latest id first (ids are unique within a clinician's rows)
        ids, counts, totals, kinds = zip(*parts, strict=True)
        kind_set = frozenset(kinds)
        if len(kind_set) == 1:  # most often: one object for every area of that one kind
            (kind,) = kind_set
            kind_set = sets.get(kind) or sets.setdefault(kind, kind_set)
        out[area] = evidence(sum(counts), fsum(totals), ids[:AREA_IDS_KEPT], kind_set)
    return out


def empty_summary(clinician_id: int) -> Summary:
    """Return the summary of a clinician with no evidence yet."""
    return Summary(clinician_id, {"*": 0.0}, 0, {}, {}, ())
