"""The renderer's fonts: registering TrueType files, and what is kept of them per process.

Pure like the renderer it serves. The only state is per process and immutable once made: the
registered fonts, the font programs already cut to a subset and compressed, and the subsets'
formatted widths arrays (each depends only on the font file and the characters a document uses,
so the same bytes are reused rather than rebuilt for every certificate). `split_text` turns a
line into the codes of a document's subsets, as reportlab's text object does.
"""

from __future__ import annotations

import hashlib
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDocument, PDFObject
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from certificates.render_data import RenderIssue

# --- fonts ------------------------------------------------------------------------------------

_font_names: dict[str, str] = {}
_font_lock = threading.Lock()
_KEPT_ENTRIES = 64
_NOT_ASCII = re.compile(r"[^\x20-\x7e]")


class _Kept:
    """A small thread-safe LRU of immutable values: bytes computed once from immutable inputs."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._values: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._entries:
                self._values.popitem(last=False)
        return value


_subsets = _Kept(_KEPT_ENTRIES)
_compressed = _Kept(_KEPT_ENTRIES)
_widths = _Kept(_KEPT_ENTRIES)


class _KeptFlate:
    """reportlab's Flate stream filter, reusing the output for content compressed before.

    A document's font subset (the glyphs of the characters it uses, in order of first use) is
    the same for every certificate of a kind whose names are plain ASCII; cutting it and
    compressing it were half of a certificate's time.
    """

    pdfname = "FlateDecode"

    def encode(self, content: bytes | str) -> bytes:
        data = content.encode("utf8") if isinstance(content, str) else content
        return _compressed.get(content, lambda: zlib.compress(data))

    def decode(self, encoded: bytes) -> bytes:
        return zlib.decompress(encoded)


KEPT_FLATE = _KeptFlate()


def _keep_subsets(font: TTFont) -> TTFont:
    """Make font reuse the subsets it has cut before (keyed by file and characters).

    reportlab maps every name registered for one face to the font object registered first for
    it (`pdfmetrics.registerFont`), so this is applied to the object the name resolves to, once.
    """
    face = font.face
    if getattr(face, "_imh_kept", False):
        return font
    face._imh_kept = True
    cut = face.makeSubset
    filename = face.filename

    def make_subset(subset: Sequence[int]) -> bytes:
        chars = tuple(subset)
        return _subsets.get((filename, chars), lambda: cut(list(chars)))

    face.makeSubset = make_subset
    _keep_widths(font)
    return font


class _Formatted(PDFObject):
    """A PDF value formatted once: the same bytes in every document that uses it."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: object) -> bytes:
        return self.data


def _keep_widths(font: TTFont) -> None:
    """Make font's subsets in a `Sheet`'s document reuse their formatted widths array.

    reportlab formats each subset's /Widths (a number for each of up to 256 characters) anew
    in every document: a fifth of writing one. The array depends only on the subset's
    characters, so its bytes are kept, made by reportlab's own `PDFArray` the first time.
    Other documents drawn with the same font object (reportlab shares it between every name
    registered for a face) are left as reportlab makes them.
    """
    add_objects = font.addObjects

    def add_kept_objects(doc: PDFDocument) -> None:
        state = font.state.get(doc)
        if state is None or not getattr(doc, "_imh_sheet", False):
            add_objects(doc)
            return
        names = [font.getSubsetInternalName(n, doc)[1:] for n in range(len(state.subsets))]
        add_objects(doc)
        fonts = doc.idToObject["BasicFonts"].dict
        for name in names:
            pdf_font = fonts[name]
            widths = tuple(pdf_font.Widths.sequence)
            kept = _widths.get(widths, lambda w=widths: PDFArray(list(w)).format(doc))
            pdf_font.Widths = _Formatted(kept)

    font.addObjects = add_kept_objects


def font_name(path: Path, where: str, issues: list[RenderIssue]) -> str:
    """Register the TrueType file at path once per process; return its reportlab name.

    On failure return "" and add the reason to issues.
    """
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
            _keep_subsets(pdfmetrics.getFont(name))
        except (TTFError, OSError) as exc:
            issues.append(RenderIssue(f"{where} ({path})", f"not a usable TrueType font: {exc}"))
            return ""
        _font_names[key] = name
        return name


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str

    def has(self, chars: str) -> bool:
        """Return whether both faces have a glyph for every one of `chars`."""
        return all(
            ord(c) in pdfmetrics.getFont(name).face.charToGlyph
            for name in (self.regular, self.bold)
            for c in chars
        )


def _ascii_complete(font: TTFont) -> bool:
    """Return whether font has a glyph for every printable ASCII character (kept on the face)."""
    face = font.face
    complete = getattr(face, "_imh_ascii", None)
    if complete is None:
        complete = face._imh_ascii = all(c in face.charToGlyph for c in range(32, 127))
    return complete


def split_text(font: TTFont, text: str, doc: object) -> list[tuple[int, bytes]]:
    """Return `font.splitString(text, doc)`: the text cut into (subset, codes) chunks.

    reportlab gives every printable ASCII character its own code in subset 0 when it starts a
    document's state for a font ("ASCII readable", its default), and each other character the
    next free code the first time the document uses it. Text whose characters all have a code
    in subset 0 already is one chunk: its characters translated to their codes. The first text
    of a font in a document, and any text with a character new to it, goes through reportlab.
    """
    state = font.state.get(doc)
    if (
        state is not None
        and text
        and text.isprintable()
        and font._asciiReadable
        and _ascii_complete(font)
    ):
        if text.isascii():
            return [(0, text.encode("ascii"))]
        codes = state.assignments
        if all(codes.get(ord(c), 256) < 256 for c in set(_NOT_ASCII.findall(text))):
            return [(0, text.translate(codes).encode("latin-1"))]
    return font.splitString(text, doc)
