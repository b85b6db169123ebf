"""Evaluate one clinician's evidence against a category of a rule set, as of a date (pure).

The result is a tree mirroring the requirement graph. Progress is 0..1 at every node:

- a leaf measures its own figures (hours, areas, references, ...);
- ``all_of`` is the mean of its children's progress weighted by the number of leaf
  requirements each holds, so the root's progress (the overall progress) treats every leaf
  requirement alike: a group of three training minimums weighs three, membership one;
- ``any_of`` takes its best child, ``at_least`` the mean of its n best children.

Status is "met" when the requirement is satisfied, "expired" for a membership that ended,
otherwise "in_progress" when progress > 0 and "not_started" when it is 0.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import math
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from competencies.rules import Category, Node, RuleSet
from competencies.types import GRADUATE_LEVELS, EvidenceItem, Problem, Summary

MET, IN_PROGRESS, NOT_STARTED, EXPIRED = "met", "in_progress", "not_started", "expired"

TAG_WORDS = {"dei": "diversity, equity & inclusion", "rsc-topic": "reflective supervision"}
WORK_WORDS = {
    "paid_infant_family": "paid work with infants and families",
    "dyadic_clinical": "dyadic infant–caregiver clinical work",
    "leadership": "leadership",
    "rsc_giving": "giving reflective supervision",
    "policy_leadership": "policy leadership",
    "university_teaching_research": "university teaching or research",
}
LEVEL_WORDS = {
    "cda": "CDA",
    "associate_related": "related associate degree",
    "bachelor": "bachelor's degree",
    "master": "master's degree",
    "doctorate": "doctorate",
    "mh_license": "mental-health licence",
}
DOCUMENT_WORDS = {
    "code_of_ethics": "the Code of Ethics",
    "endorsement_agreement": "the Endorsement Agreement",
}
KIND_WORDS = {
    "training": "Training",
    "rsc": "Reflective supervision",
    "work": "Work record",
    "education": "Education record",
    "reference": "Reference rating",
    "exam": "Exam",
    "membership": "Membership",
    "agreement": "Agreement",
}
LEAF_LABELS = {
    "training_hours": "Training hours",
    "area_coverage": "Competency areas",
    "rsc_hours": "Reflective supervision",
    "work_experience": "Work experience",
    "education": "Education",
    "references": "Reference ratings",
    "exam": "Exam",
    "membership": "Association membership",
    "agreement": "Signed agreements",
}
_EPS = 1e-9  # hour sums are compared after float addition and subtraction


class EvaluationError(ValueError):
    """The rule set cannot be evaluated as asked; `.errors` lists every problem."""

    def __init__(self, errors: list[Problem]) -> None:
        self.errors = errors
        super().__init__("cannot evaluate: " + "; ".join(str(e) for e in errors))


@dataclass(frozen=True)
class Figures:
    """The numbers behind a requirement, and a text such as "RSC 32.5 of 50 h"."""

    value: float
    target: float
    unit: str
    text: str


@dataclass(frozen=True)
class NotCounted:
    """A piece of evidence that did not count, and why in plain words."""

    evidence_id: int
    reason: str


@dataclass(frozen=True)
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


# --- small helpers -------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)  # the window search asks for the same dates many times
def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the same day `months` later (earlier if negative), clamped to the month's end."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1]
    return datetime.date(year, month0 + 1, min(day.day, last))


def fmt(value: float) -> str:
    """Format a number of hours or years without trailing zeros: 4, 32.5, 0.25."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _plural(n: float, one: str, many: str) -> str:
    return one if n == 1 else many


def _status(met: bool, progress: float) -> str:
    if met:
        return MET
    return IN_PROGRESS if progress > 0 else NOT_STARTED


def _ratio(value: float, target: float) -> float:
    if target <= 0:
        return 1.0
    return max(0.0, min(1.0, value / target))


def _prefix(item: EvidenceItem) -> str:
    if item.hours:
        return f"{fmt(item.hours)} h on {item.date.isoformat()}"
    return f"{KIND_WORDS.get(item.kind, item.kind)} on {item.date.isoformat()}"


def _status_reason(item: EvidenceItem) -> str:
    if item.status == "pending":
        return "not yet attested by the provider" if item.kind == "rsc" else "not yet verified"
    if item.status == "rejected":
        why = str(item.details.get("reject_reason") or "").strip()
        return f"rejected — {why}" if why else "rejected"
    if item.status == "void":
        return "replaced by a correction"
    return f"status {item.status!r} does not count"


def _nc(item: EvidenceItem, reason: str) -> NotCounted:
    return NotCounted(item.id, f"{_prefix(item)}: {reason}")


def _label(node: Node, default: str) -> str:
    return node.params.get("label") or default


@dataclass
class _Ctx:
    rule_set: RuleSet
    category: Category
    summary: Summary
    as_of: datetime.date  # items dated after it are ignored
    membership_on: datetime.date  # the day a membership must still be valid
    by_kind: Mapping[str, list[EvidenceItem]]

    def counted(self, kind: str) -> list[EvidenceItem]:
        return [it for it in self.by_kind.get(kind, ()) if it.counted]


def evaluation_context(
    rule_set: RuleSet,
    category: Category,
    summary: Summary,
    as_of: datetime.date,
    start: datetime.date | None = None,
    membership_on: datetime.date | None = None,
) -> _Ctx:
    """Group a summary's items by kind, keeping those dated within [start, as_of]."""
    by_kind: dict[str, list[EvidenceItem]] = defaultdict(list)
    # Sorting makes every later step independent of the order the rows arrived in.
    for it in sorted(summary.items, key=lambda it: (it.date, it.id)):
        if it.date <= as_of and (start is None or it.date >= start):
            by_kind[it.kind].append(it)
    return _Ctx(rule_set, category, summary, as_of, membership_on or as_of, by_kind)


# --- leaves --------------------------------------------------------------------------------


def _training_hours(node: Node, ctx: _Ctx) -> Result:
    tags = node.params["tags"]
    hours = ctx.summary.training_hours
    total = hours.get("*", 0.0)
    # Several tags add up; a row carrying two listed tags counts twice, capped by the total.
    value = min(total, math.fsum(hours.get(t, 0.0) for t in tags)) if tags else total
    target = node.params["min"]
    progress = _ratio(value, target)
    met = value + _EPS >= target
    words = " and ".join(TAG_WORDS.get(t, t) for t in tags)
    default = f"Training hours on {words}" if tags else "Training hours"
    short = f"Training on {words}" if tags else "Training"
    tagset = frozenset(tags)
    not_counted = tuple(
        _nc(it, _status_reason(it))
        for it in ctx.by_kind.get("training", ())
        if not it.counted and (not tagset or it.tags & tagset)
    )
    missing = ()
    if not met:
        on = f" on {words}" if tags else ""
        missing = (f"Complete {fmt(target - value)} more hours of training{on}",)
    return Result(
        "training_hours",
        _label(node, default),
        _status(met, progress),
        1.0 if met else progress,
        node.path,
        Figures(value, target, "h", f"{short} {fmt(value)} of {fmt(target)} h"),
        (),
        not_counted,
        missing,
    )


def _needed_areas(node: Node, ctx: _Ctx) -> list[tuple[str, str, str]]:
    """Return (id, name, domain) of the areas a coverage node asks for."""
    wanted = node.params["areas"]
    bound = {a.id: a for a in ctx.rule_set.areas}
    if wanted == "category":
        areas = ctx.rule_set.areas_for(ctx.category.code)
        if not areas:
            why = (
                "the framework's areas are not bound: call bind_areas first"
                if not ctx.rule_set.areas
                else f"no bound area applies to {ctx.category.code}"
            )
            raise EvaluationError([Problem(f"{node.path}.areas", why)])
        return [(a.id, a.name, a.domain) for a in areas]
    out = []
    for area_id in wanted:
        info = bound.get(area_id)
        out.append((area_id, info.name, info.domain) if info else (area_id, area_id, "Other"))
    return out


def _area_coverage(node: Node, ctx: _Ctx) -> Result:
    needed = _needed_areas(node, ctx)
    covered, uncovered = [], []
    for area in needed:
        ev = ctx.summary.areas.get(area[0])
        (covered if ev is not None and ev.count > 0 else uncovered).append(area)
    ids: dict[int, None] = {}
    for area in covered:
        ids.update(dict.fromkeys(ctx.summary.areas[area[0]].evidence_ids))
    n, c = len(needed), len(covered)
    met = c == n
    progress = _ratio(c, n)
    missing = ()
    if uncovered:
        by_domain: dict[str, int] = {}
        for _, _, domain in uncovered:
            by_domain[domain] = by_domain.get(domain, 0) + 1
        parts = ", ".join(f"{d} ({k})" for d, k in by_domain.items())
        k = len(uncovered)
        missing = (f"Cover {k} more {_plural(k, 'area', 'areas')}: {parts}",)
    return Result(
        "area_coverage",
        _label(node, "Competency areas"),
        _status(met, progress),
        progress,
        node.path,
        Figures(c, n, "areas", f"Areas {c} of {n}"),
        tuple(ids),
        (),
        missing,
    )


def applicant_key(rule_set: RuleSet, category: str, education_levels: set[str]) -> str:
    """Return the rsc_eligibility key for an applicant: the category or "CODE:bachelor|master"."""
    if category in rule_set.rsc_eligibility:
        return category
    level = "master" if education_levels & GRADUATE_LEVELS else "bachelor"
    return f"{category}:{level}"


def _eligible_credentials(node: Node, ctx: _Ctx) -> frozenset[str]:
    eligible = node.params.get("eligible")
    table = ctx.rule_set.rsc_eligibility
    if isinstance(eligible, str):
        return frozenset(table[eligible])
    if eligible is not None:
        return frozenset(eligible)
    levels = {str(it.details.get("level")) for it in ctx.counted("education")}
    return frozenset(table.get(applicant_key(ctx.rule_set, ctx.category.code, levels), ()))


def rsc_screen(node: Node, ctx: _Ctx) -> tuple[list[EvidenceItem], list[NotCounted]]:
    """Split RSC rows into sessions that may count and those that cannot, with reasons."""
    creds = _eligible_credentials(node, ctx)
    facilitated_only = node.params["facilitated_groups_only"]
    ok: list[EvidenceItem] = []
    refused: list[NotCounted] = []
    for it in ctx.by_kind.get("rsc", ()):
        d = it.details
        form = d.get("format", "individual")
        if not it.counted:
            refused.append(_nc(it, _status_reason(it)))
        elif form == "peer":
            refused.append(_nc(it, "peer group without facilitator"))
        elif form not in ("individual", "group"):
            refused.append(_nc(it, f"unknown session format {form!r}"))
        elif form == "group" and facilitated_only and not d.get("facilitated", False):
            refused.append(_nc(it, "group without facilitator"))
        elif not creds.intersection(d.get("provider_credentials") or ()):
            refused.append(_nc(it, "provider not endorsed at the required category"))
        else:
            ok.append(it)
    return ok, refused


@dataclass(frozen=True)
class RscChoice:
    """The best window and providers found among eligible sessions."""

    sessions: tuple[EvidenceItem, ...]  # counted, sorted by date
    window_sessions: tuple[EvidenceItem, ...]  # every eligible session inside the window
    hours: float
    about: float
    span_ok: bool
    progress: float


def _rsc_progress(
    hours: float,
    about: float,
    first: datetime.date | None,
    last: datetime.date | None,
    params: Mapping[str, Any],
) -> tuple[float, bool]:
    """Return (progress, span_ok): hours weigh 3/4 (1/2 with an about-giving minimum)."""
    target, about_min = params["min"], params.get("about_giving_min")
    lo = params["window_months"][0]
    if target <= 0 and not about_min:
        return 1.0, True
    if first is None or last is None:
        return 0.0, lo == 0
    needed_end = add_months(first, lo)
    span_ok = last >= needed_end
    if span_ok:
        span = 1.0
    else:
        span = min(0.99, (last - first).days / max(1, (needed_end - first).days))
    hp = 1.0 if hours + _EPS >= target else _ratio(hours, target)
    if about_min:
        ap = 1.0 if about + _EPS >= about_min else _ratio(about, about_min)
        return 0.5 * hp + 0.25 * ap + 0.25 * span, span_ok
    return 0.75 * hp + 0.25 * span, span_ok


def rsc_best(sessions: list[EvidenceItem], params: Mapping[str, Any]) -> RscChoice:
    """Find the window of at most window_months[1] months and providers that count the most.

    Windows start at a session date. Within each, the providers kept are the combination of
    at most max_providers that maximises progress, then hours; ties go to the latest window.
    """
    hi = params["window_months"][1]
    max_p = params["max_providers"]
    majority = params["majority_one_provider"]
    n = len(sessions)
    best_key: tuple | None = None
    best: tuple[int, int, tuple] | None = None
    # Per provider: sessions in the window, and running hour totals (rounded when compared).
    queues: dict[Any, deque[EvidenceItem]] = defaultdict(deque)
    hours: dict[Any, float] = defaultdict(float)
    about: dict[Any, float] = defaultdict(float)
    j = 0
    for i in range(n):
        if i and sessions[i].date == sessions[i - 1].date:
            continue  # the window starting at the earlier equal date already holds these
        start = sessions[i].date
        end = add_months(start, hi)
        while j < n and sessions[j].date < end:
            s = sessions[j]
            queues[s.provider_id].append(s)
            hours[s.provider_id] += s.hours
            if s.details.get("about_giving_rsc"):
                about[s.provider_id] += s.hours
            j += 1
        for pid in list(queues):
            q = queues[pid]
            while q and q[0].date < start:
                s = q.popleft()
                hours[pid] -= s.hours
                if s.details.get("about_giving_rsc"):
                    about[pid] -= s.hours
            if not q:
                del queues[pid], hours[pid]
                about.pop(pid, None)
        present = sorted(queues, key=lambda p: -1 if p is None else p)
        sizes = [min(len(present), max_p)]
        if majority and max_p > 2:
            sizes = list(range(sizes[0], 0, -1))
        for size in sizes:
            for combo in combinations(present, size):
                h = [hours[p] for p in combo]
                total = sum(h)
                if majority and size > 2 and total - max(h) > max(h) + _EPS:
                    continue  # the main provider must give at least half of the hours
                ab = sum(about.get(p, 0.0) for p in combo)
                first = min(queues[p][0].date for p in combo)
                last = max(queues[p][-1].date for p in combo)
                prog, _ = _rsc_progress(total, ab, first, last, params)
                key = (round(prog, 9), round(total, 9), round(ab, 9), start)
                if best_key is None or key >= best_key:
                    best_key, best = key, (i, j, combo)
    if best is None:
        p, span_ok = _rsc_progress(0.0, 0.0, None, None, params)
        return RscChoice((), (), 0.0, 0.0, span_ok, p)
    i, j, combo = best
    window = tuple(sessions[i:j])
    kept = tuple(s for s in window if s.provider_id in combo)
    total = math.fsum(s.hours for s in kept)
    ab = math.fsum(s.hours for s in kept if s.details.get("about_giving_rsc"))
    prog, span_ok = _rsc_progress(total, ab, kept[0].date, kept[-1].date, params)
    return RscChoice(kept, window, total, ab, span_ok, prog)


def _rsc_hours(node: Node, ctx: _Ctx) -> Result:
    params = node.params
    target, about_min = params["min"], params.get("about_giving_min")
    lo, hi = params["window_months"]
    ok, refused = rsc_screen(node, ctx)
    choice = rsc_best(ok, params)
    kept = {s.id for s in choice.sessions}
    in_window = {s.id for s in choice.window_sessions}
    third = (
        "third provider"
        if params["max_providers"] == 2
        else (f"more than {params['max_providers']} providers")
    )
    for s in ok:
        if s.id in kept:
            continue
        refused.append(
            _nc(s, third if s.id in in_window else f"outside the best {hi}-month window")
        )
    order = {it.id: (it.date, it.id) for it in ctx.by_kind.get("rsc", ())}
    refused.sort(key=lambda nc: order[nc.evidence_id])
    hours_ok = choice.hours + _EPS >= target
    about_ok = not about_min or choice.about + _EPS >= about_min
    met = hours_ok and about_ok and choice.span_ok
    missing: list[str] = []
    if not hours_ok:
        missing.append(_rsc_hours_task(ok, choice, params, ctx.as_of))
    if not about_ok:
        missing.append(
            f"Get {fmt(about_min - choice.about)} more hours of reflective supervision about "
            "the supervision you give"
        )
    if choice.sessions and not choice.span_ok:
        span_end = add_months(choice.sessions[0].date, lo)
        closes = add_months(choice.sessions[0].date, hi)
        # Once the window has closed, the hours task above already points at a new window.
        if span_end > ctx.as_of:
            missing.append(
                f"Keep receiving reflective supervision until at least {span_end.isoformat()}: "
                f"the hours must span {lo} months"
            )
        elif closes > ctx.as_of:
            missing.append(
                f"Receive one more session of reflective supervision before "
                f"{closes.isoformat()}: the hours must span {lo} months"
            )
    text = f"RSC {fmt(choice.hours)} of {fmt(target)} h"
    if about_min:
        text += f", {fmt(choice.about)} of {fmt(about_min)} h about the supervision you give"
    progress = 1.0 if met else min(choice.progress, 0.99)
    return Result(
        "rsc_hours",
        _label(node, "Reflective supervision"),
        _status(met, progress),
        progress,
        node.path,
        Figures(choice.hours, target, "h", text),
        tuple(sorted(kept, key=lambda i: order[i])),
        tuple(refused),
        tuple(missing),
    )


def _rsc_hours_task(
    ok: list[EvidenceItem], choice: RscChoice, params: Mapping[str, Any], as_of: datetime.date
) -> str:
    target, hi = params["min"], params["window_months"][1]
    if choice.sessions:
        closes = add_months(choice.sessions[0].date, hi)
        if closes > as_of:
            return (
                f"Get {fmt(target - choice.hours)} more hours of reflective supervision "
                f"before {closes.isoformat()}"
            )
        # The best window has closed: only sessions recent enough to share a window with
        # new ones still help.
        recent = [s for s in ok if add_months(s.date, hi) > as_of]
        fresh = rsc_best(recent, params)
        if fresh.sessions:
            closes = add_months(fresh.sessions[0].date, hi)
            return (
                f"Get {fmt(target - fresh.hours)} more hours of reflective supervision "
                f"before {closes.isoformat()}"
            )
    return f"Get {fmt(target)} hours of reflective supervision within {hi} months"


def _work_experience(node: Node, ctx: _Ctx) -> Result:
    kind = node.params["kind"]
    target, families_min = node.params["years"], node.params.get("families")
    rows = [it for it in ctx.by_kind.get("work", ()) if it.details.get("kind") == kind]
    counted = [it for it in rows if it.counted]
    years = math.fsum(float(it.details.get("years") or 0) for it in counted)
    families = sum(int(it.details.get("families") or 0) for it in counted)
    words = WORK_WORDS.get(kind, kind.replace("_", " "))
    years_ok = years + _EPS >= target
    fam_ok = families_min is None or families >= families_min
    parts = [1.0 if years_ok else _ratio(years, target)]
    text = f"Work {fmt(years)} of {fmt(target)} years"
    missing: list[str] = []
    if not years_ok:
        missing.append(f"Record {fmt(target - years)} more years of {words}")
    if families_min is not None:
        parts.append(1.0 if fam_ok else _ratio(families, families_min))
        text += f", {families} of {families_min} families"
        if not fam_ok:
            k = families_min - families
            missing.append(f"Work with {k} more {_plural(k, 'family', 'families')} of infants")
    met = years_ok and fam_ok
    progress = math.fsum(parts) / len(parts)
    return Result(
        "work_experience",
        _label(node, f"Work experience: {words}"),
        _status(met, progress),
        1.0 if met else progress,
        node.path,
        Figures(years, target, "years", text),
        tuple(it.id for it in counted),
        tuple(_nc(it, _status_reason(it)) for it in rows if not it.counted),
        tuple(missing),
    )


def _education(node: Node, ctx: _Ctx) -> Result:
    alternatives = node.params["alternatives"]
    good, refused = [], []
    for it in ctx.by_kind.get("education", ()):
        level = it.details.get("level")
        if not it.counted:
            refused.append(_nc(it, _status_reason(it)))
        elif level in alternatives:
            good.append(it)
        else:
            words = LEVEL_WORDS.get(str(level), str(level))
            refused.append(_nc(it, f"{words} does not meet this requirement"))
    met = bool(good)
    names = [LEVEL_WORDS.get(a, a) for a in alternatives]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    shown = LEVEL_WORDS.get(str(good[-1].details.get("level")), "") if good else "none recorded"
    return Result(
        "education",
        _label(node, "Education"),
        MET if met else NOT_STARTED,
        1.0 if met else 0.0,
        node.path,
        Figures(1 if met else 0, 1, "", f"Education: {shown}"),
        tuple(it.id for it in good),
        tuple(refused),
        () if met else (f"Add proof of education: {listed}",),
    )


def _references(node: Node, ctx: _Ctx) -> Result:
    target, void_at = node.params["count"], node.params["void_if_not_enough_info"]
    good, refused = [], []
    for it in ctx.by_kind.get("reference", ()):
        unknown = int(it.details.get("not_enough_info") or 0)
        if not it.counted:
            refused.append(_nc(it, _status_reason(it)))
        elif unknown >= void_at:
            refused.append(_nc(it, f"void — {unknown} answers of 'not enough information'"))
        elif it.details.get("void"):
            refused.append(_nc(it, "void"))
        else:
            good.append(it)
    n = len(good)
    met = n >= target
    progress = _ratio(n, target)
    missing = ()
    if not met:
        k = target - n
        missing = (
            f"Ask {k} more {_plural(k, 'person', 'people')} for "
            f"{_plural(k, 'a reference rating', 'reference ratings')}",
        )
    return Result(
        "references",
        _label(node, "Reference ratings"),
        _status(met, progress),
        progress,
        node.path,
        Figures(n, target, "ratings", f"References {n} of {target}"),
        tuple(it.id for it in good),
        tuple(refused),
        missing,
    )


def _exam(node: Node, ctx: _Ctx) -> Result:
    pass_mark = node.params.get("pass_percent", ctx.rule_set.exam.pass_percent)
    passed, refused, failed_dates = [], [], []
    for it in ctx.by_kind.get("exam", ()):
        score = float(it.details.get("score") or 0)
        if not it.counted:
            refused.append(_nc(it, _status_reason(it)))
        elif score + _EPS >= pass_mark:
            passed.append(it)
        else:
            refused.append(_nc(it, f"score {fmt(score)} % is below the {fmt(pass_mark)} % mark"))
            failed_dates.append(it.date)
    scores = [float(it.details.get("score") or 0) for it in ctx.counted("exam")]
    best = max(scores, default=0.0)
    met = bool(passed)
    missing = ()
    if not met:
        retake = (
            add_months(max(failed_dates), ctx.rule_set.exam.retake_after_months)
            if failed_dates
            else None
        )
        if retake is not None and retake > ctx.as_of:
            missing = (f"Retake the exam from {retake.isoformat()}",)
        else:
            missing = (f"Pass the exam ({fmt(pass_mark)} % needed)",)
    text = f"Exam best {fmt(best)} of {fmt(pass_mark)} %" if scores else "Exam not taken"
    return Result(
        "exam",
        _label(node, "Exam"),
        MET if met else NOT_STARTED,
        1.0 if met else 0.0,
        node.path,
        Figures(best, pass_mark, "%", text),
        tuple(it.id for it in passed),
        tuple(refused),
        missing,
    )


def _membership(node: Node, ctx: _Ctx) -> Result:
    refused, valid = [], []
    for it in ctx.by_kind.get("membership", ()):
        if not it.counted:
            refused.append(_nc(it, _status_reason(it)))
            continue
        try:
            until = datetime.date.fromisoformat(str(it.details.get("valid_until")))
        except ValueError:
            refused.append(_nc(it, "end date missing or not a date"))
            continue
        valid.append((until, it.id))
    label = _label(node, "Association membership")
    if not valid:
        return Result(
            "membership",
            label,
            NOT_STARTED,
            0.0,
            node.path,
            Figures(0, 1, "", "Membership: none recorded"),
            (),
            tuple(refused),
            ("Join the association: current membership is required",),
        )
    until, item_id = max(valid)
    current = until >= ctx.membership_on
    text = f"Membership valid until {until.isoformat()}"
    if current:
        return Result(
            "membership",
            label,
            MET,
            1.0,
            node.path,
            Figures(1, 1, "", text),
            (item_id,),
            tuple(refused),
        )
    return Result(
        "membership",
        label,
        EXPIRED,
        0.0,
        node.path,
        Figures(0, 1, "", f"Membership ended on {until.isoformat()}"),
        (),
        tuple(refused),
        (f"Renew your association membership (it ended on {until.isoformat()})",),
    )


def _agreement(node: Node, ctx: _Ctx) -> Result:
    documents = node.params["documents"]
    signed: dict[str, int] = {}
    refused = []
    for it in ctx.by_kind.get("agreement", ()):
        if not it.counted:
            refused.append(_nc(it, _status_reason(it)))
        else:
            signed[str(it.details.get("document"))] = it.id
    have = [d for d in documents if d in signed]
    n, k = len(documents), len(have)
    progress = _ratio(k, n)
    missing = tuple(
        f"Sign {DOCUMENT_WORDS.get(d, 'the ' + d.replace('_', ' '))}"
        for d in documents
        if d not in signed
    )
    return Result(
        "agreement",
        _label(node, "Signed agreements"),
        _status(k == n, progress),
        progress,
        node.path,
        Figures(k, n, "documents", f"Agreements {k} of {n} signed"),
        tuple(signed[d] for d in have),
        tuple(refused),
        missing,
    )


_LEAVES = {
    "training_hours": _training_hours,
    "area_coverage": _area_coverage,
    "rsc_hours": _rsc_hours,
    "work_experience": _work_experience,
    "education": _education,
    "references": _references,
    "exam": _exam,
    "membership": _membership,
    "agreement": _agreement,
}


# --- composites ----------------------------------------------------------------------------


def _rank(r: Result) -> tuple[bool, float]:
    return (r.met, r.progress)


def _evaluate_node(node: Node, ctx: _Ctx) -> Result:
    if node.type in _LEAVES:
        return _LEAVES[node.type](node, ctx)
    kids = tuple(_evaluate_node(c, ctx) for c in node.children)
    missing = tuple(m for k in kids for m in k.missing)
    if node.type == "all_of":
        weight = sum(k.weight for k in kids)
        progress = math.fsum(k.weight * k.progress for k in kids) / weight
        met = all(k.met for k in kids)
        return Result(
            "all_of",
            "All of",
            _status(met, progress),
            1.0 if met else progress,
            node.path,
            missing=missing,
            children=kids,
            weight=weight,
        )
    if node.type == "any_of":
        best = max(kids, key=_rank)  # max keeps the first of equals: document order
        return Result(
            "any_of",
            "One of",
            best.status,
            best.progress,
            node.path,
            missing=best.missing,
            children=kids,
            weight=max(k.weight for k in kids),
        )
    n = node.params["n"]
    top = sorted(kids, key=_rank, reverse=True)[:n]
    met = all(k.met for k in top)
    progress = math.fsum(k.progress for k in top) / n
    weight = sum(sorted((k.weight for k in kids), reverse=True)[:n])
    return Result(
        "at_least",
        f"At least {n} of",
        _status(met, progress),
        1.0 if met else progress,
        node.path,
        missing=tuple(m for k in top for m in k.missing),
        children=kids,
        weight=weight,
    )


def _category(rule_set: RuleSet, code: str) -> Category:
    try:
        return rule_set.category(code)
    except KeyError as exc:
        raise EvaluationError([Problem("category", str(exc.args[0]))]) from None


def _root(result: Result, rule_set: RuleSet, cat: Category, as_of: datetime.date) -> Result:
    return replace(
        result,
        ready=result.met,
        category=cat.code,
        category_name=cat.name,
        rule_set_name=rule_set.name,
        rule_set_version=rule_set.version,
        as_of=as_of,
    )


def evaluate(rule_set: RuleSet, category: str, summary: Summary, as_of: datetime.date) -> Result:
    """Evaluate a clinician's readiness for a category as of a date.

    Ledger items dated after `as_of` are ignored; the summary's aggregates are used as given.
    """
    cat = _category(rule_set, category)
    ctx = evaluation_context(rule_set, cat, summary, as_of)
    return _root(_evaluate_node(cat.requires, ctx), rule_set, cat, as_of)


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
    )
    result = _evaluate_node(cat.renewal, ctx)
    return _root(replace(result, label=label), rule_set, cat, due)
