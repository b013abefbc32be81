from datetime import date

import pytest

from backend.domain.cpr import (
    CprError,
    century,
    check_cpr_matches_birth_date,
    cpr_birth_date,
    normalise_cpr,
)


@pytest.mark.parametrize("typed", ["070761-4285", "0707614285", "070761 4285", " 070761-4285 "])
def test_common_formats_are_accepted(typed: str) -> None:
    assert normalise_cpr(typed) == "0707614285"


def test_number_failing_modulus_11_is_still_valid() -> None:
    # 010120-4441: weights 4,3,2,7,6,5,4,3,2,1 give a sum not divisible by 11.
    digits = "0101204441"
    weighted = sum(int(d) * w for d, w in zip(digits, (4, 3, 2, 7, 6, 5, 4, 3, 2, 1), strict=True))
    assert weighted % 11 != 0
    assert normalise_cpr("010120-4441") == digits


@pytest.mark.parametrize("typed", ["310225-4000", "320125-4000", "001025-4000", "011325-4000"])
def test_impossible_dates_are_refused(typed: str) -> None:
    with pytest.raises(CprError, match="dato findes ikke"):
        normalise_cpr(typed)


@pytest.mark.parametrize("typed", ["", "12345", "070761-42851", "07076A-4285", "070761--4285x"])
def test_wrong_shapes_are_refused_in_danish(typed: str) -> None:
    with pytest.raises(CprError, match="CPR-nummeret skal have formen"):
        normalise_cpr(typed)


def test_leap_day_depends_on_the_century_from_the_seventh_digit() -> None:
    assert cpr_birth_date("2902244000") == date(2024, 2, 29)  # 7th digit 4, year 24 → 2024
    with pytest.raises(CprError):
        cpr_birth_date("2902001000")  # 7th digit 1 → 1900, not a leap year


@pytest.mark.parametrize(
    ("year", "seventh", "expected"),
    [
        (24, 0, 1900),
        (24, 3, 1900),
        (36, 4, 2000),
        (37, 4, 1900),
        (57, 5, 2000),
        (58, 8, 1800),
        (36, 9, 2000),
        (37, 9, 1900),
    ],
)
def test_century_table(year: int, seventh: int, expected: int) -> None:
    assert century(year, seventh) == expected


def test_cpr_must_match_the_birth_date() -> None:
    check_cpr_matches_birth_date("0101254000", date(2025, 1, 1))
    with pytest.raises(CprError, match="passer ikke"):
        check_cpr_matches_birth_date("0101254000", date(2025, 1, 2))
