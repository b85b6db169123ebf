"""The certificate's QR code is segno's symbol for the verify address, drawn run by run."""

from __future__ import annotations

import segno

from certificates.qr import qr_matrix, qr_rows
from certificates.render_sheet import qr_runs

URL = "https://imh-pathway.example/verify/BNCH0001XD4TREB6W"


def test_rows_are_segnos_modules_with_the_fixed_mask() -> None:
    symbol = segno.make(URL, error="m", micro=False, mask=0)
    assert symbol.mask == 0 and symbol.error in ("M", "Q", "H")
    assert qr_rows(URL) == tuple(bytes(1 if v else 0 for v in row) for row in symbol.matrix)
    assert qr_matrix(URL) == tuple(tuple(bool(v) for v in row) for row in symbol.matrix)


def test_runs_cover_exactly_the_dark_modules() -> None:
    rows = qr_rows(URL)
    dark = {(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if v}
    covered = {(r, c) for r, first, n in qr_runs(rows) for c in range(first, first + n)}
    assert covered == dark and dark
    assert qr_runs(qr_matrix(URL)) == qr_runs(rows)  # rows of booleans give the same runs
