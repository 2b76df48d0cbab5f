"""VINs (GB 16735 / ISO 3779): the shared test data, every kind of refusal, and generated VINs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.errors import InvalidVin
from events.vin import TRANSLITERATION, check_digit, validate_vin, vin_with_check_digit
from tests.events.events_world import exact

INVALID_EXPECTED = {
    "LSJA24U61MS000001": "VIN 'LSJA24U61MS000001': check digit (position 9) expected '4', found '1'",
    "LSJA24U60MS00000": "VIN 'LSJA24U60MS00000': 16 characters; a VIN has 17",
    "LSJA24U6OMS000001": "VIN 'LSJA24U6OMS000001': letter 'O' at position 9 is never used (no I, O, Q)",
}


def test_shared_valid_vins_are_accepted_unchanged(shared_valid_vin: str) -> None:
    assert validate_vin(shared_valid_vin) == shared_valid_vin


def test_every_shared_invalid_vin_has_an_expectation(testdata: dict[str, Any]) -> None:
    assert sorted(testdata["vins_invalid"]) == sorted(INVALID_EXPECTED)


def test_shared_invalid_vins_say_what_is_wrong(shared_invalid_vin: str) -> None:
    with pytest.raises(InvalidVin) as caught:
        validate_vin(shared_invalid_vin)
    assert caught.value.message == INVALID_EXPECTED[shared_invalid_vin]
    assert caught.value.code == "invalid_vin"


@pytest.mark.parametrize(
    ("vin", "message"),
    [
        ("LSJA24U64MS00000I", "VIN 'LSJA24U64MS00000I': letter 'I' at position 17 is never used (no I, O, Q)"),
        ("LSJQ24U64MS000001", "VIN 'LSJQ24U64MS000001': letter 'Q' at position 4 is never used (no I, O, Q)"),
        ("lsja24u64ms000001",
         "VIN 'lsja24u64ms000001': character 'l' at position 1 is not an upper-case letter or digit"),
        ("LSJA24U64MS-00001",
         "VIN 'LSJA24U64MS-00001': character '-' at position 12 is not an upper-case letter or digit"),
        ("LSJA24U64MS0000011", "VIN 'LSJA24U64MS0000011': 18 characters; a VIN has 17"),
        ("", "VIN '': 0 characters; a VIN has 17"),
    ],
)  # fmt: skip
def test_more_refusals(vin: str, message: str) -> None:
    with pytest.raises(InvalidVin) as caught:
        validate_vin(vin)
    assert caught.value.message == message


def test_check_digit_ten_is_x() -> None:
    vin = vin_with_check_digit("1M8GDM9A_KP042788")
    assert vin == "1M8GDM9AXKP042788"  # the classic ISO 3779 worked example
    assert validate_vin(vin) == vin


def test_transliteration_follows_iso_3779() -> None:
    assert [TRANSLITERATION[c] for c in "ABCDEFGH"] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [TRANSLITERATION[c] for c in "JKLMNPR"] == [1, 2, 3, 4, 5, 7, 9]
    assert [TRANSLITERATION[c] for c in "STUVWXYZ"] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert not {"I", "O", "Q"} & set(TRANSLITERATION)


def test_vin_with_check_digit_refuses_what_validate_refuses() -> None:
    with pytest.raises(InvalidVin, match=exact("VIN 'LSJA24U6_MS00000': 16 characters; a VIN has 17")):
        vin_with_check_digit("LSJA24U6_MS00000")
    with pytest.raises(InvalidVin, match=r"letter 'O' at position 1 is never used"):
        vin_with_check_digit("OSJA24U6_MS000001")


VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@given(st.text(alphabet=VIN_CHARS, min_size=16, max_size=16), st.sampled_from("0123456789X"))
def test_generated_vins_validate_and_any_other_check_digit_fails(body: str, wrong: str) -> None:
    vin = vin_with_check_digit(body[:8] + "_" + body[8:])
    assert validate_vin(vin) == vin
    assert vin[8] == check_digit(vin)
    if wrong != vin[8]:
        with pytest.raises(InvalidVin, match="check digit"):
            validate_vin(vin[:8] + wrong + vin[9:])


def test_a_vin_must_be_text() -> None:
    with pytest.raises(InvalidVin, match=exact("VIN must be text, not int")):
        validate_vin(12345678901234567)  # type: ignore[arg-type]  # what a JSON body could carry
