"""``training_mix: {min, parts}``: training hours of which parts must be on given topics.

"48 h = 30 h + 15 h about RSC + 3 h on DEI" is one requirement::

    training_mix: {min: 48, parts: [{min: 15, tags: [rsc-topic]}, {min: 3, tags: [dei]}]}

Each counted hour goes to one part only: an hour of a training tagged with one of a part's
tags may go to that part, any hour to the rest (``min`` minus the parts). The requirement is
met when some allocation meets every part and the rest; the allocation is a maximum flow from
the trainings (grouped by their tag sets, `Summary.training_by_tags`) to the parts, exact and
small (a handful of tag sets and parts).
"""

from __future__ import annotations

import datetime
import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker, join
from competencies.nodes.base import (
    NO_PACE,
    Leaf,
    LeafParams,
    ParamsModel,
    ParseContext,
    leaf_forecast,
    on_pace,
    weighted_rate,
)
from competencies.nodes.result import (
    EPS,
    Figures,
    Result,
    fmt,
    label,
    not_counted,
    plural,
    ratio,
    status,
    status_reason,
)
from competencies.types import Summary
from competencies.vocabulary import TAG_WORDS

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node

MAX_PARTS = 8


def _words(tags: Sequence[str]) -> str:
    return " or ".join(TAG_WORDS.get(t, t) for t in tags)


def _more(hours: float, on: str) -> str:
    return f"Complete {_needed(hours, 'hour', 'hours')} of training{on}"


def _needed(amount: float, one: str, many: str) -> str:
    """Return "1 more year", "0.5 more years": an amount still needed, to a tenth rounded up."""
    tenths = math.ceil(round(amount * 10, 6))
    shown = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    return f"{shown} more {plural(tenths / 10, one, many)}"


def tag_classes(summary: Summary, tags: frozenset[str]) -> dict[frozenset[str], float]:
    """Return counted training hours grouped by the part tags they carry (empty set: none)."""
    classes: dict[frozenset[str], list[float]] = {}
    by_tags = summary.training_by_tags
    if not by_tags and summary.training_hours.get("*", 0.0) > 0:
        # A summary built without tag sets: read each tag's hours as separate trainings.
        tagged = {t: summary.training_hours.get(t, 0.0) for t in tags}
        rest = summary.training_hours["*"] - math.fsum(tagged.values())
        by_tags = {t: h for t, h in tagged.items() if h > 0} | {"": max(rest, 0.0)}
    for key, hours in by_tags.items():
        own = frozenset(t for t in key.split(",") if t) & tags
        classes.setdefault(own, []).append(hours)
    return {k: math.fsum(v) for k, v in classes.items()}


def allocate(
    classes: Mapping[frozenset[str], float], parts: Sequence[Mapping[str, Any]]
) -> list[float]:
    """Return the hours given to each part by a maximum flow (parts filled in their order)."""
    sources = [(tags, hours) for tags, hours in sorted(classes.items(), key=_order) if tags]
    n_src, n_part = len(sources), len(parts)
    s, t = n_src + n_part, n_src + n_part + 1
    cap: dict[tuple[int, int], float] = {}
    adj: list[list[int]] = [[] for _ in range(t + 1)]

    def edge(a: int, b: int, c: float) -> None:
        cap[a, b] = cap.get((a, b), 0.0) + c
        cap.setdefault((b, a), 0.0)
        adj[a].append(b)
        adj[b].append(a)

    for i, (tags, hours) in enumerate(sources):
        edge(s, i, hours)
        for j, part in enumerate(parts):
            if tags & set(part["tags"]):
                edge(i, n_src + j, math.inf)
    for j, part in enumerate(parts):
        edge(n_src + j, t, part["min"])
    while True:  # Edmonds-Karp: shortest augmenting paths, a few at most here
        prev = {s: s}
        queue = deque([s])
        while queue and t not in prev:
            a = queue.popleft()
            for b in adj[a]:
                if b not in prev and cap[a, b] > EPS:
                    prev[b] = a
                    queue.append(b)
        if t not in prev:
            break
        path, b = [], t
        while b != s:
            path.append((prev[b], b))
            b = prev[b]
        push = min(cap[e] for e in path)
        for a, b in path:
            cap[a, b] -= push
            cap[b, a] += push
    return [cap[t, n_src + j] for j in range(n_part)]


def _order(entry: tuple[frozenset[str], float]) -> tuple[int, list[str]]:
    return len(entry[0]), sorted(entry[0])


class MixPart(ParamsModel):
    """One part of a composite requirement: hours on training carrying one of its tags."""

    min: float = Field(ge=0, title="Hours at least")
    tags: tuple[str, ...] = Field(min_length=1, title="On training tagged")


class TrainingMix(Leaf):
    name = "training_mix"
    title = "Training hours with required topics"
    kinds = ("training",)

    class Params(LeafParams):
        min: float = Field(ge=0, title="Hours at least in all")
        parts: tuple[MixPart, ...] = Field(
            min_length=1, max_length=MAX_PARTS, title="Of which, each hour counted once"
        )

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(p, where, ("min", "parts", "label"))
        total = ck.number(p, "min", where)
        out: dict[str, Any] = {"min": total, "parts": ()}
        path = join(where, "parts")
        if "parts" not in p:
            ck.add(path, "is required")
            return out
        raw = p["parts"]
        if not isinstance(raw, list):
            ck.add(path, "must be a list of {min, tags}")
            return out
        if not raw:
            ck.add(path, "must not be empty")
        if len(raw) > MAX_PARTS:
            ck.add(path, f"holds {len(raw)} parts; at most {MAX_PARTS}")
        parts = []
        for i, body in enumerate(raw):
            at = f"{path}[{i}]"
            body = ck.mapping(body, at)
            if body is None:
                continue
            ck.keys(body, at, ("min", "tags"))
            hours = ck.number(body, "min", at)
            tags = None
            if "tags" not in body:
                ck.add(join(at, "tags"), "is required")
            else:
                tags = ck.str_list(body["tags"], join(at, "tags"), nonempty=True)
            if hours is not None and tags:
                # Lists, not tuples: the normalised document (`Node.to_dict`) shows them as is.
                parts.append({"min": hours, "tags": list(tags)})
        need = math.fsum(part["min"] for part in parts)
        if total is not None and need > total + EPS:
            ck.add(path, f"the parts add up to {fmt(need)} h, more than the {fmt(total)} h in all")
        out["parts"] = tuple(parts)
        return out

    def measure(self, node: Node, summary: Summary) -> tuple[list[float], float, float]:
        """Return the hours each part gets, the hours the rest gets and all counted hours."""
        parts = node.params["parts"]
        tags = frozenset(t for part in parts for t in part["tags"])
        given = allocate(tag_classes(summary, tags), parts)
        total = summary.training_hours.get("*", 0.0)
        rest_target = node.params["min"] - math.fsum(part["min"] for part in parts)
        rest = min(max(total - math.fsum(given), 0.0), rest_target)
        return given, rest, total

    def evaluate(self, node: Node, ctx: Context) -> Result:
        parts, target = node.params["parts"], node.params["min"]
        given, rest, _ = self.measure(node, ctx.summary)
        rest_target = target - math.fsum(part["min"] for part in parts)
        value = math.fsum(given) + rest
        short = [max(part["min"] - g, 0.0) for part, g in zip(parts, given, strict=True)]
        missing = [
            _more(h, f" on {_words(part['tags'])}")
            for part, h in zip(parts, short, strict=True)
            if h > EPS
        ]
        if rest + EPS < rest_target:
            missing.append(_more(rest_target - rest, " on any topic" if missing else ""))
        met = not missing
        progress = ratio(value, target)
        shown = ", ".join(
            f"{fmt(g)} of {fmt(part['min'])} h on {_words(part['tags'])}"
            for part, g in zip(parts, given, strict=True)
        )
        refused = tuple(
            not_counted(it, status_reason(it))
            for it in ctx.by_kind.get("training", ())
            if not it.counted
        )
        note = "Each hour counts toward one part only: " + ", ".join(
            f"{fmt(part['min'])} h on {_words(part['tags'])}" for part in parts
        )
        if rest_target > EPS:
            note += f", {fmt(rest_target)} h on any topic"
        return Result(
            self.name,
            label(node, "Training hours"),
            status(met, progress),
            1.0 if met else progress,
            node.path,
            Figures(value, target, "h", f"{fmt(value)} of {fmt(target)} h ({shown})"),
            (),
            refused,
            tuple(missing),
            (note,),
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        parts = node.params["parts"]
        given, rest, total = self.measure(node, fc.summary)
        rate = weighted_rate(fc.summary.training_monthly, fc.as_of)
        rest_need = max(node.params["min"] - math.fsum(p["min"] for p in parts) - rest, 0.0)
        months = rest_need / rate if rate > 0 else (math.inf if rest_need > EPS else 0.0)
        hours = fc.summary.training_hours
        for part, got in zip(parts, given, strict=True):
            need = part["min"] - got
            if need <= EPS:
                continue
            # Tagged hours are not kept per month: assume the recent mix of topics goes on.
            tagged = min(total, math.fsum(hours.get(t, 0.0) for t in part["tags"]))
            part_rate = rate * tagged / total if total else 0.0
            if part_rate <= 0:
                fc.warnings.append(f"No recent training on {_words(part['tags'])}: plan one")
                months = math.inf
            else:
                months = max(months, need / part_rate)
        if math.isinf(months):
            if rate <= 0:
                fc.warnings.append("No training recorded in the last 12 months")
            return fc.record(
                leaf_forecast(node, res, NO_PACE, None, "No recent training to set a pace")
            )
        return fc.record(on_pace(node, res, fc.as_of, months))

    def chart(self, result: Result, summary: Summary) -> None:
        """Draw no series of its own: the training series (training_hours) uses its target."""
        return None

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        p = node.params
        parts = [f"{fmt(x['min'])} h tagged {' or '.join(x['tags'])}" for x in p["parts"]]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return (
            f"Training hours: at least {fmt(p['min'])} h, of which {listed} "
            "(each hour counts toward one part only)"
        )


TYPE = TrainingMix()
