"""Evaluate one clinician's evidence against a category of a rule set, as of a date (pure).

The result is a tree mirroring the requirement graph. Progress is 0..1 at every node:

- a leaf measures its own figures (hours, areas, references, ...);
- ``all_of`` is the mean of its children's progress weighted by the number of leaf
  requirements each holds, so the root's progress (the overall progress) treats every leaf
  requirement alike: a group of three training minimums weighs three, membership one;
- ``any_of`` takes its best child, ``at_least`` the mean of its n best children.

Status is "met" when the requirement is satisfied, "expired" for a membership that ended,
otherwise "in_progress" when progress > 0 and "not_started" when it is 0.

Each node is evaluated by its type in the registry (``NODE_TYPES[node.type].evaluate``, see
`competencies.nodes`); this module groups the evidence, walks the root and fills the verdict.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from operator import attrgetter

from competencies.nodes import NODE_TYPES
from competencies.nodes.result import (
    EXPIRED,
    IN_PROGRESS,
    MET,
    NOT_STARTED,
    Context,
    EvaluationError,
    Figures,
    NotCounted,
    Result,
    add_months,
    fmt,
    replaced,
)
from competencies.nodes.rsc_hours import RscChoice, applicant_key, rsc_best, rsc_screen
from competencies.rules import Category, RuleSet
from competencies.types import EvidenceItem, Problem, Summary
from competencies.vocabulary import DOCUMENT_WORDS, KIND_WORDS, LEVEL_WORDS, TAG_WORDS, WORK_WORDS

__all__ = [  # the evaluator's public names, wherever they are defined
    "DOCUMENT_WORDS",
    "EXPIRED",
    "IN_PROGRESS",
    "KIND_WORDS",
    "LEAF_LABELS",
    "LEVEL_WORDS",
    "MET",
    "NOT_STARTED",
    "TAG_WORDS",
    "WORK_WORDS",
    "EvaluationError",
    "Figures",
    "NotCounted",
    "Result",
    "RscChoice",
    "add_months",
    "applicant_key",
    "evaluate",
    "evaluate_renewal",
    "evaluation_context",
    "fmt",
    "missing_tasks",
    "rsc_best",
    "rsc_screen",
]

LEAF_LABELS = {name: t.title for name, t in NODE_TYPES.items() if not t.composite}
_TYPES = dict(NODE_TYPES)  # a plain dict: the lookup is in the hot loop
_ITEM_ORDER = attrgetter("date", "id")
_DATE = attrgetter("date")
# The context made last and what it was made of (one entry: evaluate, then forecast).
_last_context: tuple[RuleSet, Category, Summary, tuple, Context] | None = None


def evaluation_context(
    rule_set: RuleSet,
    category: Category,
    summary: Summary,
    as_of: datetime.date,
    start: datetime.date | None = None,
    membership_on: datetime.date | None = None,
    endorsed_on: datetime.date | None = None,
) -> Context:
    """Group a summary's items by kind, keeping those dated within [start, as_of].

    With `start` (a renewal's year), `as_of` is also the last day evidence can count. Asked
    again for the same rule set, category and summary (the same objects) and the same dates,
    it returns the context it made last: the forecast then reads what the evaluation worked
    out (`Context.memo`) instead of doing it again.
    """
    global _last_context
    dates = (as_of, start, membership_on, endorsed_on)
    last = _last_context
    if (
        last is not None
        and last[0] is rule_set
        and last[1] is category
        and last[2] is summary
        and last[3] == dates
    ):
        return last[4]
    by_kind: dict[str, list[EvidenceItem]] = defaultdict(list)
    # Sorting makes every later step independent of the order the rows arrived in.
    ordered = sorted(summary.items, key=_ITEM_ORDER)
    # Sorted by date, the items dated within [start, as_of] are one run of them.
    last = bisect.bisect_right(ordered, as_of, key=_DATE)
    first = 0 if start is None else bisect.bisect_left(ordered, start, hi=last, key=_DATE)
    for it in ordered[first:last]:
        by_kind[it.kind].append(it)
    ctx = Context(
        rule_set,
        category,
        summary,
        as_of,
        membership_on or as_of,
        by_kind,
        _TYPES,
        endorsed_on=endorsed_on,
        period_end=as_of if start is not None else None,
    )
    _last_context = (rule_set, category, summary, dates, ctx)
    return ctx


def _category(rule_set: RuleSet, code: str) -> Category:
    try:
        return rule_set.category(code)
    except KeyError as exc:
        raise EvaluationError([Problem("category", str(exc.args[0]))]) from None


def _root(result: Result, rule_set: RuleSet, cat: Category, as_of: datetime.date) -> Result:
    return replaced(
        result,
        ready=result.met,
        category=cat.code,
        category_name=cat.name,
        rule_set_name=rule_set.name,
        rule_set_version=rule_set.version,
        as_of=as_of,
    )


def missing_tasks(result: Result) -> tuple[str, ...]:
    """Return what is still to do for a result, each task once; nothing when it is met.

    The one place the dashboard, the CLI, the application snapshot and renewals take the
    missing list from. A group asks for what it still needs: every unmet child of ``all_of``,
    the best option of ``any_of``, the n best children of ``at_least`` (each composite's
    ``evaluate`` builds its ``missing`` so), so an unmet option of a met group is not missing.
    """
    if result.met:
        return ()
    return tuple(dict.fromkeys(result.missing))


def evaluate(rule_set: RuleSet, category: str, summary: Summary, as_of: datetime.date) -> Result:
    """Evaluate a clinician's readiness for a category as of a date.

    Ledger items dated after `as_of` are ignored; the summary's aggregates are used as given.
    """
    cat = _category(rule_set, category)
    ctx = evaluation_context(rule_set, cat, summary, as_of)
    return _root(ctx.evaluate(cat.requires), rule_set, cat, as_of)


def evaluate_renewal(
    rule_set: RuleSet,
    category: str,
    summary: Summary,
    year: int,
    award_date: datetime.date,
) -> Result:
    """Evaluate the yearly renewal of a category for one calendar year.

    The summary's aggregates must cover that year only (Summary.from_items(..., start=1 Jan,
    end=31 Dec) or the SQL equivalent); items outside the year are ignored here. Membership
    must be valid on the renewal due date.
    """
    cat = _category(rule_set, category)
    if year < award_date.year:
        raise EvaluationError(
            [Problem("year", f"{year} is before the award year {award_date.year}")]
        )
    due = rule_set.due_date(year)
    label = f"Renewal {year}"
    if year == award_date.year or cat.renewal is None:
        note = (
            "nothing due in the year of the award"
            if year == award_date.year
            else "this rule set has no renewal requirements for the category"
        )
        done = Result("renewal", label, MET, 1.0, f"categories.{cat.code}.renewal", notes=(note,))
        return _root(done, rule_set, cat, due)
    outside = [m for m in summary.training_monthly if not m.startswith(f"{year:04d}-")]
    if outside:
        raise EvaluationError(
            [
                Problem(
                    "summary.training_monthly",
                    f"holds {', '.join(sorted(outside)[:3])}, outside {year}: build the "
                    "summary over that year only",
                )
            ]
        )
    ctx = evaluation_context(
        rule_set,
        cat,
        summary,
        as_of=datetime.date(year, 12, 31),
        start=datetime.date(year, 1, 1),
        membership_on=due,
        endorsed_on=award_date,
    )
    result = ctx.evaluate(cat.renewal)
    return _root(replaced(result, label=label), rule_set, cat, due)
