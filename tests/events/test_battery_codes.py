"""GB/T 34014 codes: the shared test data, every error field, lenient mode, generation round trips."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.codes import (
    CHEMISTRY_LETTERS,
    DAY_LETTERS,
    MONTH_LETTERS,
    YEAR_LETTERS,
    BatteryCode,
    encode_date,
    make_code,
    make_second_life_code,
    parse_code,
)
from events.errors import InvalidCode
from tests.events.events_world import exact, starting

# Why each invalid code of the shared test data is refused: the field and the message.
INVALID_EXPECTED = {
    "0RJPEA00HAU0AAF13100195": (
        "length",
        "battery code 0RJPEA00HAU0AAF13100195: 23 characters; a battery code has 24 (or 19 for a second-life code)",
    ),
    "0RJXEA00HAU0AAF131001955": (
        "product_type",
        "battery code 0RJXEA00HAU0AAF131001955: product type 'X' is not P (pack), M (module) or C (cell)",
    ),
    "0RJPHA00HAU0AAF131001955": (
        "chemistry",
        "battery code 0RJPHA00HAU0AAF131001955: chemistry letter 'H' is not one of A-G or Z",
    ),
    "0RJPEA00HAU0AAFD31001955": (
        "month",
        "battery code 0RJPEA00HAU0AAFD31001955: month letter 'D' is not a month code (1-9, A, B, C)",
    ),
    "0RJPEA00HAU0AAZ131001955": (
        "year",
        "battery code 0RJPEA00HAU0AAZ131001955: year letter 'Z' is not a year code (1-9, then A-Y without I, O, Q, U)",
    ),
    "0RJPEA00HAU0AAF2Y1001955": (
        "date",
        "battery code 0RJPEA00HAU0AAF2Y1001955: production date F2Y means 2025-02-30, which is not a calendar date",
    ),
    "0RJPEA00HAU0AAF13100195A": (
        "serial",
        "battery code 0RJPEA00HAU0AAF13100195A: serial '100195A' is not 7 digits",
    ),
    "0RJPEA00HAU0AAF13 001955": (
        "characters",
        "battery code 0RJPEA00HAU0AAF13 001955: character ' ' at position 18 (serial) "
        "is not an upper-case letter or digit",
    ),
}


def test_shared_valid_codes_parse_to_their_fields(shared_valid_code: dict[str, str]) -> None:
    case = shared_valid_code
    assert parse_code(case["code"]) == BatteryCode(
        code=case["code"],
        manufacturer=case["manufacturer"],
        product_type=case["product_type"],
        chemistry_letter=case["chemistry_letter"],
        spec=case["spec"],
        traceability=case["traceability"],
        production_date=date.fromisoformat(case["production_date"]),
        serial=case["serial"],
        second_life=False,
    )


def test_shared_second_life_codes_parse_without_traceability(shared_second_life_code: dict[str, str]) -> None:
    case = shared_second_life_code
    assert parse_code(case["code"]) == BatteryCode(
        code=case["code"],
        manufacturer=case["manufacturer"],
        product_type=case["product_type"],
        chemistry_letter=case["chemistry_letter"],
        spec=case["spec"],
        traceability=None,
        production_date=date.fromisoformat(case["production_date"]),
        serial=case["serial"],
        second_life=True,
    )


def test_every_shared_invalid_code_has_an_expectation(testdata: dict[str, Any]) -> None:
    assert sorted(case["code"] for case in testdata["invalid"]) == sorted(INVALID_EXPECTED)


def test_shared_invalid_codes_name_the_field(shared_invalid_code: dict[str, str]) -> None:
    case = shared_invalid_code
    field, message = INVALID_EXPECTED[case["code"]]
    with pytest.raises(InvalidCode) as caught:
        parse_code(case["code"])
    assert (caught.value.field, caught.value.message) == (field, message)
    assert caught.value.code == "invalid_code"


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("0rjPEA00HAU0AAF131001955", "characters",
         "character 'r' at position 2 (manufacturer code) is not an upper-case letter or digit"),
        ("0RJPEa00HAU0AAF131001955", "characters",
         "character 'a' at position 6 (spec code) is not an upper-case letter or digit"),
        ("0RJPEA00HAU-AAF131001955", "characters",
         "character '-' at position 12 (traceability code) is not an upper-case letter or digit"),
        ("0RJPEA00HAU0AAI131001955", "year",
         "year letter 'I' is not a year code (1-9, then A-Y without I, O, Q, U)"),
        ("0RJPEA00HAU0AAF031001955", "month", "month letter '0' is not a month code (1-9, A, B, C)"),
        ("0RJPEA00HAU0AAF1U1001955", "day", "day letter 'U' is not a day code (1-9, then A-Y without I, O, Q, U)"),
        ("0RJPEA00HAU0AAF101001955", "day",
         "day letter '0' (the 31st) is not confirmed in GB/T 34014; only lenient mode reads it"),
        ("S2LPBA1G5A0000007XP", "second_life_suffix", "second-life suffix 'XP' is not R followed by P, M or C"),
        ("S2LPBA1G5A0000007RX", "second_life_suffix", "second-life suffix 'RX' is not R followed by P, M or C"),
        ("S2LPBA1G5A000000ARP", "serial", "serial '000000A' is not 7 digits"),
        ("S2LXBA1G5A0000007RP", "product_type", "product type 'X' is not P (pack), M (module) or C (cell)"),
        ("S2LPBA1G2Y0000007RP", "date", "production date G2Y means 2026-02-30, which is not a calendar date"),
    ],
)  # fmt: skip
def test_more_refusals_name_the_field(text: str, field: str, problem: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_code(text)
    assert (caught.value.field, caught.value.message) == (field, f"battery code {text}: {problem}")


def test_empty_overlong_and_non_text_codes_are_shown_safely() -> None:
    with pytest.raises(InvalidCode, match=starting("battery code '': 0 characters; a battery code has 24 (or 19")):
        parse_code("")
    with pytest.raises(InvalidCode) as caught:
        parse_code("A" * 1000)
    assert caught.value.message == (
        f"battery code {'A' * 40!r}…: 1000 characters; a battery code has 24 (or 19 for a second-life code)"
    )
    with pytest.raises(InvalidCode, match=exact("battery code must be text, not int")) as not_text:
        parse_code(12345)  # type: ignore[arg-type]  # what a JSON body could carry
    assert not_text.value.field == "characters"


def test_lenient_mode_reads_day_31_alphanumeric_serials_and_impossible_dates() -> None:
    day_31 = parse_code("0RJPEA00HAU0AAF101001955", strict=False)
    assert day_31.production_date == date(2025, 1, 31)
    february_31 = parse_code("0RJPEA00HAU0AAF201001955", strict=False)
    assert february_31.production_date is None
    assert february_31.date_letters == "F20"
    assert parse_code("0RJPEA00HAU0AAF2Y1001955", strict=False).production_date is None
    assert parse_code("0RJPEA00HAU0AAF13100195A", strict=False).serial == "100195A"
    with pytest.raises(InvalidCode) as caught:  # the letters themselves are still checked
        parse_code("0RJPEA00HAU0AAFD31001955", strict=False)
    assert caught.value.field == "month"


def test_date_letter_tables_skip_i_o_q_u_z() -> None:
    assert (YEAR_LETTERS["1"], YEAR_LETTERS["9"], YEAR_LETTERS["A"], YEAR_LETTERS["H"]) == (2011, 2019, 2020, 2027)
    assert (YEAR_LETTERS["J"], YEAR_LETTERS["K"], YEAR_LETTERS["P"], YEAR_LETTERS["Y"]) == (2028, 2029, 2033, 2040)
    assert not {"I", "O", "Q", "U", "Z", "0"} & set(YEAR_LETTERS)
    assert sorted(MONTH_LETTERS.values()) == list(range(1, 13))
    assert (MONTH_LETTERS["A"], MONTH_LETTERS["B"], MONTH_LETTERS["C"]) == (10, 11, 12)
    assert sorted(DAY_LETTERS.values()) == list(range(1, 31))
    assert (DAY_LETTERS["A"], DAY_LETTERS["H"], DAY_LETTERS["J"], DAY_LETTERS["Y"]) == (10, 17, 18, 30)
    assert not {"I", "O", "Q", "U", "Z", "0"} & set(DAY_LETTERS)


def test_chemistry_letters_are_one_table_with_b_and_e_confirmed() -> None:
    assert sorted(CHEMISTRY_LETTERS) == ["A", "B", "C", "D", "E", "F", "G", "Z"]
    confirmed = {letter: entry.chemistries for letter, entry in CHEMISTRY_LETTERS.items() if entry.chemistries}
    assert confirmed == {"B": frozenset({"LFP"}), "E": frozenset({"NCM", "NCA"})}
    assert {entry.meaning for letter, entry in CHEMISTRY_LETTERS.items() if letter not in "BE"} == {"unconfirmed"}
    assert parse_code("0RJPEA00HAU0AAF131001955").chemistry.meaning == "ternary (NCM/NCA)"


@pytest.mark.parametrize(
    ("day", "letters"),
    [(date(2025, 1, 3), "F13"), (date(2024, 9, 23), "E9P"), (date(2026, 12, 8), "GC8"), (date(2011, 10, 30), "1AY"),
     (date(2040, 11, 10), "YBA"), (date(2025, 1, 31), "F10")],
)  # fmt: skip
def test_encode_date(day: date, letters: str) -> None:
    assert encode_date(day) == letters


def test_encode_date_outside_the_letter_range() -> None:
    with pytest.raises(InvalidCode, match=exact("year 2041 has no GB/T 34014 year letter (2011-2040)")) as caught:
        encode_date(date(2041, 1, 1))
    assert caught.value.field == "year"


def test_make_code_reproduces_the_shared_examples() -> None:
    assert make_code("0RJ", "pack", "E", "A0", "0HAU0AA", date(2025, 1, 3), 1001955) == "0RJPEA00HAU0AAF131001955"
    assert make_code("03U", "M", "B", "0A", "1234567", date(2026, 12, 8), 42) == "03UMB0A1234567GC80000042"
    assert make_second_life_code("S2L", "pack", "B", "A1", date(2026, 5, 10), 7) == "S2LPBA1G5A0000007RP"


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (lambda: make_code("0R", "pack", "B", "A0", "0HAU0AA", date(2025, 1, 3), 1), "manufacturer",
         "manufacturer code '0R' must be 3 upper-case letters or digits"),
        (lambda: make_code("0RJ", "pack", "B", "a0", "0HAU0AA", date(2025, 1, 3), 1), "spec",
         "spec code 'a0' must be 2 upper-case letters or digits"),
        (lambda: make_code("0RJ", "pack", "B", "A0", "0HAU0A", date(2025, 1, 3), 1), "traceability",
         "traceability code '0HAU0A' must be 7 upper-case letters or digits"),
        (lambda: make_code("0RJ", "box", "B", "A0", "0HAU0AA", date(2025, 1, 3), 1), "product_type",
         "product type 'box' is not pack, module or cell"),
        (lambda: make_code("0RJ", "pack", "B", "A0", "0HAU0AA", date(2025, 1, 3), 10_000_000), "serial",
         "serial 10000000 does not fit in 7 digits"),
        (lambda: make_code("0RJ", "pack", "H", "A0", "0HAU0AA", date(2025, 1, 3), 1), "chemistry",
         "battery code 0RJPHA00HAU0AAF130000001: chemistry letter 'H' is not one of A-G or Z"),
    ],
)  # fmt: skip
def test_make_code_refuses_bad_pieces(call: Callable[[], str], field: str, message: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        call()
    assert (caught.value.field, caught.value.message) == (field, message)


pieces = st.builds(
    dict,
    maker=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=3, max_size=3),
    product_type=st.sampled_from(["pack", "module", "cell"]),
    chemistry_letter=st.sampled_from(sorted(CHEMISTRY_LETTERS)),
    spec=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=2),
    produced=st.dates(min_value=date(2011, 1, 1), max_value=date(2040, 12, 31)),
    serial=st.integers(min_value=0, max_value=9_999_999),
)


@given(pieces, st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=7, max_size=7))
def test_make_code_then_parse_code_round_trips(p: dict[str, Any], traceability: str) -> None:
    text = make_code(traceability=traceability, **p)
    strict = p["produced"].day != 31  # the 31st is the unconfirmed '0': lenient mode only
    code = parse_code(text, strict=strict)
    assert (code.manufacturer, code.product_type, code.chemistry_letter, code.spec) == (
        p["maker"], p["product_type"], p["chemistry_letter"], p["spec"],
    )  # fmt: skip
    assert (code.traceability, code.production_date, int(code.serial), code.second_life) == (
        traceability, p["produced"], p["serial"], False,
    )  # fmt: skip
    assert len(text) == 24


@given(pieces)
def test_make_second_life_code_then_parse_code_round_trips(p: dict[str, Any]) -> None:
    text = make_second_life_code(**p)
    code = parse_code(text, strict=p["produced"].day != 31)
    assert len(text) == 19
    assert text.endswith("R" + text[3])
    assert (code.manufacturer, code.product_type, code.traceability, code.second_life) == (
        p["maker"], p["product_type"], None, True,
    )  # fmt: skip
    assert (code.production_date, int(code.serial)) == (p["produced"], p["serial"])
