"""Define the evaluator's input: ledger items, per-clinician summaries and framework areas.

`details` keys by evidence kind (all optional unless the evaluator needs them):

- rsc: ``format`` ("individual" | "group" | "peer"), ``facilitated`` (bool),
  ``about_giving_rsc`` (bool: the session is about the RSC the clinician gives),
  ``provider_credentials`` (list of str: "IMHS", "IMHM-C", "IFRS", "IFS", "IFS:master",
  "ERS" for the Endorsed Reflective Supervisor add-on, ...), ``provider_name``.
- work: ``kind`` (one of WORK_KINDS), ``start`` and ``end`` (ISO dates; no end: still going
  on), ``paid`` (bool, default true), ``post_degree`` (bool: the clinician says it is work
  after the degree), ``families`` (int); older items carry ``years`` (float) up to their date
  instead of ``start``/``end``.
- education: ``level`` (one of EDUCATION_LEVELS), ``field``.
- reference: ``void`` (bool), ``not_enough_info`` (int: "not enough information" answers),
  ``rater_role``.
- exam: ``score`` (float, 0-100).
- membership: ``valid_until`` (ISO date str).
- agreement: ``document`` ("code_of_ethics" | "endorsement_agreement").
- any kind: ``reject_reason`` (str) when the status is "rejected".
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from lms.validation import Problem as _Problem

COUNTED = frozenset({"verified", "attested"})  # ledger statuses that count
STATUSES = frozenset({"pending", "verified", "attested", "rejected", "void"})
KINDS = frozenset(
    {"training", "rsc", "work", "education", "reference", "exam", "membership", "agreement"}
)
RSC_FORMATS = frozenset({"individual", "group", "peer"})
WORK_KINDS = (
    "paid_infant_family",
    "unpaid_infant_family",
    "dyadic_clinical",
    "leadership",
    "rsc_giving",
    "policy_leadership",
    "university_teaching_research",
)
# Ordered lowest to highest; "mh_license" ranks with graduate degrees for eligibility.
EDUCATION_LEVELS = ("cda", "associate_related", "bachelor", "master", "doctorate", "mh_license")
GRADUATE_LEVELS = frozenset({"master", "doctorate", "mh_license"})
AGREEMENT_DOCUMENTS = ("code_of_ethics", "endorsement_agreement")
AREA_IDS_KEPT = 5  # evidence ids an AreaEvidence keeps, enough for a reviewer to spot-check


Problem = _Problem  # one error found in an input, and where it is (shared by every reader)
_NO_DETAILS: Mapping[str, Any] = {}  # the details of an item made without any (never changed)


class EvidenceItem(NamedTuple):
    """One ledger row; used for every kind except counted training (which is aggregated).

    A named tuple, not a dataclass: a clinician's summary holds dozens of them, made by
    `build_summaries` and read back from kept summaries (`kept_summaries`), and a tuple is made,
    unpickled and read about twice as fast. Equal rows are equal; the hash leaves `details`
    out (a dict cannot be hashed), so items still work in sets. `details` is read-only: the
    items of one summary share the dict of each text.
    """

    id: int
    kind: str
    date: datetime.date
    status: str
    hours: float = 0.0
    areas: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    provider_id: int | None = None  # rsc: the provider's user id
    details: Mapping[str, Any] = _NO_DETAILS
    label: str = ""  # human text, e.g. training title or provider name

    def __hash__(self) -> int:
        return hash((*self[:8], self.label))

    @property
    def counted(self) -> bool:
        """Tell whether the ledger status lets this row count."""
        return self.status in COUNTED


class AreaEvidence(NamedTuple):
    """Aggregate of the counted evidence covering one area (a named tuple, as EvidenceItem)."""

    count: int
    hours: float
    evidence_ids: tuple[int, ...]  # at most AREA_IDS_KEPT, the latest first
    kinds: frozenset[str]


@dataclass(frozen=True)
class AreaInfo:
    """One competency area of a framework: identifier, name, domain and where it applies."""

    id: str
    name: str
    domain: str
    categories: frozenset[str]


@dataclass(frozen=True)
class Summary:
    """One clinician's evidence as the evaluator reads it.

    The aggregates (training_*, areas) are taken as given: build them over the evidence up to
    the evaluation date (or over one calendar year for a renewal). `items` are filtered by
    date in the evaluator.
    """

    clinician_id: int
    training_hours: Mapping[str, float]  # "*" = all counted training hours; one key per tag
    training_count: int
    training_monthly: Mapping[str, float]  # "YYYY-MM" -> counted training hours that month
    areas: Mapping[str, AreaEvidence]  # from counted evidence of any kind
    items: tuple[EvidenceItem, ...]  # every non-training row + non-counted training rows
    # Counted training hours by the row's whole tag set ("dei,rsc-topic"; "" = untagged): what
    # a composite requirement needs to give each hour to one part only.
    training_by_tags: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_items(
        cls,
        clinician_id: int,
        items: Iterable[EvidenceItem],
        *,
        start: datetime.date | None = None,
        end: datetime.date | None = None,
    ) -> Summary:
        """Build a summary from every ledger row, keeping rows dated within [start, end].

        Sums use math.fsum so the result does not depend on the order of the rows.
        """
        kept = [
            it
            for it in items
            if (start is None or it.date >= start) and (end is None or it.date <= end)
        ]
        kept.sort(key=lambda it: (it.date, it.id))
        hours: dict[str, list[float]] = defaultdict(list)
        by_tags: dict[str, list[float]] = defaultdict(list)
        monthly: dict[str, list[float]] = defaultdict(list)
        training_count = 0
        by_area: dict[str, list[EvidenceItem]] = defaultdict(list)
        rest: list[EvidenceItem] = []
        for it in kept:
            if it.counted:
                for area in it.areas:
                    by_area[area].append(it)
            if it.kind == "training" and it.counted:
                training_count += 1
                hours["*"].append(it.hours)
                for tag in it.tags:
                    hours[tag].append(it.hours)
                by_tags[",".join(sorted(it.tags))].append(it.hours)
                monthly[f"{it.date.year:04d}-{it.date.month:02d}"].append(it.hours)
            else:
                rest.append(it)
        areas = {
            area: AreaEvidence(
                count=len(rows),
                hours=math.fsum(r.hours for r in rows),
                evidence_ids=tuple(r.id for r in reversed(rows[-AREA_IDS_KEPT:])),
                kinds=frozenset(r.kind for r in rows),
            )
            for area, rows in by_area.items()
        }
        training_hours = {key: math.fsum(v) for key, v in hours.items()}
        training_hours.setdefault("*", 0.0)
        return cls(
            clinician_id=clinician_id,
            training_hours=training_hours,
            training_count=training_count,
            training_monthly={key: math.fsum(v) for key, v in sorted(monthly.items())},
            areas=areas,
            items=tuple(rest),
            training_by_tags={key: math.fsum(v) for key, v in by_tags.items()},
        )
