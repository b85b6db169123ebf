"""Kept readiness rows: the association report reads them instead of evaluating every pathway.

Evaluating 10,000 pathways takes tens of seconds; the report must take about as long as one
GROUP BY over the ledger. So each evaluated row is kept in `Standing` with what it was computed
from: the day, the pathway's basis (rule set, category, start date, framework edit) and the
ledger generation of its clinician. Every ledger write bumps that generation in the writer's own
transaction (`touch`), so a kept row is used only while nothing it depends on has changed.

A kept row also knows how long it holds: `valid_until` is the first day on which its
evaluation could change with no ledger write (`competencies.holds` and the report's own
thresholds). It is used on any day from its `as_of` up to the day before; a new day makes
stale only the rows whose day has come.

Keeping a freshly evaluated row is race-free without locks: `prepare` makes sure the rows exist
and reads their generations *before* the evidence is read, and `keep` writes a row back only
where the generation is still the one read. A ledger write that lands in between bumps the
generation, the conditional write matches nothing, and the row stays stale until next time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from competencies.models import KeptSummary, Pathway, RuleSet, Standing
from competencies.rulesets import framework_stamp
from lms.db import db, update_rows

CHUNK = 500  # ids per IN (...) list

# The columns a kept row carries, in the order `kept` returns them.
KEPT_COLUMNS = (
    Standing.generation,
    Standing.computed,
    Standing.as_of,
    Standing.valid_until,
    Standing.basis,
    Standing.progress,
    Standing.ready,
    Standing.projected,
    Standing.status,
    Standing.flags,
    Standing.category_name,
    Standing.last_evidence_on,
)
VALUES = 5  # KEPT_COLUMNS[VALUES:] are the row's values, the ones before say whether it holds
# What `keep` writes (all but the generation, which only ledger writes bump), in this order.
KEEP_COLUMNS = tuple(c.column_name for c in KEPT_COLUMNS[1:])


def chunks(values: Sequence[Any], size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def touch(association_id: int, clinician_ids: Iterable[int]) -> None:
    """Mark the kept rows and summaries of these clinicians in this association stale (call in
    the write's transaction: a reader then sees either the old evidence and the old generation,
    or both new)."""
    ids = sorted(set(clinician_ids))
    param = db.obj.param
    for table in (Standing._meta.table_name, KeptSummary._meta.table_name):
        for chunk in chunks(ids):  # plain SQL: peewee would build a node per id, per write
            db.execute_sql(
                f"UPDATE {table} SET generation = generation + 1 WHERE association_id = {param}"
                f" AND clinician_id IN ({', '.join([param] * len(chunk))})",
                (association_id, *chunk),
            )


def basis(pathway: Pathway, rule_set: RuleSet) -> str:
    """Describe what a pathway's evaluation depends on besides the ledger and the day."""
    return basis_of(rule_set, pathway.category, pathway.started_on.isoformat())


def basis_of(rule_set: RuleSet, category: str, started_on: str) -> str:
    """`basis` from its parts, the start date as ISO text."""
    return f"{rule_set.id}/{category}/{started_on}/{framework_stamp(rule_set.framework_id)}"


def is_current(kept: Sequence[Any], as_of: str, expected_basis: str) -> bool:
    """Tell whether a kept row (the KEPT_COLUMNS as the database gives them: dates may be ISO
    text) is still current for this day (ISO text) and basis: nothing was written to the
    clinician's ledger since, and the day is within [as_of, valid_until) (its own day only
    for a row kept without valid_until)."""
    generation, computed, kept_as_of, valid_until, kept_basis = kept[:VALUES]
    if kept_as_of is None or computed != generation or kept_basis != expected_basis:
        return False
    if valid_until is None:
        return iso_day(kept_as_of) == as_of
    return iso_day(kept_as_of) <= as_of < iso_day(valid_until)  # ISO text sorts as dates


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def iso_day(value: dt.date | str) -> str:
    """Return a day as ISO text, whether the database gave a date or its text."""
    return value[:10] if isinstance(value, str) else value.isoformat()


def may_keep(as_of: dt.date) -> bool:
    """Rows are kept for today's report only, and never from inside a caller's transaction
    (the generation read must see what is committed, not what the caller has pending)."""
    return as_of == dt.date.today() and not db.in_transaction()


def prepare(
    pathways: Sequence[Pathway], known: Mapping[int, int | None] | None = None
) -> dict[int, int]:
    """Make sure each pathway has a kept row; return each one's generation, read now.

    `known` are generations already read, before any evidence, with the pathways themselves
    (the report's scope query joins the kept rows): those pathways cost no query; only the
    others (no kept row yet, None) are inserted and read.
    """
    generations = {p.id: known[p.id] for p in pathways if known and known.get(p.id) is not None}
    missing = [p for p in pathways if p.id not in generations]
    if not missing:
        return generations
    Standing.insert_many(
        [
            {"pathway": p.id, "clinician": p.clinician_id, "association": p.association_id}
            for p in missing
        ]
    ).on_conflict_ignore().execute()
    for chunk in chunks([p.id for p in missing]):
        query = Standing.select(Standing.pathway, Standing.generation).where(
            Standing.pathway.in_(chunk)
        )
        generations.update(query.tuples())
    return generations


def keep(rows: Iterable[tuple[int, int, str, dict[str, Any]]], as_of: dt.date) -> None:
    """Write evaluated rows back where the generation is unchanged (elsewhere a ledger write
    came in between: that row stays stale).

    Each item is (pathway id, generation read by `prepare`, basis, values) with values keyed
    like the kept columns (valid_until, progress, ready, projected, status, flags,
    category_name, last_evidence_on).
    """
    day = as_of.isoformat()
    to_json = Standing.flags.db_value
    params = [
        (
            generation,
            day,
            _iso(values.get("valid_until")),
            kept_basis,
            values["progress"],
            bool(values["ready"]),
            _iso(values["projected"]),
            values["status"],
            to_json(list(values["flags"])),
            values["category_name"],
            _iso(values["last_evidence_on"]),
            pathway_id,
            generation,
        )
        for pathway_id, generation, kept_basis, values in rows
    ]
    with db.atomic():
        update_rows(Standing, KEEP_COLUMNS, ("pathway_id", "generation"), params)
