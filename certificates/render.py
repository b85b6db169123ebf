"""Render progress reports, transcripts and certificates as PDF bytes.

Pure: data in, bytes out. The only I/O is reading TrueType font files, and the only state is the
per-process registry of those fonts.

Fonts: DejaVu Sans when the system has it (`DEFAULT_FONT_DIRS`), else Bitstream Vera Sans, which
reportlab ships in its own package, so certificates render wherever the project installs. DejaVu
is derived from Vera and looks the same, with far more characters: Vera has Latin-1 and some of
Latin Extended-A (Ł, Š, Ž, č, ğ, but not ő, ř, ě or Vietnamese), curly quotes and dashes, and
no ✓ or ✗, so the coverage marks fall back to √ and ×. Any other TrueType pair can be passed as
a `FontSet` (the app reads LMS_PDF_FONT and LMS_PDF_FONT_BOLD, see `FontSet.configured`).
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import Literal, get_args, get_origin, get_type_hints

import reportlab
import segno
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "AreaMark",
    "CompletionData",
    "DomainAreas",
    "DomainTotal",
    "EndorsementData",
    "FontNotFoundError",
    "FontSet",
    "ProgressData",
    "RenderError",
    "RenderIssue",
    "RequirementLine",
    "STATUSES",
    "TrainingLine",
    "TranscriptData",
    "clean_text",
    "qr_matrix",
    "qr_runs",
    "render_bare_page",
    "render_completion",
    "render_endorsement",
    "render_progress",
    "render_transcript",
    "wrap_text",
]

CREATOR = "IMH Pathway"
STATUSES = ("met", "in progress", "not started")
PageSize = Literal["letter", "A4"]
_PAGE_SIZES = {"letter": LETTER, "a4": A4}
DEFAULT_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
# Bitstream Vera Sans, shipped inside reportlab's package (licence: reportlab/fonts/
# bitstream-vera-license.txt); DejaVu Sans is its derivative.
PACKAGED_FONT_DIR = Path(reportlab.__file__).parent / "fonts"
PACKAGED_FONTS = ("Vera.ttf", "VeraBd.ttf")
_MAX_URL_CHARS = 1000
_QR_MASK = 0
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


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


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementLine:
    """One requirement's figures, e.g. RSC 32.5 of 50 h, in progress."""

    label: str
    value: float
    target: float
    unit: str
    status: str  # one of STATUSES
    text: str = ""  # plain-language note drawn under the figures


@dataclass(frozen=True)
class AreaMark:
    """One competency area and whether the evidence covers it."""

    name: str
    covered: bool


@dataclass(frozen=True)
class DomainAreas:
    """The areas of one domain, in display order."""

    domain: str
    areas: tuple[AreaMark, ...]


@dataclass(frozen=True)
class ProgressData:
    """Everything a progress report shows."""

    holder_name: str
    association_name: str
    category_code: str
    category_name: str
    as_of: date
    overall_progress: float  # 0..1
    requirements: tuple[RequirementLine, ...]
    area_grid: tuple[DomainAreas, ...]
    forecast_text: str
    missing: tuple[str, ...]
    verification_code: str
    verify_url: str
    issuer_line: str
    issued_on: date


@dataclass(frozen=True)
class TrainingLine:
    """One counted training on a transcript."""

    completed_on: date
    title: str
    provider: str
    hours: float
    areas: tuple[str, ...]
    source: str  # e.g. "trainer roster", "CSV import", "self-reported, verified"


@dataclass(frozen=True)
class DomainTotal:
    """Counted hours touching one domain (a training covering two domains counts in both)."""

    domain: str
    hours: float


@dataclass(frozen=True)
class TranscriptData:
    """Everything a training transcript shows; the overall total is summed from the trainings."""

    holder_name: str
    association_name: str
    as_of: date
    trainings: tuple[TrainingLine, ...]
    domain_totals: tuple[DomainTotal, ...]
    verification_code: str
    verify_url: str
    issuer_line: str
    issued_on: date


@dataclass(frozen=True)
class CompletionData:
    """Everything a course completion certificate shows."""

    holder_name: str
    training_title: str
    provider_name: str
    completed_on: date
    hours: float
    areas: tuple[str, ...]
    trainer_name: str
    verification_code: str
    verify_url: str
    issuer_line: str
    issued_on: date


@dataclass(frozen=True)
class EndorsementData:
    """Everything an endorsement certificate shows."""

    association_name: str
    holder_name: str
    category_code: str
    category_name: str
    endorsement_number: str
    awarded_on: date
    renewal_due: date
    verification_code: str
    verify_url: str
    issuer_line: str
    issued_on: date


_Document = ProgressData | TranscriptData | CompletionData | EndorsementData

# Resolved once at import: these are constants, not a cache.
_HINTS = {
    cls: get_type_hints(cls)
    for cls in (
        RequirementLine,
        AreaMark,
        DomainAreas,
        ProgressData,
        TrainingLine,
        DomainTotal,
        TranscriptData,
        CompletionData,
        EndorsementData,
    )
}


# --- fonts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FontSet:
    """A regular and a bold TrueType font file, embedded (subset) in every document."""

    regular: Path
    bold: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "regular", Path(self.regular))
        object.__setattr__(self, "bold", Path(self.bold))

    @classmethod
    def default(cls, search_dirs: Sequence[Path | str] | None = None) -> FontSet:
        """Return DejaVu Sans from the system folders, else the Vera Sans reportlab ships."""
        folders = DEFAULT_FONT_DIRS if search_dirs is None else search_dirs
        for folder in map(Path, folders):
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.is_file() and bold.is_file():
                return cls(regular, bold)
        regular, bold = (PACKAGED_FONT_DIR / name for name in PACKAGED_FONTS)
        if regular.is_file() and bold.is_file():
            return cls(regular, bold)
        searched = ", ".join(str(d) for d in (*folders, PACKAGED_FONT_DIR))
        raise FontNotFoundError(
            [
                RenderIssue(
                    "fonts",
                    f"neither DejaVuSans.ttf and DejaVuSans-Bold.ttf nor reportlab's "
                    f"{' and '.join(PACKAGED_FONTS)} found in {searched}; reinstall reportlab "
                    "or pass FontSet(regular=..., bold=...)",
                )
            ]
        )

    @classmethod
    def configured(
        cls,
        regular: str | Path | None,
        bold: str | Path | None = None,
        search_dirs: Sequence[Path | str] | None = None,
    ) -> FontSet:
        """Return the configured TrueType files (bold defaults to regular), else the default."""
        if not regular:
            return cls.default(search_dirs)
        chosen = cls(Path(regular), Path(bold or regular))
        issues = [
            RenderIssue(where, f"{path} is not a file")
            for where, path in (("PDF_FONT", chosen.regular), ("PDF_FONT_BOLD", chosen.bold))
            if not path.is_file()
        ]
        if issues:
            raise FontNotFoundError(issues)
        return chosen


_font_names: dict[str, str] = {}
_font_lock = threading.Lock()


def _font_name(path: Path, where: str, issues: list[RenderIssue]) -> str:
    key = str(path)
    name = _font_names.get(key)
    if name is not None:
        return name
    with _font_lock:
        name = _font_names.get(key)
        if name is not None:
            return name
        if not path.is_file():
            issues.append(RenderIssue(f"{where} ({path})", "font file not found"))
            return ""
        name = "IMH-" + hashlib.sha256(key.encode()).hexdigest()[:12]
        try:
            pdfmetrics.registerFont(TTFont(name, key))
        except (TTFError, OSError) as exc:
            issues.append(RenderIssue(f"{where} ({path})", f"not a usable TrueType font: {exc}"))
            return ""
        _font_names[key] = name
        return name


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str

    def has(self, chars: str) -> bool:
        """Return whether both faces have a glyph for every one of `chars`."""
        return all(
            ord(c) in pdfmetrics.getFont(name).face.charToGlyph
            for name in (self.regular, self.bold)
            for c in chars
        )


def _load_fonts(fonts: FontSet | None) -> _Fonts:
    fonts = fonts or FontSet.default()
    issues: list[RenderIssue] = []
    regular = _font_name(fonts.regular, "fonts.regular", issues)
    bold = _font_name(fonts.bold, "fonts.bold", issues)
    if issues:
        raise FontNotFoundError(issues)
    return _Fonts(regular, bold)


# --- text hygiene and formatting --------------------------------------------------------------

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


def _num(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _long_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _percent(fraction: float) -> int:
    # Floor, so 99.6 % never reads as done.
    return math.floor(fraction * 100 + 1e-9)


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Split cleaned text into lines no wider than width; words longer than a line are cut."""
    text = clean_text(text)
    if not text:
        return []
    space = pdfmetrics.stringWidth(" ", font, size)
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    for word in text.split(" "):
        w = pdfmetrics.stringWidth(word, font, size)
        if line and used + space + w <= width:
            line.append(word)
            used += space + w
            continue
        if line:
            lines.append(" ".join(line))
            line, used = [], 0.0
        if w <= width:
            line, used = [word], w
            continue
        piece, piece_w = "", 0.0
        for ch in word:
            cw = pdfmetrics.stringWidth(ch, font, size)
            if piece and piece_w + cw > width:
                lines.append(piece)
                piece, piece_w = "", 0.0
            piece += ch
            piece_w += cw
        line, used = [piece], piece_w
    if line:
        lines.append(" ".join(line))
    return lines


# --- QR code ----------------------------------------------------------------------------------


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Return the QR code modules for url (True = dark), without the quiet zone."""
    # A fixed mask: scoring all eight (segno's default) takes ~4 ms, 40 % of the 10 ms budget,
    # and decoders read whichever mask the format bits name.
    qr = segno.make(url, error="m", micro=False, mask=_QR_MASK)
    return tuple(tuple(bool(v) for v in row) for row in qr.matrix)


def qr_runs(matrix: Sequence[Sequence[bool]]) -> list[tuple[int, int, int]]:
    """Return the dark horizontal runs of matrix as (row, first column, length)."""
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(matrix):
        start = -1
        for c, dark in enumerate(row):
            if dark and start < 0:
                start = c
            elif not dark and start >= 0:
                runs.append((r, start, c - start))
                start = -1
        if start >= 0:
            runs.append((r, start, len(row) - start))
    return runs


def _draw_qr(
    canvas: Canvas, matrix: Sequence[Sequence[bool]], x: float, top: float, module: float
) -> None:
    """Draw matrix as one filled path with its top-left module corner at (x, top)."""
    # Module units with rows growing downward make every run a small integer rectangle; writing
    # the operators directly is several times faster than one reportlab path call per run.
    ops = [f"q {module:.4f} 0 0 {-module:.4f} {x:.4f} {top:.4f} cm 0 g"]
    ops.extend(f"{c} {r} {n} 1 re" for r, c, n in qr_runs(matrix))
    ops.append("f Q")
    canvas.addLiteral("\n".join(ops))


# --- validation -------------------------------------------------------------------------------


def _check_types(obj: object, where: str, issues: list[RenderIssue]) -> None:
    hints = _HINTS.get(type(obj)) or get_type_hints(type(obj))
    for f in fields(obj):  # type: ignore[arg-type]
        _check_value(getattr(obj, f.name), hints[f.name], f"{where}.{f.name}", issues)


def _check_value(value: object, hint: object, where: str, issues: list[RenderIssue]) -> None:
    if get_origin(hint) is tuple:
        if not isinstance(value, tuple | list):
            issues.append(RenderIssue(where, f"expected a tuple, got {type(value).__name__}"))
            return
        item_hint = get_args(hint)[0]
        for i, item in enumerate(value):
            _check_value(item, item_hint, f"{where}[{i}]", issues)
    elif is_dataclass(hint):
        if not isinstance(value, hint):  # type: ignore[arg-type]
            name = hint.__name__  # type: ignore[attr-defined]
            issues.append(RenderIssue(where, f"expected {name}, got {type(value).__name__}"))
        else:
            _check_types(value, where, issues)
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            issues.append(RenderIssue(where, f"expected a number, got {type(value).__name__}"))
        elif not math.isfinite(value):
            issues.append(RenderIssue(where, "must be a finite number"))
    elif hint in (str, bool, date) and not isinstance(value, hint):  # type: ignore[arg-type]
        expected = {str: "text", bool: "True or False", date: "a date"}[hint]  # type: ignore[index]
        issues.append(RenderIssue(where, f"expected {expected}, got {type(value).__name__}"))


def _require_text(issues: list[RenderIssue], obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str) and not clean_text(value):
            issues.append(RenderIssue(name, "must not be empty"))


def _check_verification(issues: list[RenderIssue], obj: _Document) -> None:
    code, url = obj.verification_code, obj.verify_url
    if isinstance(code, str) and (not code.strip() or not code.isprintable()):
        issues.append(RenderIssue("verification_code", "must be printable and not empty"))
    if isinstance(url, str):
        if not url.startswith(("https://", "http://")):
            issues.append(RenderIssue("verify_url", "must start with https:// or http://"))
        elif len(url) > _MAX_URL_CHARS or not url.isprintable() or " " in url:
            issues.append(
                RenderIssue("verify_url", f"must be at most {_MAX_URL_CHARS} printable characters")
            )


def _page_size(page_size: str, issues: list[RenderIssue]) -> tuple[float, float]:
    size = _PAGE_SIZES.get(page_size.lower()) if isinstance(page_size, str) else None
    if size is None:
        issues.append(RenderIssue("page_size", f'must be "letter" or "A4", got {page_size!r}'))
        return LETTER
    return size


def _validate(data: object, expected: type, page_size: str) -> tuple[float, float]:
    issues: list[RenderIssue] = []
    if not isinstance(data, expected):
        raise RenderError(
            [RenderIssue("data", f"expected {expected.__name__}, got {type(data).__name__}")]
        )
    size = _page_size(page_size, issues)
    _check_types(data, "", issues)
    # Paths come out as ".field"; drop the leading dot.
    issues = [RenderIssue(i.where.removeprefix("."), i.message) for i in issues]
    _check_verification(issues, data)
    _require_text(issues, data, "holder_name", "verification_code", "verify_url")
    if isinstance(data, ProgressData):
        _require_text(issues, data, "association_name", "category_code")
        p = data.overall_progress
        if isinstance(p, int | float) and not isinstance(p, bool) and not 0 <= p <= 1:
            issues.append(RenderIssue("overall_progress", f"must be between 0 and 1, got {p}"))
        for i, req in enumerate(data.requirements):
            if not isinstance(req, RequirementLine):
                continue
            where = f"requirements[{i}]"
            if isinstance(req.status, str) and req.status not in STATUSES:
                allowed = ", ".join(STATUSES)
                issues.append(RenderIssue(f"{where}.status", f"must be one of: {allowed}"))
            if isinstance(req.target, int | float) and not req.target > 0:
                issues.append(RenderIssue(f"{where}.target", "must be greater than 0"))
            if isinstance(req.value, int | float) and req.value < 0:
                issues.append(RenderIssue(f"{where}.value", "must not be negative"))
    elif isinstance(data, TranscriptData):
        for i, t in enumerate(data.trainings):
            if isinstance(t, TrainingLine) and isinstance(t.hours, int | float) and t.hours < 0:
                issues.append(RenderIssue(f"trainings[{i}].hours", "must not be negative"))
    elif isinstance(data, CompletionData):
        _require_text(issues, data, "training_title")
        if isinstance(data.hours, int | float) and data.hours < 0:
            issues.append(RenderIssue("hours", "must not be negative"))
    elif isinstance(data, EndorsementData):
        _require_text(issues, data, "association_name", "category_code", "endorsement_number")
    if issues:
        raise RenderError(issues)
    return size


# --- layout -----------------------------------------------------------------------------------

_MARGIN = 54.0  # 0.75 in
_FOOTER = 24.0
_INK = 0.1
_MUTED = 0.35
_BAR_FILL = (0.13, 0.40, 0.42)  # dark teal; every bar also has its figures in text
_BAR_TRACK = 0.9


class _Sheet:
    """A canvas with a top-down cursor that starts a new page when the next block does not fit."""

    def __init__(
        self,
        size: tuple[float, float],
        fonts: _Fonts,
        *,
        title: str,
        author: str,
        subject: str,
        footer: str,
    ) -> None:
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=size, invariant=1, pageCompression=1)
        self.canvas.setTitle(clean_text(title))
        self.canvas.setAuthor(clean_text(author))
        self.canvas.setSubject(clean_text(subject))
        self.canvas.setCreator(CREATOR)
        self.fonts = fonts
        self.width, self.height = size
        self.left, self.right = _MARGIN, self.width - _MARGIN
        self.top, self.bottom = self.height - _MARGIN, _MARGIN + _FOOTER
        self.y = self.top
        self.page = 1
        self.footer = clean_text(footer)
        self.on_new_page: Callable[[], None] | None = None

    @property
    def text_width(self) -> float:
        return self.right - self.left

    def _draw_footer(self) -> None:
        # The footer text is cut to the width left of the page number, never over it.
        footer = wrap_text(self.footer, self.fonts.regular, 8, self.text_width - 60)[:1]
        pieces = [(line, self.left, self.text_width - 60, "left") for line in footer]
        pieces.append((f"Page {self.page}", self.left, self.text_width, "right"))
        self._draw_line(pieces, self.fonts.regular, 8, _MUTED, baseline=_MARGIN)

    def new_page(self) -> None:
        self._draw_footer()
        self.canvas.showPage()
        self.page += 1
        self.y = self.top
        if self.on_new_page is not None:
            self.on_new_page()

    def need(self, height: float) -> None:
        """Start a new page unless height fits below the cursor.

        A block taller than a whole page starts at the top instead of looping.
        """
        if self.y - height < self.bottom and self.y < self.top:
            self.new_page()

    def gap(self, height: float) -> None:
        self.y -= height

    def text(
        self,
        text: str,
        size: float = 10,
        *,
        bold: bool = False,
        gray: float = _INK,
        align: str = "left",
        x: float | None = None,
        width: float | None = None,
        leading: float | None = None,
    ) -> None:
        """Draw text wrapped to width, one line at a time, breaking pages between lines."""
        font = self.fonts.bold if bold else self.fonts.regular
        x = self.left if x is None else x
        width = self.right - x if width is None else width
        leading = leading or size * 1.3
        for line in wrap_text(text, font, size, width):
            self.need(leading)
            self._draw_line([(line, x, width, align)], font, size, gray)
            self.y -= leading

    def _draw_line(
        self,
        pieces: Sequence[tuple[str, float, float, str]],
        font: str,
        size: float,
        gray: float,
        baseline: float | None = None,
    ) -> None:
        """Draw pieces (text, x, width, align) on one baseline in one text object.

        One text object without line feeds keeps text extractors from splitting the row.
        """
        t = self.canvas.beginText()
        t.setFont(font, size)
        t.setFillGray(gray)
        if baseline is None:
            baseline = self.y - size
        for text, x, width, align in pieces:
            if align != "left":
                slack = width - pdfmetrics.stringWidth(text, font, size)
                x += slack / 2 if align == "center" else slack
            t.setTextOrigin(x, baseline)
            t.textOut(text)
        self.canvas.drawText(t)

    def fitted_text(
        self,
        text: str,
        sizes: Sequence[float],
        *,
        bold: bool = True,
        align: str = "left",
    ) -> None:
        """Draw text at the largest size that fits on one line, else wrapped at the smallest."""
        font = self.fonts.bold if bold else self.fonts.regular
        width = self.text_width
        chosen = sizes[-1]
        for size in sizes:
            if pdfmetrics.stringWidth(clean_text(text), font, size) <= width:
                chosen = size
                break
        self.text(text, chosen, bold=bold, align=align)

    def bar(self, x: float, y: float, width: float, height: float, fraction: float) -> None:
        c = self.canvas
        c.setLineWidth(0.5)
        c.setStrokeGray(_MUTED)
        c.setFillGray(_BAR_TRACK)
        c.rect(x, y, width, height, stroke=1, fill=1)
        filled = width * min(max(fraction, 0.0), 1.0)
        if filled > 0:
            c.setFillColorRGB(*_BAR_FILL)
            c.rect(x, y, filled, height, stroke=0, fill=1)

    def rule(self, gray: float = 0.75) -> None:
        c = self.canvas
        c.setLineWidth(0.5)
        c.setStrokeGray(gray)
        c.line(self.left, self.y, self.right, self.y)

    def columns(
        self,
        cells: Sequence[tuple[str, float, float, str]],
        size: float,
        *,
        bold: bool = False,
        leading: float | None = None,
    ) -> float:
        """Draw one row of wrapped cells (text, x, width, align); return its top.

        Lines go across the row one at a time so extracted text reads left to right; the top is
        taken after any page break, for drawing beside the row.
        """
        font = self.fonts.bold if bold else self.fonts.regular
        leading = leading or size * 1.3
        wrapped = [(wrap_text(t, font, size, w), x, w, a) for t, x, w, a in cells]
        rows = max((len(lines) for lines, *_ in wrapped), default=0)
        self.need(rows * leading)
        top = self.y
        for i in range(rows):
            line = [(lines[i], x, w, a) for lines, x, w, a in wrapped if i < len(lines)]
            self._draw_line(line, font, size, _INK)
            self.y -= leading
        return top

    def verification_block(self, code: str, url: str, issuer_line: str, issued_on: date) -> None:
        """Draw the code, URL, issuer and QR code side by side, kept together on one page."""
        module = 2.4
        matrix = qr_matrix(url)
        size = len(matrix) * module
        quiet = 4 * module  # the white border scanners need
        block = size + 2 * quiet
        self.need(block)
        top, page = self.y, self.page
        qr_x = self.right - size - quiet
        text_width = qr_x - quiet - self.left
        # The QR first: should a long issuer line spill onto the next page, it stays put.
        _draw_qr(self.canvas, matrix, qr_x, top - quiet, module)
        qr_box = (qr_x, top - quiet - size, qr_x + size, top - quiet)
        self.canvas.linkURL(url, qr_box, relative=0)  # a reader can click the QR code too
        self.y -= quiet
        self.text("Verification code", 9, bold=True, width=text_width, gray=_MUTED)
        self.text(code, 14, bold=True, width=text_width)
        self.gap(2)
        self.text("Check this document at", 9, width=text_width, gray=_MUTED)
        url_top, url_page = self.y, self.page
        self.text(url, 9, width=text_width)
        if self.page == url_page:  # the printed address is a clickable link
            box = (self.left, self.y, self.left + text_width, url_top)
            self.canvas.linkURL(url, box, relative=0)
        self.gap(4)
        self.text(issuer_line, 9, width=text_width)
        self.text(f"Issued on {_long_date(issued_on)}", 9, width=text_width, gray=_MUTED)
        if self.page == page:
            self.y = min(self.y, top - block)

    def finish(self) -> bytes:
        self._draw_footer()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


# --- documents --------------------------------------------------------------------------------


def render_progress(
    data: ProgressData, *, page_size: PageSize = "letter", fonts: FontSet | None = None
) -> bytes:
    """Render a clinician's progress toward a category as a PDF."""
    size = _validate(data, ProgressData, page_size)
    f = _load_fonts(fonts)
    category = f"{clean_text(data.category_code)} · {clean_text(data.category_name)}".rstrip(" ·")
    s = _Sheet(
        size,
        f,
        title=f"Endorsement progress: {data.holder_name}",
        author=data.association_name,
        subject=f"Progress toward {category} as of {data.as_of.isoformat()}",
        footer=f"Endorsement progress · {data.holder_name} · {data.verification_code}",
    )
    s.text(data.association_name, 10, bold=True, gray=_MUTED)
    s.text("Progress toward the Infant Mental Health Endorsement", 16, bold=True)
    s.gap(6)
    s.fitted_text(data.holder_name, (22, 20, 18, 16, 14))
    s.text(f"Category: {category}", 11)
    s.text(f"As of {_long_date(data.as_of)}", 11, gray=_MUTED)
    s.gap(10)

    percent = _percent(data.overall_progress)
    s.text(f"Overall progress: {percent}%", 12, bold=True)
    s.need(14)
    s.bar(s.left, s.y - 10, s.text_width, 10, data.overall_progress)
    s.gap(20)

    s.text("Requirements", 13, bold=True)
    s.gap(2)
    w = s.text_width
    label_x, label_w = s.left, w * 0.30
    bar_x, bar_w = s.left + w * 0.32, w * 0.22
    fig_x, fig_w = s.left + w * 0.56, w * 0.26
    status_x, status_w = s.left + w * 0.84, w * 0.16
    for req in data.requirements:
        figures = f"{_num(req.value)} of {_num(req.target)} {clean_text(req.unit)}".rstrip()
        top = s.columns(
            [
                (req.label, label_x, label_w, "left"),
                (figures, fig_x, fig_w, "left"),
                (req.status, status_x, status_w, "left"),
            ],
            10,
        )
        fraction = 1.0 if req.status == "met" else min(req.value / req.target, 1.0)
        s.bar(bar_x, top - 10, bar_w, 8, fraction)
        if clean_text(req.text):
            s.text(req.text, 8.5, gray=_MUTED, x=label_x + 8, width=w - 8)
        s.gap(4)
    s.gap(8)

    s.text("Competency areas", 13, bold=True)
    half = (s.text_width - 12) / 2
    yes, no = ("✓", "✗") if f.has("✓✗") else ("√", "×")  # Vera has no ✓ or ✗
    for domain in data.area_grid:
        covered = sum(1 for a in domain.areas if a.covered)
        s.gap(3)
        s.need(30)
        s.text(f"{domain.domain}: {covered} of {len(domain.areas)} covered", 10, bold=True)
        cells = [
            f"{yes if a.covered else no} {clean_text(a.name)} "
            f"({'covered' if a.covered else 'not covered'})"
            for a in domain.areas
        ]
        for i in range(0, len(cells), 2):
            pair = [(cells[i], s.left + 8, half - 8, "left")]
            if i + 1 < len(cells):
                pair.append((cells[i + 1], s.left + half + 12, half, "left"))
            s.columns(pair, 9)
    s.gap(10)

    s.text("Forecast", 13, bold=True)
    s.text(clean_text(data.forecast_text) or "No projected date yet", 10)
    s.gap(8)

    s.text("Still missing", 13, bold=True)
    if not data.missing:
        s.text("Nothing: every requirement is met.", 10)
    for item in data.missing:
        s.columns(
            [("•", s.left + 4, 8, "left"), (item, s.left + 14, s.text_width - 14, "left")], 10
        )
    s.gap(12)

    s.verification_block(data.verification_code, data.verify_url, data.issuer_line, data.issued_on)
    return s.finish()


def render_transcript(
    data: TranscriptData, *, page_size: PageSize = "letter", fonts: FontSet | None = None
) -> bytes:
    """Render a clinician's counted trainings and hour totals as a PDF."""
    size = _validate(data, TranscriptData, page_size)
    f = _load_fonts(fonts)
    s = _Sheet(
        size,
        f,
        title=f"Training transcript: {data.holder_name}",
        author=data.association_name,
        subject=f"Counted trainings as of {data.as_of.isoformat()}",
        footer=f"Training transcript · {data.holder_name} · {data.verification_code}",
    )
    s.text(data.association_name, 10, bold=True, gray=_MUTED)
    s.text("Training transcript", 16, bold=True)
    s.gap(6)
    s.fitted_text(data.holder_name, (20, 18, 16, 14))
    s.text(f"As of {_long_date(data.as_of)} · {len(data.trainings)} counted trainings", 10)
    s.gap(10)

    w = s.text_width
    spans = (0.13, 0.27, 0.19, 0.08, 0.20, 0.13)  # date, title, provider, hours, areas, source
    xs = [s.left + w * sum(spans[:i]) for i in range(len(spans))]
    widths = [w * part - 6 for part in spans]
    aligns = ("left", "left", "left", "right", "left", "left")
    headings = ("Date", "Title", "Provider", "Hours", "Areas", "Source")

    def header_row() -> None:
        s.columns(list(zip(headings, xs, widths, aligns, strict=True)), 8.5, bold=True)
        s.gap(2)
        s.rule(0.4)
        s.gap(3)

    s.need(60)  # the header row and at least a couple of trainings
    header_row()
    s.on_new_page = header_row
    total = 0.0
    for t in data.trainings:
        total += t.hours
        row = (
            t.completed_on.isoformat(),
            t.title,
            t.provider,
            _num(t.hours),
            "; ".join(clean_text(a) for a in t.areas),
            t.source,
        )
        s.columns(list(zip(row, xs, widths, aligns, strict=True)), 8, leading=10)
        s.gap(2)
        s.rule()
        s.gap(3)
    s.on_new_page = None
    if not data.trainings:
        s.text("No counted trainings yet.", 9)
    s.gap(10)

    s.need(40 + 12 * len(data.domain_totals))
    s.text(f"Total counted hours: {_num(total)}", 12, bold=True)
    if data.domain_totals:
        s.gap(4)
        s.text("Hours by domain (a training covering several domains counts in each)", 10)
        for d in data.domain_totals:
            s.columns(
                [
                    (d.domain, s.left + 8, w * 0.6, "left"),
                    (_num(d.hours), s.left + w * 0.62, 60, "right"),
                ],
                9.5,
            )
    s.gap(12)
    s.verification_block(data.verification_code, data.verify_url, data.issuer_line, data.issued_on)
    return s.finish()


def render_completion(
    data: CompletionData, *, page_size: PageSize = "letter", fonts: FontSet | None = None
) -> bytes:
    """Render a course completion certificate as a PDF."""
    size = _validate(data, CompletionData, page_size)
    f = _load_fonts(fonts)
    s = _Sheet(
        size,
        f,
        title=f"Certificate of completion: {data.holder_name}",
        author=data.provider_name,
        subject=f"Completion of {data.training_title} on {data.completed_on.isoformat()}",
        footer=f"Certificate of completion · {data.verification_code}",
    )
    s.gap(30)
    s.text("Certificate of completion", 26, bold=True, align="center")
    s.gap(18)
    s.text("This certifies that", 11, gray=_MUTED, align="center")
    s.gap(4)
    s.fitted_text(data.holder_name, (24, 22, 20, 18, 16), align="center")
    s.gap(4)
    s.text("completed the training", 11, gray=_MUTED, align="center")
    s.gap(4)
    s.text(data.training_title, 16, bold=True, align="center")
    if clean_text(data.provider_name):
        s.text(f"offered by {clean_text(data.provider_name)}", 11, align="center")
    s.gap(10)
    s.text(
        f"on {_long_date(data.completed_on)} · {_num(data.hours)} clock hours", 12, align="center"
    )
    if clean_text(data.trainer_name):
        s.text(f"Trainer: {clean_text(data.trainer_name)}", 11, align="center")
    if data.areas:
        s.gap(10)
        s.text("Competency areas", 10, bold=True, align="center")
        s.text("; ".join(clean_text(a) for a in data.areas), 10, align="center")
    s.gap(30)
    s.verification_block(data.verification_code, data.verify_url, data.issuer_line, data.issued_on)
    return s.finish()


def render_endorsement(
    data: EndorsementData, *, page_size: PageSize = "letter", fonts: FontSet | None = None
) -> bytes:
    """Render an endorsement certificate as a PDF."""
    size = _validate(data, EndorsementData, page_size)
    f = _load_fonts(fonts)
    category = f"{clean_text(data.category_code)} · {clean_text(data.category_name)}".rstrip(" ·")
    s = _Sheet(
        size,
        f,
        title=f"Endorsement certificate: {data.holder_name}",
        author=data.association_name,
        subject=f"Endorsement {data.endorsement_number} ({category})",
        footer=f"Endorsement certificate · {data.endorsement_number} · {data.verification_code}",
    )
    s.gap(20)
    s.text(data.association_name, 14, bold=True, align="center", gray=_MUTED)
    s.gap(16)
    s.text("Infant Mental Health Endorsement", 12, align="center")
    s.text("Certificate of endorsement", 26, bold=True, align="center")
    s.gap(18)
    s.text("awarded to", 11, gray=_MUTED, align="center")
    s.gap(4)
    s.fitted_text(data.holder_name, (24, 22, 20, 18, 16), align="center")
    s.gap(10)
    s.text(f"Category: {category}", 13, align="center")
    s.gap(14)
    s.text(f"Endorsement number: {clean_text(data.endorsement_number)}", 11, align="center")
    s.text(f"Awarded on {_long_date(data.awarded_on)}", 11, align="center")
    s.text(f"Renewal due by {_long_date(data.renewal_due)}", 11, align="center")
    s.gap(30)
    s.verification_block(data.verification_code, data.verify_url, data.issuer_line, data.issued_on)
    return s.finish()


def render_bare_page() -> bytes:
    """Render a one-page document with one line in a base font: the benchmark's baseline."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=1)
    canvas.drawString(72, 720, "IMH Pathway")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
