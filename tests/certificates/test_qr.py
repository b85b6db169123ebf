"""The renderer's QR encoder draws, module for module, the symbol segno draws."""

from __future__ import annotations

import random
import string

import pytest
import segno

from certificates import qr
from certificates.render import qr_matrix

_URL_CHARS = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%"


def _segno(url: str) -> tuple[tuple[bool, ...], ...]:
    symbol = segno.make(url, error="m", micro=False, mask=0)
    return tuple(tuple(bool(v) for v in row) for row in symbol.matrix)


def _fast(url: str) -> tuple[tuple[bool, ...], ...] | None:
    rows = qr._fast_rows(url)
    return None if rows is None else tuple(tuple(v == 1 for v in row) for row in rows)


def _content(rng: random.Random, length: int) -> str:
    """Address-like text of `length` characters (a lower-case letter first: byte mode)."""
    return "h" + "".join(rng.choice(_URL_CHARS) for _ in range(length - 1))


def _lengths() -> list[int]:
    """For every version, the longest address it holds at each level segno may boost to, and
    one shorter (so every version, every level and the boundaries between them)."""
    lengths = set()
    for n in range(1, 2331):
        if qr._version(n) != qr._version(n + 1):
            lengths.update(m for m in (n - 3, n, n + 1) if 0 < m <= 2331)
    return sorted(lengths)


def test_the_lengths_reach_every_version_and_level() -> None:
    chosen = {qr._version(n) for n in _lengths()}
    assert {version for version, _ in chosen} == set(range(1, 41))
    assert {error for _, error in chosen} == {qr._ERROR_M, qr._ERROR_Q, qr._ERROR_H}


@pytest.mark.parametrize("length", _lengths())
def test_symbol_is_segnos_for_every_version_and_level(length: int) -> None:
    rng = random.Random(length)
    for _ in range(2):
        url = _content(rng, length)
        fills_the_symbol = qr._codewords(url.encode(), *qr._version(length)) is None
        assert _fast(url) == (None if fills_the_symbol else _segno(url))
        assert qr_matrix(url) == _segno(url)


def test_verify_addresses_take_the_fast_path_and_match_segno() -> None:
    for i in range(50):
        url = f"https://imh-pathway.example/verify/BNCH{i:04d}XD4TREB6W"
        assert _fast(url) is not None
        assert qr_matrix(url) == _segno(url)


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://PATHWAY.EXAMPLE.ORG/VERIFY/7KQ2M9XD",  # segno: alphanumeric mode
        "1234567890",  # numeric mode
        "https://pathway.example.org/vérify/7KQ2",  # not ASCII
        "https://" + "a" * 54,  # fills a version-4 symbol to its last bits
    ],
)
def test_other_content_is_left_to_segno(url: str) -> None:
    assert _fast(url) is None
    assert qr_matrix(url) == _segno(url)


def test_error_correction_of_a_known_block() -> None:
    """ISO/IEC 18004 Annex I: "01234567" at 1-M, data and error correction codewords."""
    data = bytes.fromhex("10 20 0c 56 61 80 ec 11 ec 11 ec 11 ec 11 ec 11")
    assert qr._error_correction(data, 10).hex(" ") == "a5 24 d4 c1 ed 36 c7 87 2c 55"
