"""The QR code of a verification address, encoded by segno (a well-kept library: a QR symbol
read by every phone's camera is not something to encode by hand).

Encoding is about 0.8 ms, most of a certificate's QR cost; the drawing reads segno's rows of 0/1
bytes as they are (`render_sheet.qr_runs`). A fixed mask: scoring all eight (segno's default)
takes about 4 ms, and decoders read whichever mask the format bits name.
"""

from __future__ import annotations

import segno

_MASK = 0  # dark where (row + column) is even


def qr_rows(url: str) -> tuple[bytes, ...]:
    """Return the QR code modules for url, a row at a time (1 dark, 0 light), without the quiet
    zone: level M or higher where the version has room (segno's boost), mask 0."""
    symbol = segno.make(url, error="m", micro=False, mask=_MASK)
    return tuple(bytes(row) for row in symbol.matrix)


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Return `qr_rows(url)` as True (dark) and False."""
    return tuple(tuple(v == 1 for v in row) for row in qr_rows(url))
