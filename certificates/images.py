"""The endorsement badge as an image (PNG and SVG) and Open Badges 3.0 baking.

The badge is drawn, not loaded: a ring in the association's colours with the category code in
the middle. Baking puts the signed credential into the PNG as an iTXt chunk with the keyword
`openbadgecredential` (OB 3.0 §"Baking"), so the picture carries its own proof.
"""

from __future__ import annotations

import functools
import io
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

SIZE = 400
NAVY = (31, 58, 96)
GOLD = (201, 162, 39)
KEYWORD = "openbadgecredential"


@functools.lru_cache(maxsize=64)
def badge_png(category: str, association_code: str) -> bytes:
    """Return the badge of one achievement as PNG bytes (drawn once per process)."""
    image = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, SIZE - 8, SIZE - 8), fill=GOLD)
    draw.ellipse((34, 34, SIZE - 34, SIZE - 34), fill=NAVY)
    big = ImageFont.load_default(size=96 if len(category) <= 4 else 60)
    small = ImageFont.load_default(size=30)
    draw.text((SIZE / 2, SIZE / 2 - 10), category[:8], font=big, fill="white", anchor="mm")
    draw.text((SIZE / 2, SIZE / 2 + 80), association_code[:12], font=small, fill=GOLD, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def badge_svg(category: str, association_code: str, title: str) -> str:
    """Return the same badge as SVG text."""
    half = SIZE // 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">'
        f"<title>{escape(title)}</title>"
        f'<circle cx="{half}" cy="{half}" r="{half - 8}" fill="rgb{GOLD}"/>'
        f'<circle cx="{half}" cy="{half}" r="{half - 34}" fill="rgb{NAVY}"/>'
        f'<text x="{half}" y="{half + 20}" font-family="sans-serif" font-size="80" '
        f'font-weight="bold" fill="white" text-anchor="middle">{escape(category[:8])}</text>'
        f'<text x="{half}" y="{half + 90}" font-family="sans-serif" font-size="30" '
        f'fill="rgb{GOLD}" text-anchor="middle">{escape(association_code[:12])}</text>'
        "</svg>"
    )


def bake(png: bytes, credential: str) -> bytes:
    """Return the PNG with the credential (JSON or a compact JWS) in an iTXt chunk."""
    image = Image.open(io.BytesIO(png))
    info = PngInfo()
    info.add_itxt(KEYWORD, credential, zip=False)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def unbake(png: bytes) -> str | None:
    """Return the credential baked into a PNG, or None."""
    image = Image.open(io.BytesIO(png))
    image.load()
    value = image.text.get(KEYWORD) if hasattr(image, "text") else None
    return str(value) if value is not None else None
