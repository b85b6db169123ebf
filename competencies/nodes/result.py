"""What evaluating a requirement gives (Result) and the small helpers every node type shares (pure).

Progress is 0..1 at every node; status is "met" when the requirement is satisfied, "expired"
for a membership that ended, otherwise "in_progress" when progress > 0 and "not_started".
"""

from __future__ import annotations

import calendar
import datetime
import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from competencies.types import EvidenceItem, Problem, Summary
from competencies.vocabulary import KIND_WORDS

if TYPE_CHECKING:
    from competencies.nodes.base import NodeType
    from competencies.rules import Category, Node, RuleSet

MET, IN_PROGRESS, NOT_STARTED, EXPIRED = "met", "in_progress", "not_started", "expired"
EPS = 1e-9  # hour sums are compared after float addition and subtraction


class EvaluationError(ValueError):
    """The rule set cannot be evaluated as asked; `.errors` lists every problem."""

    def __init__(self, errors: list[Problem]) -> None:
        self.errors = errors
        super().__init__("cannot evaluate: " + "; ".join(str(e) for e in errors))


# Frozen dataclasses made in the hot loop write their fields with one dict update
# (`__init__` below, init=False) instead of one object.__setattr__ per field: a Result is made
# three times faster, and an evaluation makes a dozen. Equality, hashing, repr and
# immutability stay the dataclass's; tests/competencies/test_fast_init_equals_dataclass.py
# holds each __init__ to the fields.


@dataclass(frozen=True, init=False)
class Figures:
    """The numbers behind a requirement, and a text such as "RSC 32.5 of 50 h"."""

    value: float
    target: float
    unit: str
    text: str

    def __init__(self, value: float, target: float, unit: str, text: str) -> None:
        vars(self).update(value=value, target=target, unit=unit, text=text)


class NotCounted:
    """A piece of evidence that did not count, and why in plain words.

    Immutable; compares, hashes, prints and pickles as the pair (evidence_id, reason). Made by
    `not_counted`, the reason's text is written when first read: a report reads none of them,
    and a tree holds a dozen or more.
    """

    __slots__ = ("_id", "_text", "_why", "_item")

    def __init__(self, evidence_id: int, reason: str) -> None:
        self._id = evidence_id
        self._text: str | None = reason

    @property
    def evidence_id(self) -> int:
        """The ledger row's id."""
        return self._id

    @property
    def reason(self) -> str:
        """Why it did not count: "<hours or kind> on <date>: <why>"."""
        text = self._text
        if text is None:  # two threads may both write it: the same text
            text = self._text = f"{_prefix(self._item)}: {self._why}"
        return text

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not NotCounted:
            return NotImplemented
        return self._id == other._id and self.reason == other.reason  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self._id, self.reason))

    def __repr__(self) -> str:
        return f"NotCounted(evidence_id={self._id!r}, reason={self.reason!r})"

    def __reduce__(self) -> tuple:
        return NotCounted, (self._id, self.reason)


@dataclass(frozen=True, init=False)
class Result:
    """One node of the readiness tree; the root also carries the verdict and its context.

    `forecast` is empty after `evaluate`; `competencies.forecast.attach` fills it.
    """

    type: str
    label: str
    status: str
    progress: float
    path: str = ""
    figures: Figures | None = None
    evidence_ids: tuple[int, ...] = ()
    not_counted: tuple[NotCounted, ...] = ()
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    children: tuple[Result, ...] = ()
    weight: int = 1  # leaf requirements below this node, including itself if a leaf
    ready: bool | None = None
    category: str | None = None
    category_name: str | None = None
    rule_set_name: str | None = None
    rule_set_version: str | None = None
    as_of: datetime.date | None = None
    forecast: Any = None

    def __init__(
        self,
        type: str,
        label: str,
        status: str,
        progress: float,
        path: str = "",
        figures: Figures | None = None,
        evidence_ids: tuple[int, ...] = (),
        not_counted: tuple[NotCounted, ...] = (),
        missing: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
        children: tuple[Result, ...] = (),
        weight: int = 1,
        ready: bool | None = None,
        category: str | None = None,
        category_name: str | None = None,
        rule_set_name: str | None = None,
        rule_set_version: str | None = None,
        as_of: datetime.date | None = None,
        forecast: Any = None,
    ) -> None:
        vars(self).update(
            type=type,
            label=label,
            status=status,
            progress=progress,
            path=path,
            figures=figures,
            evidence_ids=evidence_ids,
            not_counted=not_counted,
            missing=missing,
            notes=notes,
            children=children,
            weight=weight,
            ready=ready,
            category=category,
            category_name=category_name,
            rule_set_name=rule_set_name,
            rule_set_version=rule_set_version,
            as_of=as_of,
            forecast=forecast,
        )

    @property
    def met(self) -> bool:
        """Tell whether the requirement is satisfied."""
        return self.status == MET

    def walk(self) -> Iterator[Result]:
        """Yield this node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> Iterator[Result]:
        """Yield the leaf requirements."""
        return (r for r in self.walk() if not r.children)

    def all_not_counted(self) -> tuple[NotCounted, ...]:
        """Return every not-counted entry below this node, once each."""
        seen: dict[tuple[int, str], NotCounted] = {}
        for r in self.walk():
            for nc in r.not_counted:
                seen.setdefault((nc.evidence_id, nc.reason), nc)
        return tuple(seen.values())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of this node and its children."""
        out: dict[str, Any] = {
            "type": self.type,
            "label": self.label,
            "status": self.status,
            "progress": self.progress,
            "path": self.path,
            "figures": None
            if self.figures is None
            else {
                "value": self.figures.value,
                "target": self.figures.target,
                "unit": self.figures.unit,
                "text": self.figures.text,
            },
            "evidence_ids": list(self.evidence_ids),
            "not_counted": [
                {"evidence_id": n.evidence_id, "reason": n.reason} for n in self.not_counted
            ],
            "missing": list(self.missing),
            "notes": list(self.notes),
            "children": [c.to_dict() for c in self.children],
        }
        if self.category is not None:
            out.update(
                ready=self.ready,
                category=self.category,
                category_name=self.category_name,
                rule_set={"name": self.rule_set_name, "version": self.rule_set_version},
                as_of=self.as_of.isoformat() if self.as_of else None,
            )
        if self.forecast is not None:
            out["forecast"] = self.forecast.to_dict()
        return out


_RESULT_FIELDS = frozenset(Result.__dataclass_fields__)


def replaced(result: Result, **changes: Any) -> Result:
    """Return `dataclasses.replace(result, **changes)`, made by copying the fields at once:
    `replace` reads the class's fields again on every call, and each evaluation remakes its
    root twice (the verdict, then the forecast)."""
    if not changes.keys() <= _RESULT_FIELDS:
        raise TypeError(f"Result has no field {sorted(changes.keys() - _RESULT_FIELDS)[0]!r}")
    new = object.__new__(result.__class__)
    vars(new).update(vars(result), **changes)  # frozen: only __setattr__ is refused
    return new


# --- small helpers -------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)  # the window search asks for the same dates many times
def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the same day `months` later (earlier if negative), clamped to the month's end."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1]
    return datetime.date(year, month0 + 1, min(day.day, last))


def _tenths(value: float, up: bool) -> int:
    # The tolerance keeps float sums such as 0.1 + 0.2 on their tenth.
    return math.ceil(value * 10 - 1e-6) if up else math.floor(value * 10 + 1e-6)


def fmt(value: float, up: bool = False) -> str:
    """Format hours, years or a score to one decimal without a trailing zero: 4, 32.5.

    Rounded down (a figure never shows more than there is), or up with `up` (an amount still
    needed never shows less than is needed).
    """
    tenths = _tenths(value, up)
    text = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    return "0" if text == "-0" else text


def plural(n: float, one: str, many: str) -> str:
    """Return `one` for exactly 1, else `many`."""
    return one if n == 1 else many


def more(amount: float, one: str, many: str) -> str:
    """Return "1 more hour", "2.5 more hours": an amount still needed, rounded up."""
    shown = fmt(amount, up=True)
    return f"{shown} more {plural(float(shown), one, many)}"


def status(met: bool, progress: float) -> str:
    """Return the status of a requirement from whether it is met and its progress."""
    if met:
        return MET
    return IN_PROGRESS if progress > 0 else NOT_STARTED


def ratio(value: float, target: float) -> float:
    """Return value / target clamped to 0..1 (1 for a target of 0)."""
    if target <= 0:
        return 1.0
    return max(0.0, min(1.0, value / target))


def _prefix(item: EvidenceItem) -> str:
    if item.hours:
        return f"{fmt(item.hours)} h on {item.date.isoformat()}"
    return f"{KIND_WORDS.get(item.kind, item.kind)} on {item.date.isoformat()}"


def status_reason(item: EvidenceItem) -> str:
    """Return why an item of a status that does not count does not count."""
    if item.status == "pending":
        return "not yet attested by the provider" if item.kind == "rsc" else "not yet verified"
    if item.status == "rejected":
        why = str(item.details.get("reject_reason") or "").strip()
        return f"rejected — {why}" if why else "rejected"
    if item.status == "void":
        return "replaced by a correction"
    return f"status {item.status!r} does not count"


def not_counted(item: EvidenceItem, reason: str) -> NotCounted:
    """Return the not-counted entry of an item: "<hours or kind> on <date>: <reason>", its
    text written when first read (a report makes a dozen or more of these a pathway)."""
    entry = _new_entry(NotCounted)
    entry._id, entry._text, entry._why, entry._item = item.id, None, reason, item
    return entry


_new_entry = object.__new__


def reason_of(entry: NotCounted) -> str:
    """Return the reason of a not-counted entry without its "<what> on <date>: " prefix."""
    return entry.reason.split(": ", 1)[-1]


def label(node: Node, default: str) -> str:
    """Return the node's own label, else the default."""
    return node.params.get("label") or default


# What a node type works out from the rules alone, not the evidence (the areas a coverage node
# asks for, ...): made once per bound rule set instead of once per evaluation. Keyed by the
# identity of the rule set, category and node; an entry holds them, so no id is reused while
# it lives. Rules only, never evidence: nothing here depends on whose summary is evaluated.
_FROM_RULES: dict[tuple[str, int, int, int], tuple[Any, ...]] = {}
FROM_RULES_SIZE = 4096  # entries; emptied when full (a few per node of the rule sets in use)


def from_rules(name: str, node: Node, ctx: Context, make: Callable[[Node, Context], Any]) -> Any:
    """Return `make(node, ctx)`, made once per rule set, category and node (`make` must read
    nothing but the rules from `ctx`)."""
    rule_set, category = ctx.rule_set, ctx.category
    key = (name, id(rule_set), id(category), id(node))
    hit = _FROM_RULES.get(key)
    if hit is not None and hit[0] is rule_set and hit[1] is category and hit[2] is node:
        return hit[3]
    value = make(node, ctx)
    if len(_FROM_RULES) >= FROM_RULES_SIZE:
        _FROM_RULES.clear()
    _FROM_RULES[key] = (rule_set, category, node, value)
    return value


@dataclass
class Context:
    """What evaluating one category needs: the rules, the evidence by kind and the node types."""

    rule_set: RuleSet
    category: Category
    summary: Summary
    as_of: datetime.date  # items dated after it are ignored
    membership_on: datetime.date  # the day a membership must still be valid
    by_kind: Mapping[str, list[EvidenceItem]]
    types: Mapping[str, NodeType]
    endorsed_on: datetime.date | None = None  # a renewal: the day the category was awarded
    period_end: datetime.date | None = None  # a renewal: the last day evidence can count
    # Work a node type does once per context and reads again (its forecast walks the same
    # context): keyed by the type's name and the node's id.
    memo: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False, compare=False)

    def counted(self, kind: str) -> list[EvidenceItem]:
        """Return the items of a kind whose status counts."""
        return [it for it in self.by_kind.get(kind, ()) if it.counted]

    def evaluate(self, node: Node) -> Result:
        """Evaluate one node through its type."""
        return self.types[node.type].evaluate(node, self)
