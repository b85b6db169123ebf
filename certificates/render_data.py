"""The renderer's input: one frozen dataclass per document, checked by pydantic before drawing.

Callers build the dataclasses freely (and `dataclasses.replace` them); nothing is checked until a
renderer runs `validate`, which reports every problem at once as a `RenderIssue` whose `where` is
the path of the bad value (`requirements[0].status`). The field annotations are the whole
contract: pydantic reads their types (strict: no text for a number, no string for a date) and the
`AfterValidator`s below for the rules a type cannot say (a fraction, a status, a URL).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AllowInfNan,
    ConfigDict,
    InstanceOf,
    Strict,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError
from reportlab.lib.pagesizes import A4, LETTER

__all__ = [
    "AreaMark",
    "CompletionData",
    "DomainAreas",
    "DomainTotal",
    "EndorsementData",
    "FontNotFoundError",
    "PageSize",
    "ProgressData",
    "RenderError",
    "RenderIssue",
    "RequirementLine",
    "STATUSES",
    "TrainingLine",
    "TranscriptData",
    "clean_text",
    "validate",
]

STATUSES = ("met", "in progress", "not started")
PageSize = Literal["letter", "A4"]
_PAGE_SIZES = {"letter": LETTER, "a4": A4}
MAX_URL_CHARS = 1000


# --- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderIssue:
    """One problem with the input, and where it is."""

    where: str
    message: str


class RenderError(ValueError):
    """Raised when the data handed to a renderer cannot be drawn; carries every problem found."""

    def __init__(self, errors: Sequence[RenderIssue]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.where}: {e.message}" for e in self.errors))


class FontNotFoundError(RenderError):
    """Raised when no usable TrueType font can be found or loaded."""


# --- text hygiene -----------------------------------------------------------------------------

# Bidi embedding/override/isolate controls would let a name visually reorder the text around it.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def clean_text(text: str) -> str:
    """Return text safe to draw: NFC, no bidi controls or control characters, single spaces."""
    text = unicodedata.normalize("NFC", text).translate(_BIDI_CONTROLS)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


# --- field rules ------------------------------------------------------------------------------


def _fail(message: str) -> PydanticCustomError:
    # The message is preformatted: escape braces so pydantic's templating leaves it alone.
    return PydanticCustomError("render", message.replace("{", "{{").replace("}", "}}"))


def _filled(value: str) -> str:
    if not clean_text(value):
        raise _fail("must not be empty")
    return value


def _not_negative(value: float) -> float:
    if value < 0:
        raise _fail("must not be negative")
    return value


def _positive(value: float) -> float:
    if not value > 0:
        raise _fail("must be greater than 0")
    return value


def _fraction(value: float) -> float:
    if not 0 <= value <= 1:
        raise _fail(f"must be between 0 and 1, got {value:g}")
    return value


def _status(value: str) -> str:
    if value not in STATUSES:
        raise _fail(f"must be one of: {', '.join(STATUSES)}")
    return value


def _code(value: str) -> str:
    if not value.strip() or not value.isprintable():
        raise _fail("must be printable and not empty")
    return value


def _url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise _fail("must start with https:// or http://")
    if len(value) > MAX_URL_CHARS or not value.isprintable() or " " in value:
        raise _fail(f"must be at most {MAX_URL_CHARS} printable characters")
    return value


# Strict scalars: a number is an int or float (not a bool, not text) and finite; a date is any
# `date` (a datetime too). Sequences are lax only in their container: a list does for a tuple.
Text = Annotated[str, Strict()]
Filled = Annotated[Text, AfterValidator(_filled)]
Number = Annotated[float, Strict(), AllowInfNan(False)]
Hours = Annotated[Number, AfterValidator(_not_negative)]
Day = InstanceOf[date]
Flag = Annotated[bool, Strict()]
Texts = Annotated[tuple[Text, ...], Strict(False)]
Code = Annotated[Text, AfterValidator(_code)]
Url = Annotated[Text, AfterValidator(_url)]
_CHECKED = ConfigDict(strict=True, revalidate_instances="always")


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementLine:
    """One requirement's figures, e.g. RSC 32.5 of 50 h, in progress."""

    __pydantic_config__ = _CHECKED

    label: Text
    value: Hours
    target: Annotated[Number, AfterValidator(_positive)]
    unit: Text
    status: Annotated[Text, AfterValidator(_status)]  # one of STATUSES
    text: Text = ""  # plain-language note drawn under the figures


@dataclass(frozen=True)
class AreaMark:
    """One competency area and whether the evidence covers it."""

    __pydantic_config__ = _CHECKED

    name: Text
    covered: Flag


@dataclass(frozen=True)
class DomainAreas:
    """The areas of one domain, in display order."""

    __pydantic_config__ = _CHECKED

    domain: Text
    areas: Annotated[tuple[AreaMark, ...], Strict(False)]


@dataclass(frozen=True)
class ProgressData:
    """Everything a progress report shows."""

    __pydantic_config__ = _CHECKED

    holder_name: Filled
    association_name: Filled
    category_code: Filled
    category_name: Text
    as_of: Day
    overall_progress: Annotated[Number, AfterValidator(_fraction)]  # 0..1
    requirements: Annotated[tuple[RequirementLine, ...], Strict(False)]
    area_grid: Annotated[tuple[DomainAreas, ...], Strict(False)]
    forecast_text: Text
    missing: Texts
    verification_code: Code
    verify_url: Url
    issuer_line: Text
    issued_on: Day


@dataclass(frozen=True)
class TrainingLine:
    """One counted training on a transcript."""

    __pydantic_config__ = _CHECKED

    completed_on: Day
    title: Text
    provider: Text
    hours: Hours
    areas: Texts
    source: Text  # e.g. "trainer roster", "CSV import", "self-reported, verified"


@dataclass(frozen=True)
class DomainTotal:
    """Counted hours touching one domain (a training covering two domains counts in both)."""

    __pydantic_config__ = _CHECKED

    domain: Text
    hours: Number


@dataclass(frozen=True)
class TranscriptData:
    """Everything a training transcript shows; the overall total is summed from the trainings.

    `scheduled` are counted trainings dated after `as_of`: listed, in no total.
    """

    __pydantic_config__ = _CHECKED

    holder_name: Filled
    association_name: Text
    as_of: Day
    trainings: Annotated[tuple[TrainingLine, ...], Strict(False)]
    domain_totals: Annotated[tuple[DomainTotal, ...], Strict(False)]
    verification_code: Code
    verify_url: Url
    issuer_line: Text
    issued_on: Day
    scheduled: Annotated[tuple[TrainingLine, ...], Strict(False)] = ()


@dataclass(frozen=True)
class CompletionData:
    """Everything a course completion certificate shows."""

    __pydantic_config__ = _CHECKED

    holder_name: Filled
    training_title: Filled
    provider_name: Text
    completed_on: Day
    hours: Hours
    areas: Texts
    trainer_name: Text
    verification_code: Code
    verify_url: Url
    issuer_line: Text
    issued_on: Day


@dataclass(frozen=True)
class EndorsementData:
    """Everything an endorsement certificate shows."""

    __pydantic_config__ = _CHECKED

    association_name: Filled
    holder_name: Filled
    category_code: Filled
    category_name: Text
    endorsement_number: Filled
    awarded_on: Day
    renewal_due: Day
    verification_code: Code
    verify_url: Url
    issuer_line: Text
    issued_on: Day


Document = ProgressData | TranscriptData | CompletionData | EndorsementData


# --- validation -------------------------------------------------------------------------------

_EXPECTED = {
    "string_type": "text",
    "float_type": "a number",
    "int_type": "a number",
    "bool_type": "True or False",
    "tuple_type": "a tuple",
}


@functools.cache
def _adapter(cls: type) -> TypeAdapter[Any]:
    """Return the pydantic validator of one document class (built on first use)."""
    return TypeAdapter(cls)


def _where(loc: tuple[str | int, ...]) -> str:
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else f".{part}"
    return where.removeprefix(".") or "data"


def _issue(error: Any) -> RenderIssue:
    """Word one pydantic error as the renderer always has: the path, then what is wrong."""
    kind, got = error["type"], type(error["input"]).__name__
    ctx = error.get("ctx") or {}
    if kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {got}"
    elif kind == "is_instance_of":
        message = (
            f"expected {'a date' if ctx.get('class') == 'date' else ctx.get('class')}, got {got}"
        )
    elif kind in ("dataclass_exact_type", "dataclass_type"):
        message = f"expected {ctx.get('class_name')}, got {got}"
    elif kind == "finite_number":
        message = "must be a finite number"
    else:
        message = error["msg"]
    return RenderIssue(_where(error["loc"]), message)


def _page_size(page_size: object, issues: list[RenderIssue]) -> tuple[float, float]:
    size = _PAGE_SIZES.get(page_size.lower()) if isinstance(page_size, str) else None
    if size is None:
        issues.append(RenderIssue("page_size", f'must be "letter" or "A4", got {page_size!r}'))
        return LETTER
    return size


def validate(data: object, expected: type, page_size: object) -> tuple[float, float]:
    """Check data (an `expected` instance) and the page size; return the page's size in points.

    Raises RenderError naming every bad value by its path.
    """
    if not isinstance(data, expected):
        raise RenderError(
            [RenderIssue("data", f"expected {expected.__name__}, got {type(data).__name__}")]
        )
    issues: list[RenderIssue] = []
    size = _page_size(page_size, issues)
    try:
        _adapter(expected).validate_python(data)
    except ValidationError as exc:
        issues.extend(_issue(error) for error in exc.errors(include_url=False))
    if issues:
        raise RenderError(issues)
    return size
