"""The contract of a rule-node type: every hook the evaluator, forecast, pages and charts call.

A node type is one module of `competencies.nodes` holding one `NodeType` subclass instance
named ``TYPE``. Leaf types derive from `Leaf` (parameters in a mapping, an optional ``label``),
combinators from `Composite`. Hooks, each called through the registry ``NODE_TYPES[name]``:

- ``Params``: a pydantic model of the normalised parameters (the schema: types, defaults and
  titles; `form_fields` reads it). Documents are checked by ``parse``, which keeps the
  precise messages rule-set authors and tests rely on; the test suite proves that whatever
  ``parse`` accepts validates against ``Params``.
- ``parse(ck, body, where, ctx)``: normalise the document body, report problems to the
  checker; return (params, children).
- ``evaluate(node, ctx)``: the Result of the node (pure; children through ``ctx.evaluate``).
- ``forecast(fc, node, res)``: the date the node is projected to be met, or None (children
  through ``fc.node``; leaves record their `LeafForecast` with ``fc.record``). Only called
  for a leaf that is not met.
- ``describe(node, exam, area_count)``: the requirement in plain words for the rule-set page.
- ``form_fields()``: the parameters as form fields (from ``Params``).
- ``explain(res, items, node)``: what a page explaining the verdict shows (`Explanation`).
- ``chart(result, summary)``: the hours series the type adds to the hours chart, or None.
"""

from __future__ import annotations

import abc
import datetime
import functools
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from competencies.checker import Checker
from competencies.nodes.result import Result, add_months, reason_of
from competencies.types import EvidenceItem, Summary

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.rules import ExamRules, Node

DAYS_PER_MONTH = 365.25 / 12
HORIZON_MONTHS = 60  # beyond five years a projection says nothing useful
ON_PACE, NEEDS_ACTION, NO_PACE = "on_pace", "needs_action", "no_pace"

Parsed = tuple[dict[str, Any], tuple["Node", ...]]


class ParamsModel(BaseModel):
    """Base of the parameter models: frozen, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class LeafParams(ParamsModel):
    """Parameters every leaf accepts."""

    label: str | None = None


@dataclass(frozen=True)
class ParseContext:
    """What parsing one category's requirements knows, and how to parse a child node."""

    category: str
    eligibility_keys: Mapping[str, tuple[str, ...]]
    categories: Sequence[str]
    parse_node: Callable[[Checker, Any, str, ParseContext], Node]

    def node(self, ck: Checker, doc: Any, where: str) -> Node:
        """Parse a child requirement."""
        return self.parse_node(ck, doc, where, self)


@dataclass(frozen=True)
class FormField:
    """One parameter of a node type as a form field."""

    name: str
    title: str
    annotation: str
    required: bool
    default: Any


@dataclass(frozen=True)
class Explanation:
    """Why a requirement stands where it does: evidence counted, span, window, reasons."""

    counted: tuple[EvidenceItem, ...]
    first: datetime.date | None
    last: datetime.date | None
    window_months: tuple[int, int] | None = None
    window_closes: datetime.date | None = None
    reasons: Mapping[int, list[str]] = field(default_factory=dict)  # evidence id -> why not


@dataclass(frozen=True)
class ChartSeries:
    """Hours a node type adds to the hours chart: its target and counted hours by month."""

    series: str
    target: float
    monthly: Mapping[str, float]


@dataclass(frozen=True, init=False)
class LeafForecast:
    """When one leaf requirement will be met, or why no date can be given."""

    path: str
    type: str
    label: str
    status: str  # met | on_pace | needs_action | no_pace
    date: datetime.date | None
    text: str

    def __init__(
        self, path: str, type: str, label: str, status: str, date: datetime.date | None, text: str
    ) -> None:
        # One dict update, not six object.__setattr__ calls (see nodes.result.Figures).
        vars(self).update(path=path, type=type, label=label, status=status, date=date, text=text)


def after(day: datetime.date, months: float) -> datetime.date:
    """Return the day a (fractional) number of months later."""
    return day + datetime.timedelta(days=math.ceil(months * DAYS_PER_MONTH))


def month_key(day: datetime.date) -> str:
    """Return "YYYY-MM"."""
    return f"{day.year:04d}-{day.month:02d}"


@functools.lru_cache(maxsize=64)  # the same for every clinician evaluated on a day
def _rate_months(as_of: datetime.date) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the keys of the 6 months up to as_of's, and of the 6 before, latest first."""
    first = as_of.replace(day=1)
    keys = tuple(month_key(add_months(first, -k)) for k in range(12))
    return keys[:6], keys[6:]


def weighted_rate(monthly: Mapping[str, float], as_of: datetime.date) -> float:
    """Return hours per month: the last 6 months (as_of's included) count twice the 6 before."""
    recent_months, older_months = _rate_months(as_of)
    recent = math.fsum([monthly.get(key, 0.0) for key in recent_months])
    older = math.fsum([monthly.get(key, 0.0) for key in older_months])
    return (2 * recent / 6 + older / 6) / 3


def leaf_forecast(
    node: Node, res: Result, status: str, day: datetime.date | None, text: str
) -> LeafForecast:
    """Return the forecast of a leaf."""
    return LeafForecast(node.path, node.type, res.label, status, day, text)


def needs_action(node: Node, res: Result) -> LeafForecast:
    """Return the forecast of a leaf met by an act rather than over time."""
    task = res.missing[0] if res.missing else "needs action"
    return leaf_forecast(node, res, NEEDS_ACTION, None, f"Needs action: {task}")


def on_pace(node: Node, res: Result, as_of: datetime.date, months: float) -> LeafForecast:
    """Return the forecast of a leaf met `months` from now at the current pace."""
    if months > HORIZON_MONTHS:
        return leaf_forecast(
            node, res, NO_PACE, None, "At this pace it would take more than five years"
        )
    day = after(as_of, months)
    return leaf_forecast(node, res, ON_PACE, day, f"At your pace: around {day.isoformat()}")


def explanation(res: Result, items: Mapping[int, EvidenceItem]) -> Explanation:
    """Return the evidence a result counted (among `items`), its span and the reasons."""
    counted = tuple(items[i] for i in res.evidence_ids if i in items)
    reasons: dict[int, list[str]] = defaultdict(list)
    for nc in res.all_not_counted():
        reasons[nc.evidence_id].append(reason_of(nc))
    return Explanation(
        counted,
        min((it.date for it in counted), default=None),
        max((it.date for it in counted), default=None),
        reasons=dict(reasons),
    )


class NodeType(abc.ABC):
    """One kind of requirement node; see the module docstring for the hooks."""

    name: ClassVar[str]
    title: ClassVar[str]  # what the requirement is called when it has no label
    composite: ClassVar[bool]
    kinds: ClassVar[tuple[str, ...]] = ()  # evidence kinds whose rows it judges one by one
    Params: ClassVar[type[ParamsModel]]
    HOOKS: ClassVar[tuple[str, ...]] = (
        "parse",
        "evaluate",
        "forecast",
        "describe",
        "form_fields",
        "explain",
        "chart",
    )

    @abc.abstractmethod
    def parse(self, ck: Checker, body: Any, where: str, ctx: ParseContext) -> Parsed:
        """Normalise a document body; report problems to `ck`; return (params, children)."""

    @abc.abstractmethod
    def evaluate(self, node: Node, ctx: Any) -> Result:
        """Return the node's Result."""

    @abc.abstractmethod
    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        """Return the day the node is projected to be met, or None."""

    @abc.abstractmethod
    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        """Return the requirement in plain words with its numbers (label not included)."""

    def form_fields(self) -> tuple[FormField, ...]:
        """Return the parameters as form fields, in the order of `Params`."""
        return tuple(
            FormField(
                name,
                f.title or name.replace("_", " ").capitalize(),
                str(f.annotation),
                f.is_required(),
                None if f.is_required() else f.get_default(call_default_factory=True),
            )
            for name, f in self.Params.model_fields.items()
        )

    def explain(
        self, res: Result, items: Mapping[int, EvidenceItem], node: Node | None = None
    ) -> Explanation:
        """Return the explanation of a verdict; `items` are the evidence rows by id."""
        return explanation(res, items)

    def chart(self, result: Result, summary: Summary) -> ChartSeries | None:
        """Return the hours series this type adds to the hours chart, if any."""
        return None


class Leaf(NodeType):
    """A requirement measured on evidence: parameters in a mapping, an optional label."""

    composite = False
    Params: ClassVar[type[ParamsModel]] = LeafParams

    def parse(self, ck: Checker, body: Any, where: str, ctx: ParseContext) -> Parsed:
        """Check the body is a mapping, normalise its parameters and label."""
        if body is None:
            body = {}
        body = ck.mapping(body, where)
        if body is None:
            return {}, ()
        params = self.parse_params(ck, body, where, ctx)
        if "label" in body:
            params["label"] = ck.string(body, "label", where)
        return params, ()

    @abc.abstractmethod
    def parse_params(
        self, ck: Checker, body: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        """Return the normalised parameters (without the label)."""


class ActLeaf(Leaf):
    """A leaf met by a single act (a degree, a signature): it gets no projected date."""

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        """Record "needs action" with the first missing task."""
        return fc.record(needs_action(node, res))


class Composite(NodeType):
    """A combinator of child requirements."""

    composite = True
    kinds = ()
