"""Draw on a page: text measuring and wrapping, the QR code, and `Sheet`.

Pure like the renderer it serves. The only state is per process and immutable once made: the
fonts (`render_fonts`) and the lines text wraps to at a font, size and width (`wrap_text`).
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable, Sequence
from datetime import date

from reportlab import rl_config
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from certificates.qr import qr_rows
from certificates.render_data import clean_text
from certificates.render_fonts import KEPT_FLATE, Fonts, split_text

CREATOR = "IMH Pathway"
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


# ASCII85 only makes binary streams 7-bit safe for old mail transports: it adds a quarter to each
# compressed stream and costs its encoding time. Certificates are stored and served as bytes.
# reportlab reads this setting when it writes a document; this renderer is its only user here.
rl_config.useA85 = 0
_WRAPPED_ENTRIES = 4096
_DARK_RUN = re.compile(b"\x01+")


# --- formatting -------------------------------------------------------------------------------


def num(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def long_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def percent(fraction: float) -> int:
    # Floor, so 99.6 % never reads as done.
    return math.floor(fraction * 100 + 1e-9)


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Split cleaned text into lines no wider than width; words longer than a line are cut."""
    return list(_wrapped(text, font, size, width))


@functools.lru_cache(maxsize=_WRAPPED_ENTRIES)
def _wrapped(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """`wrap_text` kept per process: most strings of a certificate (headings, labels, area
    names, the issuer) recur in every certificate of an association, with the same width. A
    registered font's metrics never change, so the lines depend on the arguments only."""
    text = clean_text(text)
    if not text:
        return ()
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return (text,)  # most lines fit whole: one measurement instead of one per word
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
    return tuple(lines)


# --- QR code ----------------------------------------------------------------------------------


def qr_runs(matrix: Sequence[Sequence[bool]] | Sequence[bytes]) -> list[tuple[int, int, int]]:
    """Return the dark horizontal runs of matrix (rows of booleans, or `qr_rows`' bytes) as
    (row, first column, length)."""
    return [
        (r, run.start(), run.end() - run.start())
        for r, row in enumerate(matrix)
        for run in _DARK_RUN.finditer(bytes(row))
    ]


def _draw_qr(canvas: Canvas, matrix: Sequence[bytes], x: float, top: float, module: float) -> None:
    """Draw matrix as one filled path with its top-left module corner at (x, top)."""
    # Module units with rows growing downward make every run a small integer rectangle; writing
    # the operators directly is several times faster than one reportlab path call per run.
    ops = [f"q {module:.4f} 0 0 {-module:.4f} {x:.4f} {top:.4f} cm 0 g"]
    ops.extend(f"{c} {r} {n} 1 re" for r, c, n in qr_runs(matrix))
    ops.append("f Q")
    canvas.addLiteral("\n".join(ops))


# --- layout -----------------------------------------------------------------------------------

_MARGIN = 54.0  # 0.75 in
_FOOTER = 24.0
INK = 0.1
MUTED = 0.35
_BAR_FILL = (0.13, 0.40, 0.42)  # dark teal; every bar also has its figures in text
_BAR_TRACK = 0.9


class Sheet:
    """A canvas with a top-down cursor that starts a new page when the next block does not fit."""

    def __init__(
        self,
        size: tuple[float, float],
        fonts: Fonts,
        *,
        title: str,
        author: str,
        subject: str,
        footer: str,
    ) -> None:
        self.buffer = io.BytesIO()
        # The regular face as the canvas's initial font: with a base font (Helvetica, the
        # default) reportlab sets it at the top of every page and adds it to the document, unused.
        self.canvas = Canvas(
            self.buffer,
            pagesize=size,
            invariant=1,
            pageCompression=1,
            initialFontName=fonts.regular,
        )
        # Page streams stay compressed (the page's own setting); the font programs and their
        # character maps, which reportlab leaves to the document's default filters when the
        # document's compression is off, go through the filter that reuses earlier output.
        document = self.canvas._doc
        document.setCompression(0)
        document.defaultStreamFilters = (KEPT_FLATE,)
        document._imh_sheet = True  # its fonts' widths arrays are kept (`_keep_widths`)
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
        footer = _wrapped(self.footer, self.fonts.regular, 8, self.text_width - 60)[:1]
        pieces = [(line, self.left, self.text_width - 60, "left") for line in footer]
        pieces.append((f"Page {self.page}", self.left, self.text_width, "right"))
        self._draw_line(pieces, self.fonts.regular, 8, MUTED, baseline=_MARGIN)

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
        gray: float = INK,
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
        for line in _wrapped(text, font, size, width):
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
        if baseline is None:
            baseline = self.y - size
        ttf = pdfmetrics.getFont(font)
        if not getattr(ttf, "_dynamicFont", False):  # a base font
            self._draw_line_text_object(pieces, font, size, gray, baseline)
            return
        # The operators reportlab's text object writes for a TrueType font, byte for byte
        # (`_draw_line_text_object`), without its per-call bookkeeping (cursor widths, state
        # copies, a loop over the characters): a third of the time.
        doc = self.canvas._doc
        code = ["BT 1 0 0 1 0 0 Tm", f"{fp_str(gray)} g"]
        current, font_ops = -1, f"{fp_str(size)} Tf {fp_str(size * 1.2)} TL"
        for text, x, width, align in pieces:
            x = self._aligned(text, x, width, align, font, size)
            code.append(f"1 0 0 1 {fp_str(x, baseline)} Tm")
            ops = []
            for subset, chunk in split_text(ttf, text, doc):
                if subset != current:
                    ops.append(f"{ttf.getSubsetInternalName(subset, doc)} {font_ops}")
                    current = subset
                ops.append(f"({escapePDF(chunk)}) Tj")
            code.append(" ".join(ops))
        code.append("ET")
        self.canvas.addLiteral(" ".join(code))

    def _draw_line_text_object(
        self,
        pieces: Sequence[tuple[str, float, float, str]],
        font: str,
        size: float,
        gray: float,
        baseline: float,
    ) -> None:
        """`_draw_line` through reportlab's text object (base fonts; the tests' yardstick)."""
        t = self.canvas.beginText()
        t.setFont(font, size)
        t.setFillGray(gray)
        for text, x, width, align in pieces:
            t.setTextOrigin(self._aligned(text, x, width, align, font, size), baseline)
            t.textOut(text)
        self.canvas.drawText(t)

    @staticmethod
    def _aligned(text: str, x: float, width: float, align: str, font: str, size: float) -> float:
        if align != "left":
            slack = width - pdfmetrics.stringWidth(text, font, size)
            x += slack / 2 if align == "center" else slack
        return x

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
        c.setStrokeGray(MUTED)
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
        wrapped = [(_wrapped(t, font, size, w), x, w, a) for t, x, w, a in cells]
        rows = max((len(lines) for lines, *_ in wrapped), default=0)
        self.need(rows * leading)
        top = self.y
        for i in range(rows):
            line = [(lines[i], x, w, a) for lines, x, w, a in wrapped if i < len(lines)]
            self._draw_line(line, font, size, INK)
            self.y -= leading
        return top

    def verification_block(self, code: str, url: str, issuer_line: str, issued_on: date) -> None:
        """Draw the code, URL, issuer and QR code side by side, kept together on one page."""
        module = 2.4
        matrix = qr_rows(url)
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
        self.text("Verification code", 9, bold=True, width=text_width, gray=MUTED)
        self.text(code, 14, bold=True, width=text_width)
        self.gap(2)
        self.text("Check this document at", 9, width=text_width, gray=MUTED)
        url_top, url_page = self.y, self.page
        self.text(url, 9, width=text_width)
        if self.page == url_page:  # the printed address is a clickable link
            box = (self.left, self.y, self.left + text_width, url_top)
            self.canvas.linkURL(url, box, relative=0)
        self.gap(4)
        self.text(issuer_line, 9, width=text_width)
        self.text(f"Issued on {long_date(issued_on)}", 9, width=text_width, gray=MUTED)
        if self.page == page:
            self.y = min(self.y, top - block)

    def finish(self) -> bytes:
        self._draw_footer()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()
