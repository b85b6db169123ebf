"""Kept evidence summaries: re-evaluate a pathway without its summary queries when the
clinician's ledger has not changed.

Most re-evaluations happen with the ledger as it was: a kept readiness row's day came (a month
boundary, a supervision window closing), a new rule-set edition, the first report after a
framework edit. Building the summaries is two thirds of a stale pathway's cost, so the batch
path (`competencies.readiness`) keeps each clinician's summary in `KeptSummary` and reads it
back the next time.

A kept summary is current while:
- `computed` equals `generation`: every ledger write for the clinician in the association bumps
  `generation` in its own transaction (`competencies.standing.touch`, with the kept rows'), and
  `load` reads the generation before any evidence is read, so a write that lands in between
  makes the conditional write of `keep` match nothing (as for the kept readiness rows);
- the day asked for is on or after its `as_of` and before `until`, the clinician's next
  evidence date after `as_of` (the summary holds the evidence dated up to its day);
- its `shape` is this code's (`SHAPE`): the summary's classes and fields, and `FORMAT`, which
  changes whenever `build_summaries` would build other values from the same ledger.

The summary is pickled; it is read back with an unpickler that accepts only the summary's own
classes, dates and frozensets (from at most MAX_BYTES), so a row altered in the database can
fail to load (it is then rebuilt) but cannot run code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence

from competencies.models import KeptSummary
from competencies.standing import chunks, iso_day
from competencies.summaries import build_summaries, empty_summary
from competencies.types import AreaEvidence, EvidenceItem, Summary
from lms.db import db, update_rows

MAX_BYTES = 16 * 1024 * 1024  # a kept summary is no larger (~5.5 kB for 300 ledger rows)
# Bump when build_summaries makes other values from the same ledger, or a summary is kept
# another way (2: EvidenceItem and AreaEvidence became named tuples; 3: not compressed).
FORMAT = 3
_CLASSES = (Summary, EvidenceItem, AreaEvidence)
SHAPE = hashlib.sha256(
    repr(
        (
            FORMAT,
            [
                (c.__name__, getattr(c, "_fields", None) or [f.name for f in dataclasses.fields(c)])
                for c in _CLASSES
            ],
        )
    ).encode()
).hexdigest()[:16]

_ALLOWED = {
    **{(c.__module__, c.__name__): c for c in _CLASSES},
    ("datetime", "date"): dt.date,
    ("builtins", "frozenset"): frozenset,
}


class _Unpickler(pickle.Unpickler):
    """Load only the summary's classes, dates and frozensets (no other global, so no code)."""

    def find_class(self, module: str, name: str):
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a summary")
        return found


def dumps(summary: Summary) -> bytes:
    """Return a summary as kept: pickled (about 5.5 kB for 300 ledger rows). Not compressed:
    inflating it took a quarter of the time reading it back takes, for 2.5 times the room."""
    return pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Summary | None:
    """Return a kept summary, or None if it cannot be read as one."""
    if len(data) > MAX_BYTES:
        return None  # larger than any summary
    try:
        summary = _Unpickler(io.BytesIO(data)).load()
    except Exception:  # a damaged or foreign row is rebuilt, never trusted
        return None
    return summary if type(summary) is Summary else None


# What decides whether a kept summary is current, and the summary itself, in this order
# (`current`): a reader may select them with its own query (`pathways.open_pathways`).
COLUMNS = (
    KeptSummary.generation,
    KeptSummary.computed,
    KeptSummary.as_of,
    KeptSummary.until,
    KeptSummary.shape,
    KeptSummary.data,
)


def holds(kept: Sequence | None, as_of: dt.date) -> bool:
    """Tell whether a kept row (its COLUMNS as the database gives them) is current as of a
    day, its summary not yet read."""
    if kept is None:
        return False
    generation, computed, kept_day, until, shape, data = kept
    day = as_of.isoformat()
    return not (
        computed != generation
        or computed is None
        or shape != SHAPE
        or data is None
        or iso_day(kept_day) > day
        or (until is not None and day >= iso_day(until))
    )


def summary_of(clinician_id: int, data: bytes | memoryview) -> Summary | None:
    """Return the clinician's summary kept as `data`, or None if it cannot be read as theirs."""
    summary = loads(bytes(data))
    return summary if summary is not None and summary.clinician_id == clinician_id else None


def current(clinician_id: int, kept: Sequence | None, as_of: dt.date) -> Summary | None:
    """Return the summary of a kept row (its COLUMNS as the database gives them) if it is
    current as of a day, else None."""
    return summary_of(clinician_id, kept[-1]) if holds(kept, as_of) else None


class Summaries(Mapping[int, Summary]):
    """Summaries by clinician: those built now as they are, the kept ones read (unpickled)
    each time they are asked for.

    A chunk's evaluations ask for each summary once, in turn: read just before its
    evaluation and freed right after it, a summary is still in the processor's cache when
    the evaluation walks it, where a chunk's worth read at once would not be (7 % of a cold
    report's time at M). A kept row that cannot be read (damaged) is built then, from the
    ledger, as it would have been with the others.
    """

    def __init__(
        self,
        association_id: int,
        as_of: dt.date,
        kept: Mapping[int, bytes | memoryview],
        built: Mapping[int, Summary],
    ) -> None:
        self._association_id, self._as_of = association_id, as_of
        self._kept, self._built = kept, built

    def __getitem__(self, clinician_id: int) -> Summary:
        found = self._built.get(clinician_id)
        if found is not None:
            return found
        data = self._kept[clinician_id]  # KeyError: neither kept nor built
        summary = summary_of(clinician_id, data)
        if summary is None:
            summary = build_summaries(
                as_of=self._as_of, clinician_ids=[clinician_id], association_id=self._association_id
            ).get(clinician_id) or empty_summary(clinician_id)
        return summary

    def __iter__(self) -> Iterator[int]:
        yield from self._built
        yield from (cid for cid in self._kept if cid not in self._built)

    def __len__(self) -> int:
        return len(self._built) + sum(1 for cid in self._kept if cid not in self._built)


def _read(
    association_id: int, clinician_ids: Iterable[int], as_of: dt.date, *, make: bool
) -> tuple[dict[int, bytes | memoryview], dict[int, int]]:
    """Return the data of these clinicians' kept summaries current as of a day (not yet
    read) and the generation of every one of them, read now (before any evidence; rows are
    made for clinicians with none, unless `make` is false: a page's read writes nothing)."""
    ids = sorted(set(clinician_ids))
    found: dict[int, bytes | memoryview] = {}
    generations: dict[int, int] = {}
    table = KeptSummary._meta.table_name
    param = db.obj.param
    columns = ", ".join(c.column_name for c in COLUMNS)
    for chunk in chunks(ids):
        sql = (
            f"SELECT clinician_id, {columns} FROM {table} WHERE association_id = {param} "
            f"AND clinician_id IN ({', '.join([param] * len(chunk))})"
        )
        for cid, *kept in db.execute_sql(sql, (association_id, *chunk)).fetchall():
            generations[cid] = kept[0]
            if holds(kept, as_of):
                found[cid] = kept[-1]
    missing = [cid for cid in ids if cid not in generations]
    if missing and make:
        KeptSummary.insert_many(
            [{"association": association_id, "clinician": cid} for cid in missing]
        ).on_conflict_ignore().execute()
        for chunk in chunks(missing):
            generations.update(
                KeptSummary.select(KeptSummary.clinician, KeptSummary.generation)
                .where(
                    (KeptSummary.association == association_id) & KeptSummary.clinician.in_(chunk)
                )
                .tuples()
            )
    return found, generations


def load(
    association_id: int, clinician_ids: Iterable[int], as_of: dt.date, *, make: bool = True
) -> tuple[dict[int, Summary], dict[int, int]]:
    """Return the current kept summaries of these clinicians as of a day (those that can be
    read), and the generation of every one of them, read now (`_read`)."""
    data, generations = _read(association_id, clinician_ids, as_of, make=make)
    found = {cid: summary_of(cid, d) for cid, d in data.items()}
    return {cid: s for cid, s in found.items() if s is not None}, generations


def kept_or_built(
    association_id: int,
    clinician_ids: list[int],
    as_of: dt.date,
    *,
    make: bool,
    read: Mapping[int, Sequence | None] | None = None,
) -> tuple[Summaries, dict[int, Summary], dict[int, int]]:
    """Return the summaries of these clinicians (`Summaries`: the kept ones still current,
    read when asked for), those of them built now with one round of summary queries (an empty
    one for a clinician with no evidence), and the generations `_read` read (with `make`, for
    every clinician, to `keep` the built ones).

    `read` gives kept rows (COLUMNS, or None for none) the caller read already, with its
    pathways: those clinicians' rows are not read again (their generations are not returned).
    """
    read = read or {}
    kept, generations = _read(
        association_id, [cid for cid in clinician_ids if cid not in read], as_of, make=make
    )
    for cid, row in read.items():
        if holds(row, as_of):
            kept[cid] = row[-1]
    missing = [cid for cid in clinician_ids if cid not in kept]
    built = (
        build_summaries(as_of=as_of, clinician_ids=missing, association_id=association_id)
        if missing
        else {}
    )
    built = {cid: built.get(cid) or empty_summary(cid) for cid in missing}
    return Summaries(association_id, as_of, kept, built), built, generations


def keep(
    association_id: int,
    summaries: Mapping[int, Summary],
    generations: Mapping[int, int],
    as_of: dt.date,
    until: Mapping[int, dt.date | None],
) -> None:
    """Keep summaries built as of a day where the generation is still the one `load` read;
    `until` gives each clinician's next evidence date after that day (None: none)."""
    day = as_of.isoformat()
    blob = KeptSummary.data.db_value
    params = [
        (
            generations[cid],
            day,
            None if until.get(cid) is None else until[cid].isoformat(),
            SHAPE,
            blob(dumps(summary)),
            association_id,
            cid,
            generations[cid],
        )
        for cid, summary in summaries.items()
        if cid in generations
    ]
    with db.atomic():
        update_rows(
            KeptSummary,
            ("computed", "as_of", "until", "shape", "data"),
            ("association_id", "clinician_id", "generation"),
            params,
        )
