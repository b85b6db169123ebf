"""Render progress reports, transcripts and certificates as PDF bytes.

Pure: data in, bytes out. The only I/O is reading TrueType font files, and the only state is the
per-process registry of those fonts and what is kept of them (`render_fonts`), and the kept
wrapping of lines (`render_sheet`). The input dataclasses and their pydantic checks live in
`render_data`, the drawing primitives in `render_sheet`, the QR code (segno) in `qr`; this module
holds the fonts' choice and the four documents, and re-exports the public names of those.

Fonts: DejaVu Sans when the system has it (`DEFAULT_FONT_DIRS`), else Bitstream Vera Sans, which
reportlab ships in its own package, so certificates render wherever the project installs. DejaVu
is derived from Vera and looks the same, with far more characters: Vera has Latin-1 and some of
Latin Extended-A (Ł, Š, Ž, č, ğ, but not ő, ř, ě or Vietnamese), curly quotes and dashes, and
no ✓ or ✗, so the coverage marks fall back to √ and ×. Any other TrueType pair can be passed as
a `FontSet` (the app reads LMS_PDF_FONT and LMS_PDF_FONT_BOLD, see `FontSet.configured`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from certificates.qr import qr_matrix
from certificates.render_data import (
    STATUSES,
    AreaMark,
    CompletionData,
    DomainAreas,
    DomainTotal,
    EndorsementData,
    FontNotFoundError,
    PageSize,
    ProgressData,
    RenderError,
    RenderIssue,
    RequirementLine,
    TrainingLine,
    TranscriptData,
    clean_text,
    validate,
)
from certificates.render_fonts import Fonts, font_name
from certificates.render_sheet import (
    CREATOR,
    MUTED,
    Sheet,
    long_date,
    num,
    percent,
    qr_runs,
    wrap_text,
)

__all__ = [
    "CREATOR",
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

DEFAULT_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
# Bitstream Vera Sans, shipped inside reportlab's package (licence: reportlab/fonts/
# bitstream-vera-license.txt); DejaVu Sans is its derivative.
PACKAGED_FONT_DIR = Path(reportlab.__file__).parent / "fonts"
PACKAGED_FONTS = ("Vera.ttf", "VeraBd.ttf")


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


def _load_fonts(fonts: FontSet | None) -> Fonts:
    fonts = fonts or FontSet.default()
    issues: list[RenderIssue] = []
    regular = font_name(fonts.regular, "fonts.regular", issues)
    bold = font_name(fonts.bold, "fonts.bold", issues)
    if issues:
        raise FontNotFoundError(issues)
    return Fonts(regular, bold)


# --- documents --------------------------------------------------------------------------------


def render_progress(
    data: ProgressData, *, page_size: PageSize = "letter", fonts: FontSet | None = None
) -> bytes:
    """Render a clinician's progress toward a category as a PDF."""
    size = validate(data, ProgressData, page_size)
    f = _load_fonts(fonts)
    category = f"{clean_text(data.category_code)} · {clean_text(data.category_name)}".rstrip(" ·")
    s = Sheet(
        size,
        f,
        title=f"Endorsement progress: {data.holder_name}",
        author=data.association_name,
        subject=f"Progress toward {category} as of {data.as_of.isoformat()}",
        footer=f"Endorsement progress · {data.holder_name} · {data.verification_code}",
    )
    s.text(data.association_name, 10, bold=True, gray=MUTED)
    s.text("Progress toward the Infant Mental Health Endorsement", 16, bold=True)
    s.gap(6)
    s.fitted_text(data.holder_name, (22, 20, 18, 16, 14))
    s.text(f"Category: {category}", 11)
    s.text(f"As of {long_date(data.as_of)}", 11, gray=MUTED)
    s.gap(10)

    s.text(f"Overall progress: {percent(data.overall_progress)}%", 12, bold=True)
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
        figures = f"{num(req.value)} of {num(req.target)} {clean_text(req.unit)}".rstrip()
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
            s.text(req.text, 8.5, gray=MUTED, x=label_x + 8, width=w - 8)
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
    size = validate(data, TranscriptData, page_size)
    f = _load_fonts(fonts)
    s = Sheet(
        size,
        f,
        title=f"Training transcript: {data.holder_name}",
        author=data.association_name,
        subject=f"Counted trainings as of {data.as_of.isoformat()}",
        footer=f"Training transcript · {data.holder_name} · {data.verification_code}",
    )
    s.text(data.association_name, 10, bold=True, gray=MUTED)
    s.text("Training transcript", 16, bold=True)
    s.gap(6)
    s.fitted_text(data.holder_name, (20, 18, 16, 14))
    s.text(f"As of {long_date(data.as_of)} · {len(data.trainings)} counted trainings", 10)
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

    def training_row(t: TrainingLine) -> None:
        row = (
            t.completed_on.isoformat(),
            t.title,
            t.provider,
            num(t.hours),
            "; ".join(clean_text(a) for a in t.areas),
            t.source,
        )
        s.columns(list(zip(row, xs, widths, aligns, strict=True)), 8, leading=10)
        s.gap(2)
        s.rule()
        s.gap(3)

    total = 0.0
    for t in data.trainings:
        total += t.hours
        training_row(t)
    s.on_new_page = None
    if not data.trainings:
        s.text("No counted trainings yet.", 9)
    s.gap(10)

    s.need(40 + 12 * len(data.domain_totals))
    s.text(f"Total counted hours: {num(total)}", 12, bold=True)
    if data.domain_totals:
        s.gap(4)
        s.text("Hours by domain (a training covering several domains counts in each)", 10)
        for d in data.domain_totals:
            s.columns(
                [
                    (d.domain, s.left + 8, w * 0.6, "left"),
                    (num(d.hours), s.left + w * 0.62, 60, "right"),
                ],
                9.5,
            )
    if data.scheduled:
        s.gap(10)
        s.need(60)
        s.text(f"Scheduled, not yet counted (dated after {data.as_of.isoformat()})", 10, bold=True)
        s.text("They count from their date; they are in no total above.", 9)
        s.gap(4)
        header_row()
        s.on_new_page = header_row
        for t in data.scheduled:
            training_row(t)
        s.on_new_page = None
    s.gap(12)
    s.verification_block(data.verification_code, data.verify_url, data.issuer_line, data.issued_on)
    return s.finish()


def render_completion(
    data: CompletionData, *, page_size: PageSize = "letter", fonts: FontSet | None = None
) -> bytes:
    """Render a course completion certificate as a PDF."""
    size = validate(data, CompletionData, page_size)
    f = _load_fonts(fonts)
    s = Sheet(
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
    s.text("This certifies that", 11, gray=MUTED, align="center")
    s.gap(4)
    s.fitted_text(data.holder_name, (24, 22, 20, 18, 16), align="center")
    s.gap(4)
    s.text("completed the training", 11, gray=MUTED, align="center")
    s.gap(4)
    s.text(data.training_title, 16, bold=True, align="center")
    if clean_text(data.provider_name):
        s.text(f"offered by {clean_text(data.provider_name)}", 11, align="center")
    s.gap(10)
    s.text(f"on {long_date(data.completed_on)} · {num(data.hours)} clock hours", 12, align="center")
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
    size = validate(data, EndorsementData, page_size)
    f = _load_fonts(fonts)
    category = f"{clean_text(data.category_code)} · {clean_text(data.category_name)}".rstrip(" ·")
    s = Sheet(
        size,
        f,
        title=f"Endorsement certificate: {data.holder_name}",
        author=data.association_name,
        subject=f"Endorsement {data.endorsement_number} ({category})",
        footer=f"Endorsement certificate · {data.endorsement_number} · {data.verification_code}",
    )
    s.gap(20)
    s.text(data.association_name, 14, bold=True, align="center", gray=MUTED)
    s.gap(16)
    s.text("Infant Mental Health Endorsement", 12, align="center")
    s.text("Certificate of endorsement", 26, bold=True, align="center")
    s.gap(18)
    s.text("awarded to", 11, gray=MUTED, align="center")
    s.gap(4)
    s.fitted_text(data.holder_name, (24, 22, 20, 18, 16), align="center")
    s.gap(10)
    s.text(f"Category: {category}", 13, align="center")
    s.gap(14)
    s.text(f"Endorsement number: {clean_text(data.endorsement_number)}", 11, align="center")
    s.text(f"Awarded on {long_date(data.awarded_on)}", 11, align="center")
    s.text(f"Renewal due by {long_date(data.renewal_due)}", 11, align="center")
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
