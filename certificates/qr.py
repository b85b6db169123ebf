"""The QR code of a verification address: the modules segno draws, without its module loops.

segno builds a symbol module by module in Python (placing the codewords, masking every module,
computing Reed-Solomon codes one term at a time): about 0.8 ms, a fifth of a certificate. For
the one kind of content certificates carry, a web address of printable ASCII that is not all
digits or upper-case letters (so byte mode, as segno chooses it), this module writes the same
symbol from what stays the same for every address of a version: the function patterns and
format information (taken once from segno itself), the order in which data modules are
filled, and the mask over them. What changes per address is its codewords: the data bits
(ISO/IEC 18004 §7.4), and each block's error correction computed a byte at a time from a
table per generator polynomial. Anything else goes to segno. The tables of capacities, blocks
and alignment positions are segno's (`segno.consts`, the standard's tables as data).

`tests/certificates/test_qr.py` compares every version's symbols with segno's, module for
module.
"""

from __future__ import annotations

import functools
import re

import segno
from segno import consts

_ERROR_M, _ERROR_Q, _ERROR_H = consts.ERROR_LEVEL_M, consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H
_LEVEL_NAMES = {_ERROR_M: "M", _ERROR_Q: "Q", _ERROR_H: "H"}
_MASK = 0  # dark where (row + column) is even
# segno's mode choice (`encoder.find_mode`): digits only are numeric, these characters only
# alphanumeric; anything else in ASCII is byte mode.
_ALPHANUMERIC = re.compile(b"[" + re.escape(consts.ALPHANUMERIC_CHARS) + b"]*")

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = [0] * 512
_LOG = [0] * 256
_value = 1
for _i in range(255):
    _EXP[_i] = _value
    _LOG[_value] = _i
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _multiply(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@functools.cache
def _remainder_table(degree: int) -> tuple[int, ...]:
    """For each feedback byte f, f times the generator polynomial of `degree` (without its
    leading term), packed big-endian into one integer of `degree` bytes."""
    generator = [1]
    for i in range(degree):  # times (x - a^i)
        product = [0] * (len(generator) + 1)
        for j, coefficient in enumerate(generator):
            product[j] ^= coefficient
            product[j + 1] ^= _multiply(coefficient, _EXP[i])
        generator = product
    terms = generator[1:]
    return tuple(int.from_bytes(bytes(_multiply(f, t) for t in terms), "big") for f in range(256))


def _error_correction(data: bytes, degree: int) -> bytes:
    """The Reed-Solomon error correction codewords of one block."""
    table = _remainder_table(degree)
    shift, keep = 8 * (degree - 1), (1 << (8 * degree)) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & keep) ^ table[byte ^ (remainder >> shift)]
    return remainder.to_bytes(degree, "big")


def _count_bits(version: int) -> int:
    return 8 if version < 10 else 16


def _version(length: int) -> tuple[int, int] | None:
    """The smallest version holding `length` bytes at level M, and the level segno boosts it
    to (the highest whose capacity still holds them); None when nothing holds them."""
    for version in range(1, 41):
        bits = 4 + _count_bits(version) + 8 * length
        capacities = consts.SYMBOL_CAPACITY[version]
        if capacities[_ERROR_M] >= bits:
            error = _ERROR_M
            for level in (_ERROR_Q, _ERROR_H):
                if capacities[level] < bits:
                    break
                error = level
            return version, error
    return None


def _reserved(version: int) -> list[list[bool]]:
    """The function modules of a version: finders with separators and format information,
    timing patterns, alignment patterns, the dark module and version information."""
    size = 17 + 4 * version
    grid = [[False] * size for _ in range(size)]
    for r in range(size):
        for c in range(size):
            if (r < 9 and (c < 9 or c >= size - 8)) or (r >= size - 8 and c < 9):
                grid[r][c] = True
            elif r == 6 or c == 6:
                grid[r][c] = True
    if version > 1:
        centres = consts.ALIGNMENT_POS[version - 2]
        last = centres[-1]
        for r0 in centres:
            for c0 in centres:
                if (r0, c0) in ((6, 6), (6, last), (last, 6)):
                    continue  # would overlap a finder pattern
                for r in range(r0 - 2, r0 + 3):
                    for c in range(c0 - 2, c0 + 3):
                        grid[r][c] = True
    if version >= 7:
        for i in range(6):
            for j in range(size - 11, size - 8):
                grid[i][j] = grid[j][i] = True
    return grid


@functools.cache
def _layout(version: int, error: int) -> tuple[bytes, tuple[int, ...], int, int]:
    """What every symbol of this version and level shares: segno's symbol of no data (function
    patterns, format and version information; flattened), the flat index of each data module
    in filling order, the mask over them as bits in that order, and how many there are."""
    level = _LEVEL_NAMES[error]
    blank = segno.make(b"", version=version, error=level, mode="byte", mask=_MASK, boost_error=0)
    size = len(blank.matrix)
    template = b"".join(bytes(row) for row in blank.matrix)
    reserved = _reserved(version)
    order: list[int] = []
    column, upward = size - 1, True
    while column > 0:
        if column == 6:
            column = 5  # the vertical timing pattern
        rows = range(size - 1, -1, -1) if upward else range(size)
        for r in rows:
            for c in (column, column - 1):
                if not reserved[r][c]:
                    order.append(r * size + c)
        column -= 2
        upward = not upward
    mask = 0
    for index in order:
        r, c = divmod(index, size)
        mask = (mask << 1) | ((r + c) % 2 == 0)
    return template, tuple(order), mask, len(order)


def _codewords(data: bytes, version: int, error: int) -> bytes | None:
    """The final message: data and padding in blocks, interleaved, then their corrections."""
    capacity = consts.SYMBOL_CAPACITY[version][error]
    count = _count_bits(version)
    bits = 4 + count + 8 * len(data)
    value = (0b0100 << count | len(data)) << 8 * len(data) | int.from_bytes(data, "big")
    terminator = min(4, capacity - bits)
    bits += terminator
    value <<= terminator
    padding = 8 - bits % 8  # as segno pads: a whole zero byte when already on a boundary
    value <<= padding
    bits += padding
    if bits > capacity:
        return None  # the data fills the symbol to its last bits: left to segno
    message = value.to_bytes(bits // 8, "big") + (b"\xec\x11" * capacity)[: (capacity - bits) // 8]
    blocks, corrections, start = [], [], 0
    for ec in consts.ECC[version][error]:
        for _ in range(ec.num_blocks):
            block = message[start : start + ec.num_data]
            start += ec.num_data
            blocks.append(block)
            corrections.append(_error_correction(block, ec.num_total - ec.num_data))
    out = bytearray()
    for group in (blocks, corrections):
        for i in range(max(len(b) for b in group)):
            out.extend(b[i] for b in group if i < len(b))
    return bytes(out)


def _fast_rows(url: str) -> tuple[bytes, ...] | None:
    if not (url.isascii() and url.isprintable()):
        return None
    data = url.encode("ascii")
    if not data or data.isdigit() or _ALPHANUMERIC.fullmatch(data):
        return None  # segno would choose numeric or alphanumeric mode
    chosen = _version(len(data))
    if chosen is None:
        return None
    version, error = chosen
    template, order, mask, modules = _layout(version, error)
    codewords = _codewords(data, version, error)
    if codewords is None:
        return None
    spare = modules - 8 * len(codewords)  # remainder bits, light before masking
    bits = format((int.from_bytes(codewords, "big") << spare) ^ mask, f"0{modules}b")
    flat = bytearray(template)
    for index, bit in zip(order, bits.encode("ascii"), strict=True):
        flat[index] = bit & 1  # "0" and "1" are 0x30 and 0x31
    size = 17 + 4 * version
    return tuple(bytes(flat[start : start + size]) for start in range(0, len(flat), size))


def qr_rows(url: str) -> tuple[bytes, ...]:
    """Return the QR code modules for url, a row at a time (1 dark, 0 light), without the quiet
    zone: level M or higher where the version has room, mask 0."""
    rows = _fast_rows(url)
    if rows is not None:
        return rows
    # A fixed mask: scoring all eight (segno's default) takes ~4 ms, and decoders read
    # whichever mask the format bits name.
    qr = segno.make(url, error="m", micro=False, mask=_MASK)
    return tuple(bytes(1 if v else 0 for v in row) for row in qr.matrix)


def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Return `qr_rows(url)` as True (dark) and False."""
    return tuple(tuple(v == 1 for v in row) for row in qr_rows(url))
