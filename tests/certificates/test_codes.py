"""Verification codes: alphabet, length and forgiving normalisation."""

from __future__ import annotations

import pytest

from certificates.codes import ALPHABET, display, is_well_formed, new_code, normalise


def test_new_codes_carry_80_random_bits_in_an_unambiguous_alphabet():
    codes = {new_code() for _ in range(200)}

    assert len(codes) == 200
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)
    assert all(len(c) == 16 and is_well_formed(c) for c in codes)


@pytest.mark.parametrize(
    "typed",
    ["7kq2-m9xd-4tre-b6wn", " 7KQ2 M9XD 4TRE B6WN ", "7KQ2M9XD4TREB6WN", "7kq2_m9xd.4tre-b6wn"],
)
def test_case_spaces_and_hyphens_are_forgiven(typed):
    assert normalise(typed) == "7KQ29XD4TREB6WN".replace("29", "2M9")


def test_o_becomes_zero_and_i_l_become_one():
    assert normalise("OOIL-oil1-0000-1111") == "0011011100001111"


def test_malformed_codes_are_told_apart():
    assert not is_well_formed(normalise("7KQ2-M9XD-4TRE"))
    assert not is_well_formed(normalise("7KQ2-M9XD-4TRE-B6WU"))  # U is not in the alphabet
    assert display("7KQ2M9XD4TREB6WN") == "7KQ2-M9XD-4TRE-B6WN"
