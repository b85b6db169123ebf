"""The what-if planner's engine: a clinician's own record, plus what they plan, evaluated side by
side with today. Nothing is saved: the plan travels with the page as a list of portfolio items
(the README's portfolio format), checked by the portfolio reader on every request.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from competencies import ledger, pathways
from competencies.models import RuleSet
from competencies.portfolio import PortfolioError, parse_portfolio
from competencies.rules import Node
from competencies.rulesets import bound_rule_set
from competencies.types import EvidenceItem, Problem, Summary

MAX_PLAN_ITEMS = 200
PLANNED_PROVIDER = "The provider I plan to meet"
# Planned items and planned providers get negative ids: they never meet a ledger row's id.
_PLAN_ID = -1
_PLAN_PROVIDER_ID = -1_000


@dataclass(frozen=True)
class Comparison:
    today: pathways.Evaluation
    planned: pathways.Evaluation
    planned_as_of: dt.date


class _Pathway:
    """Stands in for a Pathway (nothing is stored)."""

    def __init__(self, rule_set, category, started_on, key=None, association_id=None):
        self.rule_set = rule_set
        self.association_id = association_id  # whose upcoming trainings the page may list
        self.category = category
        self.started_on = started_on
        self.id = key  # only names the page's elements ("today", "planned")


def own_items(clinician_id: int, association_id: int) -> list[EvidenceItem]:
    """The clinician's ledger rows in the association (void rows left out), as items."""
    return ledger.items_of(association_id, [clinician_id])[clinician_id]


def read_plan(text: str | None) -> list[dict[str, Any]]:
    """Read the plan the page carries; raise PortfolioError naming what is wrong."""
    if not text:
        return []
    try:
        plan = json.loads(text)
    except json.JSONDecodeError:
        raise PortfolioError([Problem("plan", "the plan could not be read; start again")]) from None
    if not isinstance(plan, list):
        raise PortfolioError([Problem("plan", "the plan is a list of items")])
    if len(plan) > MAX_PLAN_ITEMS:
        raise PortfolioError([Problem("plan", f"a plan holds at most {MAX_PLAN_ITEMS} items")])
    plan_items(plan)  # checks every item
    return plan


def plan_items(plan: Sequence[Mapping[str, Any]]) -> list[EvidenceItem]:
    """Check the planned items with the portfolio reader; give them ids no ledger row has."""
    items = parse_portfolio({"evidence": list(plan)}).items
    return [
        item._replace(
            id=_PLAN_ID - i,
            provider_id=None if item.provider_id is None else _PLAN_PROVIDER_ID - item.provider_id,
        )
        for i, item in enumerate(items)
    ]


def rsc_at_pace(
    hours_per_month: float,
    start: dt.date,
    months: int,
    *,
    provider_credential: str,
    fmt: str = "individual",
) -> list[dict[str, Any]]:
    """Planned RSC: `hours_per_month` on the first day of each of `months` months from `start`."""
    out = []
    year, month = start.year, start.month
    for _ in range(months):
        day = dt.date(year, month, 1) if (year, month) != (start.year, start.month) else start
        out.append(
            {
                "kind": "rsc",
                "date": day.isoformat(),
                "hours": hours_per_month,
                "provider": PLANNED_PROVIDER,
                "details": {"format": fmt, "provider_credentials": [provider_credential]},
                "label": "Planned reflective supervision",
            }
        )
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def _evaluate(rule_set, category, items, started_on, as_of, key, association_id):
    summary = Summary.from_items(0, list(items), end=as_of)
    result = pathways.evaluate_with(rule_set, category, summary, as_of)
    stand_in = _Pathway(rule_set, category, started_on, key, association_id)
    return pathways.Evaluation(pathway=stand_in, result=result, summary=summary)


def compare(
    rule_set: RuleSet,
    category: str,
    own: Sequence[EvidenceItem],
    plan: Sequence[Mapping[str, Any]],
    today: dt.date,
    started_on: dt.date | None = None,
    association_id: int | None = None,
) -> Comparison:
    """Evaluate the record today, and the record with the plan on the day its last item is done."""
    planned = plan_items(plan)
    as_of = max([today, *(item.date for item in planned)])
    started_on = started_on or today
    return Comparison(
        today=_evaluate(rule_set, category, own, started_on, today, "today", association_id),
        planned=_evaluate(
            rule_set, category, [*own, *planned], started_on, as_of, "planned", association_id
        ),
        planned_as_of=as_of,
    )


def _walk(node: Node) -> Iterable[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _tags_in(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "tags" and isinstance(inner, list | tuple | frozenset | set):
                yield from (str(t) for t in inner)
            else:
                yield from _tags_in(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _tags_in(inner)


def training_tags(rule_set: RuleSet, category: str) -> list[str]:
    """The training tags the category's requirements ask about (e.g. dei, rsc-topic)."""
    rules = bound_rule_set(rule_set)
    cat = rules.categories.get(category)
    if cat is None:
        return []
    found: dict[str, None] = {}
    for root in (cat.requires, cat.renewal):
        if root is not None:
            for node in _walk(root):
                for tag in _tags_in(dict(node.params)):
                    found.setdefault(tag, None)
    return list(found)


def provider_credentials(rule_set: RuleSet) -> list[str]:
    """Every credential that qualifies an RSC provider for some category of the rule set."""
    rules = bound_rule_set(rule_set)
    found: dict[str, None] = {}
    for creds in rules.rsc_eligibility.values():
        for cred in creds:
            found.setdefault(cred.split(":")[0], None)
    return sorted(found)
