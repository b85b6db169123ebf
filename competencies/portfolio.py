"""Read a what-if portfolio: a list of evidence items evaluated without saving anything.

Schema (JSON or YAML)::

    {"category": "IMHS",            # optional here; the command's --category wins
     "as_of": "2026-11-01",         # optional; default today
     "evidence": [
        {"kind": "training", "date": "2025-03-01", "hours": 6,
         "areas": ["TF-PREG"], "tags": ["dei"], "label": "Pregnancy and the first year"},
        {"kind": "rsc", "date": "2025-04-02", "hours": 1.5, "provider": "A. Rivera",
         "details": {"format": "individual", "provider_credentials": ["IMHS"]}},
        {"kind": "education", "date": "2019-06-01", "details": {"level": "master"}},
        {"kind": "work", "label": "Home visitor",
         "details": {"kind": "dyadic_clinical", "start": "2021-09-01", "end": null,
                     "paid": true, "post_degree": true, "families": 14}}
     ]}

A work item is a period: ``details.start`` and ``details.end`` (none: still going on; the item's
`date` may be left out, it is then the start), ``paid`` (default true; false for
``unpaid_infant_family``), ``post_degree``, ``kind`` (one of the work kinds) and ``families``.
The older form, a `date` with ``details.years`` of work up to it, still loads.

Every item may also carry `status` (default: attested for rsc, verified otherwise). Providers
are named freely; the same name is the same provider.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from competencies.types import KINDS, STATUSES, WORK_KINDS, EvidenceItem, Problem
from lms.documents import DocumentError, load_json, load_yaml
from lms.validation import ProblemsError

ITEM_KEYS = {"kind", "date", "hours", "areas", "tags", "provider", "details", "label", "status"}
# A what-if portfolio is one person's record: a few hundred items at most in practice.
MAX_ITEMS = 2_000
# Values of a document of MAX_ITEMS items with every key and a few areas, tags and details.
MAX_NODES = MAX_ITEMS * 40 + 100


class PortfolioError(ProblemsError):
    """The portfolio document is invalid; `.errors` lists every problem with its place."""

    shown = 5


@dataclass(frozen=True)
class Portfolio:
    """A parsed portfolio: its items and the optional category and date it names."""

    items: tuple[EvidenceItem, ...]
    category: str | None
    as_of: dt.date | None


def _date(value: Any, where: str, errors: list[Problem]) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        errors.append(Problem(where, "write the date as YYYY-MM-DD"))
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(Problem(where, f"{value} is not a real date; write YYYY-MM-DD"))
        return None


def _hours(value: Any, where: str, errors: list[Problem]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                errors.append(Problem(where, f"{value!r} is not a number"))
                return 0.0
        else:
            errors.append(Problem(where, "hours must be a number"))
            return 0.0
    if math.isnan(value):
        errors.append(Problem(where, "NaN is not a number of hours"))
    elif math.isinf(value):
        errors.append(Problem(where, f"{value} is not a finite number"))
    elif value < 0:
        errors.append(Problem(where, f"{value:g} is negative; hours are zero or more"))
    elif value > 10_000:
        errors.append(Problem(where, f"{value:g} hours cannot be right"))
    else:
        return float(value)
    return 0.0


def _work(
    details: Mapping[str, Any], where: str, errors: list[Problem], *, needs: bool
) -> tuple[dict[str, Any], dt.date | None]:
    """Check a work item's details; return them with ISO dates, and the start (or None)."""
    out = dict(details)
    kind = out.get("kind")
    if kind is not None and kind not in WORK_KINDS:
        errors.append(Problem(f"{where}.kind", f"{kind!r} is not one of {', '.join(WORK_KINDS)}"))
    start = end = None
    if out.get("start") is not None:
        start = _date(out["start"], f"{where}.start", errors)
        out["start"] = start.isoformat() if start else out["start"]
    elif needs:
        errors.append(Problem(f"{where}.start", "a work period needs a start date (YYYY-MM-DD)"))
    if "start" in out or "end" in out:
        if out.get("end") is not None:
            end = _date(out["end"], f"{where}.end", errors)
            out["end"] = end.isoformat() if end else out["end"]
        else:
            out["end"] = None  # still going on
    if start and end and end < start:
        errors.append(Problem(f"{where}.end", f"{end} is before the start {start}"))
    for key in ("paid", "post_degree"):
        if key in out and not isinstance(out[key], bool):
            errors.append(Problem(f"{where}.{key}", "write true or false"))
    if kind == "unpaid_infant_family" and out.get("paid") is True:
        errors.append(Problem(f"{where}.paid", "unpaid work cannot be paid; choose another kind"))
    return out, start


def _strings(value: Any, where: str, errors: list[Problem]) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(Problem(where, "write a list of text values"))
        return frozenset()
    return frozenset(v.strip() for v in value if v.strip())


def parse_portfolio(doc: Any) -> Portfolio:
    """Validate a portfolio document; raise PortfolioError naming every bad place."""
    errors: list[Problem] = []
    if not isinstance(doc, Mapping):
        raise PortfolioError([Problem("(document)", "a portfolio is an object with `evidence`")])
    unknown = set(doc) - {"category", "as_of", "evidence"}
    for key in sorted(unknown):
        errors.append(Problem(key, "unknown key"))
    category = doc.get("category")
    if category is not None and not isinstance(category, str):
        errors.append(Problem("category", "write the category code as text, e.g. IMHS"))
    as_of = _date(doc["as_of"], "as_of", errors) if doc.get("as_of") is not None else None
    raw = doc.get("evidence")
    if not isinstance(raw, list):
        errors.append(Problem("evidence", "a list of evidence items is required"))
        raw = []
    if len(raw) > MAX_ITEMS:
        raise PortfolioError(
            [Problem("evidence", f"{len(raw):,} items; a portfolio holds at most {MAX_ITEMS:,}")]
        )
    providers: dict[str, int] = {}
    items = []
    for i, entry in enumerate(raw):
        where = f"evidence[{i}]"
        if not isinstance(entry, Mapping):
            errors.append(Problem(where, "each item is an object"))
            continue
        for key in sorted(set(entry) - ITEM_KEYS):
            errors.append(Problem(f"{where}.{key}", "unknown key"))
        kind = entry.get("kind")
        if kind not in KINDS:
            errors.append(
                Problem(f"{where}.kind", f"{kind!r} is not one of {', '.join(sorted(KINDS))}")
            )
            continue
        day = _date(entry.get("date"), f"{where}.date", errors)
        hours = _hours(entry.get("hours", 0), f"{where}.hours", errors)
        status = entry.get("status", "attested" if kind == "rsc" else "verified")
        if status not in STATUSES:
            errors.append(Problem(f"{where}.status", f"{status!r} is not a ledger status"))
        details = entry.get("details", {})
        if not isinstance(details, Mapping):
            errors.append(Problem(f"{where}.details", "details is an object"))
            details = {}
        provider_id = None
        provider = entry.get("provider")
        if provider is not None:
            provider_id = providers.setdefault(str(provider), len(providers) + 1)
            details = {"provider_name": str(provider), **details}
        if kind == "work":
            details, start = _work(details, f"{where}.details", errors, needs=day is None)
            if entry.get("date") is None and start is not None:
                errors[:] = [e for e in errors if e.where != f"{where}.date"]
                day = start
        if day is None:
            continue
        items.append(
            EvidenceItem(
                id=i + 1,
                kind=kind,
                date=day,
                status=status,
                hours=hours,
                areas=_strings(entry.get("areas"), f"{where}.areas", errors),
                tags=_strings(entry.get("tags"), f"{where}.tags", errors),
                provider_id=provider_id,
                details=dict(details),
                label=str(entry.get("label", "")),
            )
        )
    if errors:
        raise PortfolioError(errors)
    return Portfolio(tuple(items), category, as_of)


def parse_portfolio_text(text: str) -> Portfolio:
    """Parse JSON (or YAML) text; a syntax error becomes a PortfolioError with its line."""
    try:
        doc = load_json(text, parse_constant=_refuse_constant, max_nodes=MAX_NODES)
    except json.JSONDecodeError:
        try:
            doc = load_yaml(text, max_nodes=MAX_NODES)
        except DocumentError as exc:
            if not exc.syntax:
                raise PortfolioError([Problem(exc.where, exc.message)]) from exc
            where = exc.where.split(",")[0]
            raise PortfolioError([Problem(where, "the document is neither JSON nor YAML")]) from exc
    except DocumentError as exc:
        raise PortfolioError([Problem(exc.where, exc.message)]) from exc
    except ValueError as exc:
        raise PortfolioError([Problem("(document)", str(exc))]) from exc
    return parse_portfolio(doc)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")
