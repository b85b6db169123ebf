"""``work_experience: {years, kind, families, paid, after_degree}``: years of one kind of work.

Work items are periods (``details.start``, ``details.end``; no end = still going on, counted up
to the evaluation day). Overlapping periods count once: the years are the length of the union
of the counted periods. ``paid: true`` counts only paid work; ``after_degree: <level>`` counts
only the time after the earliest counted education at that level or higher (IFS's
"post-degree", IMHS's "post-graduate"). Items of the older single-date form (``details.years``
up to the item's date) are read as the period of that length ending on that date.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field

from competencies.checker import Checker, join
from competencies.nodes.base import (
    DAYS_PER_MONTH,
    Leaf,
    LeafParams,
    ParseContext,
    needs_action,
    on_pace,
)
from competencies.nodes.result import (
    EPS,
    Figures,
    Result,
    add_months,
    fmt,
    label,
    not_counted,
    plural,
    ratio,
    status,
    status_reason,
)
from competencies.types import EDUCATION_LEVELS, WORK_KINDS, EvidenceItem
from competencies.vocabulary import LEVEL_WORDS, WORK_LABELS, WORK_WORDS

if TYPE_CHECKING:
    from competencies.forecast import Forecaster
    from competencies.nodes.result import Context
    from competencies.rules import ExamRules, Node

ONE_DAY = datetime.timedelta(days=1)
# Unpaid work of the same field, shown as "not counted" where paid work is asked for.
UNPAID_TWIN = {"paid_infant_family": "unpaid_infant_family"}
UNPAID = "unpaid work does not count: this requirement asks for paid work"


def _years(value: float) -> str:
    return f"{fmt(value)} {plural(value, 'year', 'years')}"


def _needed(amount: float, one: str, many: str) -> str:
    """Return "1 more year", "0.5 more years": an amount still needed, to a tenth rounded up."""
    tenths = math.ceil(round(amount * 10, 6))
    shown = f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"
    return f"{shown} more {plural(tenths / 10, one, many)}"


def _day(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def is_paid(it: EvidenceItem) -> bool:
    """Tell whether a work item is paid work (older items without the flag are)."""
    if it.details.get("kind") in UNPAID_TWIN.values():
        return False
    return it.details.get("paid", True) is not False


def is_legacy(it: EvidenceItem) -> bool:
    """Tell whether a work item has the older single-date form (years up to its date)."""
    return _day(it.details.get("start")) is None


def period(it: EvidenceItem, as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day (inclusive) of a work item, cut at `as_of`."""
    start = _day(it.details.get("start"))
    if start is None:
        months = max(float(it.details.get("years") or 0), 0.0) * 12
        whole = int(months)
        end = it.date
        start = add_months(end + ONE_DAY, -whole) - datetime.timedelta(
            days=round((months - whole) * DAYS_PER_MONTH)
        )
    else:
        end = _day(it.details.get("end")) or as_of
    return start, min(end, as_of)


def _months(start: datetime.date, stop: datetime.date) -> float:
    """Return the calendar months from `start` up to `stop` (exclusive), with a fraction.

    Counted back from `stop`, as an older record's period was laid out from its end.
    """
    whole = (stop.year - start.year) * 12 + stop.month - start.month
    if add_months(stop, -whole) < start:
        whole -= 1
    base, before = add_months(stop, -whole), add_months(stop, -whole - 1)
    return whole + (base - start).days / (base - before).days


def union_years(periods: Iterable[tuple[datetime.date, datetime.date]]) -> float:
    """Return the calendar years covered by inclusive periods, each day counted once."""
    months, last = 0.0, None
    for start, end in sorted(periods):
        if last is not None and start <= last:
            start = last + ONE_DAY
        if end >= start:
            months += _months(start, end + ONE_DAY)
            last = end
    return months / 12


def degree_date(ctx: Context, level: str) -> datetime.date | None:
    """Return the earliest counted education at `level` or higher, or None."""
    rank = EDUCATION_LEVELS.index(level)
    days = [
        it.date
        for it in ctx.by_kind.get("education", ())
        if it.counted
        and it.details.get("level") in EDUCATION_LEVELS
        and EDUCATION_LEVELS.index(it.details["level"]) >= rank
    ]
    return min(days, default=None)


class WorkExperience(Leaf):
    name = "work_experience"
    title = "Work experience"
    kinds = ("work",)

    class Params(LeafParams):
        years: float = Field(ge=0, title="Years at least")
        kind: str = Field(title="Kind of work", json_schema_extra={"enum": list(WORK_KINDS)})
        families: int | None = Field(default=None, ge=0, title="Families at least")
        families_of: str | None = Field(default=None, title="Families of (e.g. young children)")
        paid: bool = Field(default=False, title="Paid work only")
        after_degree: str | None = Field(
            default=None,
            title="Counted only after a degree of at least",
            json_schema_extra={"enum": list(EDUCATION_LEVELS)},
        )

    def parse_params(
        self, ck: Checker, p: Mapping[str, Any], where: str, ctx: ParseContext
    ) -> dict[str, Any]:
        ck.keys(
            p,
            where,
            ("years", "kind", "families", "families_of", "paid", "after_degree", "label"),
        )
        out: dict[str, Any] = {"years": ck.number(p, "years", where)}
        kind = ck.string(p, "kind", where)
        if kind is not None and kind not in WORK_KINDS:
            ck.add(
                join(where, "kind"),
                f"unknown work kind {kind!r} (allowed: {', '.join(WORK_KINDS)})",
            )
        out["kind"] = kind
        if "families" in p:
            out["families"] = ck.number(p, "families", where, integer=True)
        if "families_of" in p:
            out["families_of"] = ck.string(p, "families_of", where)
        if "paid" in p:
            out["paid"] = ck.boolean(p, "paid", where, False)
        if "after_degree" in p:
            level = ck.string(p, "after_degree", where)
            if level is not None and level not in EDUCATION_LEVELS:
                ck.add(
                    join(where, "after_degree"),
                    f"unknown education level {level!r} (allowed: {', '.join(EDUCATION_LEVELS)})",
                )
            out["after_degree"] = level
        return out

    def evaluate(self, node: Node, ctx: Context) -> Result:
        p = node.params
        kind, target, families_min = p["kind"], p["years"], p.get("families")
        twin = UNPAID_TWIN.get(kind) if p.get("paid") else None
        rows = [it for it in ctx.by_kind.get("work", ()) if it.details.get("kind") in (kind, twin)]
        level = p.get("after_degree")
        since = degree_date(ctx, level) if level else None
        degree_words = LEVEL_WORDS.get(level or "", level or "")
        counted: list[EvidenceItem] = []
        periods: list[tuple[datetime.date, datetime.date]] = []
        refused = []
        trimmed = False
        for it in rows:
            if not it.counted:
                refused.append(not_counted(it, status_reason(it)))
                continue
            if p.get("paid") and not is_paid(it):
                refused.append(not_counted(it, UNPAID))
                continue
            start, end = period(it, ctx.as_of)
            if level:
                if it.details.get("post_degree") is False:
                    refused.append(not_counted(it, "recorded as work before the degree"))
                    continue
                if since is None:
                    why = f"counts only after a {degree_words} or higher, and none is on your "
                    refused.append(not_counted(it, why + "record yet"))
                    continue
                if end < since:
                    refused.append(
                        not_counted(it, f"ended before your {degree_words} of {since.isoformat()}")
                    )
                    continue
                if start < since:
                    start, trimmed = since, True
            counted.append(it)
            periods.append((start, end))
        years = union_years(periods)
        families = sum(int(it.details.get("families") or 0) for it in counted)
        words = WORK_WORDS.get(kind, kind.replace("_", " "))
        years_ok = years + EPS >= target
        fam_ok = families_min is None or families >= families_min
        parts = [1.0 if years_ok else ratio(years, target)]
        text = f"{fmt(years)} of {fmt(target)} years"
        missing: list[str] = []
        if not years_ok:
            missing.append(f"Record {_needed(target - years, 'year', 'years')}")
            missing[-1] += f" of {words}"
            if level:
                missing[-1] += f" after your {degree_words}"
        if families_min is not None:
            parts.append(1.0 if fam_ok else ratio(families, families_min))
            text += f", {families} of {families_min} families"
            if not fam_ok:
                k = families_min - families
                whom = p.get("families_of") or "infants"
                missing.append(f"Work with {k} more {plural(k, 'family', 'families')} of {whom}")
        notes = ()
        if trimmed and since is not None:
            notes = (f"Only the work after your {degree_words} of {since.isoformat()} counts",)
        met = years_ok and fam_ok
        progress = math.fsum(parts) / len(parts)
        return Result(
            "work_experience",
            label(node, f"Work experience: {words}"),
            status(met, progress),
            1.0 if met else progress,
            node.path,
            Figures(years, target, "years", text),
            tuple(it.id for it in counted),
            tuple(refused),
            tuple(missing),
            notes,
        )

    def forecast(self, fc: Forecaster, node: Node, res: Result) -> datetime.date | None:
        fig = res.figures
        families = node.params.get("families")
        if fig is None or fig.value <= 0 or any(m.startswith("Work with") for m in res.missing):
            return fc.record(needs_action(node, res))
        if families is not None and fig.value >= fig.target:
            return fc.record(needs_action(node, res))
        # Years accrue in real time while a counted period goes on (no end; an item of the
        # older single-date form is assumed to go on, as that form recorded no end).
        ids = set(res.evidence_ids)
        going_on = any(
            it.id in ids and (is_legacy(it) or _day(it.details.get("end")) is None)
            for it in fc.ctx.by_kind.get("work", ())
        )
        if not going_on:
            return fc.record(needs_action(node, res))
        return fc.record(on_pace(node, res, fc.as_of, (fig.target - fig.value) * 12))

    def describe(self, node: Node, exam: ExamRules, area_count: int | None) -> str:
        p = node.params
        what = WORK_LABELS.get(p["kind"], p["kind"]).lower()
        paid = "paid " if p.get("paid") and not what.startswith("paid") else ""
        text = f"Work experience: at least {_years(p['years'])} of {paid}{what}"
        if p.get("after_degree"):
            text += f" after a {LEVEL_WORDS.get(p['after_degree'], p['after_degree'])} or higher"
        if "families" in p:
            text += f", with at least {p['families']} families"
            if p.get("families_of"):
                text += f" of {p['families_of']}"
        return text


TYPE = WorkExperience()
