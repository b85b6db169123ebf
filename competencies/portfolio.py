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

The document is validated by pydantic models (`_Document`, `_Item`, `_WorkPeriod`) whose
validators raise `lms.validation.fail` with the messages below; problems are listed as they
always were: unknown keys first (sorted), then each field in turn, each item's together.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from competencies.types import KINDS, STATUSES, WORK_KINDS, EvidenceItem, Problem
from lms.documents import DocumentError, load_json, load_yaml
from lms.validation import PROBLEM, ProblemsError, fail, failures, location

ITEM_KEYS = {"kind", "date", "hours", "areas", "tags", "provider", "details", "label", "status"}
# A what-if portfolio is one person's record: a few hundred items at most in practice.
MAX_ITEMS = 2_000
# Values of a document of MAX_ITEMS items with every key and a few areas, tags and details.
MAX_NODES = MAX_ITEMS * 40 + 100
_NEEDS_START = "a work period needs a start date (YYYY-MM-DD)"
_DEFAULT = object()  # an item without `status`: attested for rsc, verified otherwise


class PortfolioError(ProblemsError):
    """The portfolio document is invalid; `.errors` lists every problem with its place."""

    shown = 5


@dataclass(frozen=True)
class Portfolio:
    """A parsed portfolio: its items and the optional category and date it names."""

    items: tuple[EvidenceItem, ...]
    category: str | None
    as_of: dt.date | None


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise fail("write the date as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{value} is not a real date; write YYYY-MM-DD") from None


def _strings(value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail("write a list of text values")
    return frozenset(v.strip() for v in value if v.strip())


class _WorkPeriod(BaseModel):
    """A work item's details: the period and its kind (other details are kept as they are).

    ``context["needs"]``: the item has no date, so the period must give its start.
    """

    model_config = ConfigDict(extra="allow")

    kind: Any = None
    start: Any = Field(default=None, validate_default=True)
    end: Any = None
    paid: Any = None
    post_degree: Any = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if value is not None and value not in WORK_KINDS:
            raise fail(f"{value!r} is not one of {', '.join(WORK_KINDS)}")
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: Any, info: ValidationInfo) -> dt.date | None:
        if value is not None:
            return _date(value)
        if (info.context or {}).get("needs"):
            raise fail(_NEEDS_START)
        return None

    @field_validator("end")
    @classmethod
    def _end(cls, value: Any, info: ValidationInfo) -> dt.date | None:
        if value is None:
            return None  # still going on
        end = _date(value)
        start = info.data.get("start")
        if start and end < start:
            raise fail(f"{end} is before the start {start}")
        return end

    @field_validator("paid", "post_degree")
    @classmethod
    def _flag(cls, value: Any) -> bool:
        if not isinstance(value, bool):
            raise fail("write true or false")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _unpaid(cls, data: Any, handler: ModelWrapValidatorHandler[_WorkPeriod]) -> _WorkPeriod:
        """Unpaid work is not paid (listed after the period's other problems)."""
        found = []
        try:
            period = handler(data)
        except ValidationError as exc:
            found = [(tuple(e["loc"]), _message(e)) for e in exc.errors(include_url=False)]
        if data.get("kind") == "unpaid_infant_family" and data.get("paid") is True:
            found.append((("paid",), "unpaid work cannot be paid; choose another kind"))
        if found:
            raise failures(found)
        return period


class _Item(BaseModel):
    """One evidence item; fields in the order their problems are listed."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    date: Any = Field(default=None, validate_default=True)
    hours: Any = 0
    status: Any = _DEFAULT
    details: Any = Field(default_factory=dict, validate_default=True)
    areas: Any = Field(default=None, validate_default=True)
    tags: Any = Field(default=None, validate_default=True)
    provider: Any = None
    label: Any = ""

    @model_validator(mode="wrap")
    @classmethod
    def _item(cls, data: Any, handler: ModelWrapValidatorHandler[_Item]) -> _Item:
        """An item is an object of a known kind (else nothing more of it is checked); a work
        item without a date takes the start of its period, and needs one."""
        if not isinstance(data, Mapping):
            raise fail("each item is an object")
        found = [((key,), "unknown key") for key in sorted(set(data) - ITEM_KEYS)]
        kind = data.get("kind")
        if kind not in KINDS:
            found.append((("kind",), f"{kind!r} is not one of {', '.join(sorted(KINDS))}"))
            raise failures(found)
        try:
            item = handler({key: value for key, value in data.items() if key in ITEM_KEYS})
        except ValidationError as exc:
            found += [(tuple(e["loc"]), _message(e)) for e in exc.errors(include_url=False)]
        else:
            if not found:
                return item
        places = {loc for loc, _ in found}
        if kind == "work":
            # A period that cannot be read has no start; without a date, it needs one.
            dateless = data.get("date") is None or ("date",) in places
            if dateless and ("details",) in places and ("details", "start") not in places:
                found.append((("details", "start"), _NEEDS_START))
                places.add(("details", "start"))
            if data.get("date") is None and ("details", "start") in places:
                found.append((("date",), "write the date as YYYY-MM-DD"))
                places.add(("date",))
        if ("date",) in places:  # an item without a date: its areas and tags are not read
            found = [(loc, message) for loc, message in found if loc[0] not in ("areas", "tags")]
        raise failures(found)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return value  # checked by _item before anything else

    @field_validator("date")
    @classmethod
    def _day(cls, value: Any, info: ValidationInfo) -> dt.date | None:
        if value is None and info.data.get("kind") == "work":
            return None  # the start of the period (see `details`)
        return _date(value)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            if not isinstance(value, str):
                raise fail("hours must be a number")
            try:
                value = float(value)
            except ValueError:
                raise fail(f"{value!r} is not a number") from None
        if math.isnan(value):
            raise fail("NaN is not a number of hours")
        if math.isinf(value):
            raise fail(f"{value} is not a finite number")
        if value < 0:
            raise fail(f"{value:g} is negative; hours are zero or more")
        if value > 10_000:
            raise fail(f"{value:g} hours cannot be right")
        return float(value)

    @field_validator("status")
    @classmethod
    def _status(cls, value: Any) -> Any:
        if value not in STATUSES:
            raise fail(f"{value!r} is not a ledger status")
        return value

    @field_validator("details")
    @classmethod
    def _details(cls, value: Any, info: ValidationInfo) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise fail("details is an object")
        out = dict(value)
        if info.data.get("kind") != "work":
            return out
        period = _WorkPeriod.model_validate(out, context={"needs": info.data.get("date") is None})
        if period.start is not None:
            out["start"] = period.start.isoformat()
        if "start" in out or "end" in out:
            out["end"] = period.end.isoformat() if period.end else None
        return out

    @field_validator("areas", "tags")
    @classmethod
    def _texts(cls, value: Any) -> frozenset[str]:
        return _strings(value)

    def day(self) -> dt.date:
        """The item's date: its own, or the start of a work period."""
        return self.date or dt.date.fromisoformat(self.details["start"])


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Any = None
    as_of: Any = None
    evidence: Any = Field(default=None, validate_default=True)

    @field_validator("category")
    @classmethod
    def _category(cls, value: Any) -> str | None:
        if value is not None and not isinstance(value, str):
            raise fail("write the category code as text, e.g. IMHS")
        return value

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value: Any) -> dt.date | None:
        return None if value is None else _date(value)

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, value: Any) -> list[_Item]:
        if not isinstance(value, list):
            raise fail("a list of evidence items is required")
        return _ITEMS.validate_python(value)


_ITEMS = TypeAdapter(list[_Item])
_FIELDS = {name: n for n, name in enumerate(_Document.model_fields)}
_ITEM_FIELDS = {name: n for n, name in enumerate(_Item.model_fields)}


def _message(error: ErrorDetails) -> str:
    if error["type"] == PROBLEM:
        return str((error.get("ctx") or {})["message"])
    if error["type"] == "extra_forbidden":
        return "unknown key"
    return error["msg"]


def _order(error: ErrorDetails) -> tuple[Any, ...]:
    """Unknown keys first, then each field in turn; each item's problems together, in order."""
    loc = error["loc"]
    unknown = error["type"] == "extra_forbidden"
    if loc[0] != "evidence" or len(loc) < 2:
        return (0, str(loc[0])) if unknown else (1, _FIELDS.get(str(loc[0]), 0))
    if len(loc) == 2:
        return (2, loc[1], -2)
    return (2, loc[1], _ITEM_FIELDS.get(str(loc[2]), -1))  # unknown keys come sorted


def parse_portfolio(doc: Any) -> Portfolio:
    """Validate a portfolio document; raise PortfolioError naming every bad place."""
    if not isinstance(doc, Mapping):
        raise PortfolioError([Problem("(document)", "a portfolio is an object with `evidence`")])
    raw = doc.get("evidence")
    if isinstance(raw, list) and len(raw) > MAX_ITEMS:
        raise PortfolioError(
            [Problem("evidence", f"{len(raw):,} items; a portfolio holds at most {MAX_ITEMS:,}")]
        )
    try:
        parsed = _Document.model_validate(doc)
    except ValidationError as exc:
        errors = sorted(exc.errors(include_url=False), key=_order)
        raise PortfolioError(Problem(location(e["loc"]), _message(e)) for e in errors) from None
    providers: dict[str, int] = {}
    items = []
    for i, item in enumerate(parsed.evidence):
        details = item.details
        provider_id = None
        if item.provider is not None:
            provider_id = providers.setdefault(str(item.provider), len(providers) + 1)
            details = {"provider_name": str(item.provider), **details}
        status = item.status
        if status is _DEFAULT:
            status = "attested" if item.kind == "rsc" else "verified"
        items.append(
            EvidenceItem(
                id=i + 1,
                kind=item.kind,
                date=item.day(),
                status=status,
                hours=item.hours,
                areas=item.areas,
                tags=item.tags,
                provider_id=provider_id,
                details=details,
                label=str(item.label),
            )
        )
    return Portfolio(tuple(items), parsed.category, parsed.as_of)


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
