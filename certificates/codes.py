"""Verification codes: 80 random bits as 16 Crockford base32 characters, typed forgivingly."""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to confuse
LENGTH = 16  # 16 x 5 bits = 80 random bits
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -_\t\r\n.\u00a0\u2010\u2011\u2012\u2013\u2014")


def new_code() -> str:
    """Return a fresh random code in its stored (normalised) form."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """Return the stored form of a typed code: upper case, no separators, O->0 and I/L->1.

    The result may still be malformed; `is_well_formed` tells.
    """
    return (text or "")[:100].upper().translate(_SEPARATORS).translate(_CONFUSABLE)


def is_well_formed(code: str) -> bool:
    """Tell whether a normalised code has the right length and alphabet."""
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def display(code: str) -> str:
    """Return a code as four groups of four joined by hyphens, e.g. 7KQ2-M9XD-4TRE-B6WN."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
