"""The maker rule (events.makers): which maker a typed value names, and the refusals naming what it matched."""

from __future__ import annotations

import pytest

from events.errors import InputError
from events.makers import MAKER_ROLES, maker_key, match_maker
from events.orgs import Org, Role
from events.packfilters import PACK_FLAGS, check_batch_filter, check_flag_filter

M, S = Role.MANUFACTURER, Role.SECOND_LIFE
CATL = Org("catl", "宁德时代新能源科技", frozenset({M}), frozenset({"0RJ", "001"}))
CALB = Org("calb", "中创新航", frozenset({M}), frozenset({"0CA"}))
S2L = Org("fj-s2l", "福建梯次储能", frozenset({S}), frozenset({"S2L"}))
AUTO = Org("byd-auto", "比亚迪汽车（福建）", frozenset({Role.AUTOMAKER}))
ORGS = [CATL, CALB, S2L, AUTO]


def test_the_makers_are_the_roles_that_may_record_produced() -> None:
    assert {M, S, Role.IMPORTER} == MAKER_ROLES  # an importer records `produced` for the packs it imports


def test_the_key_folds_width_case_and_spaces() -> None:
    assert maker_key("  ＣＡＴＬ ") == "catl"
    assert maker_key("比亚迪汽车（福建）") == "比亚迪汽车(福建)"
    assert maker_key("LG\u3000 Energy\tSolution") == "lg energy solution"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("catl", CATL), ("CATL", CATL), ("ｃａｔｌ", CATL), ("001", CATL), ("0rj", CATL), (" 0RJ ", CATL),
        ("宁德时代新能源科技", CATL), ("宁德时代", CATL), ("新能源", CATL), ("中创新航", CALB), ("0ca", CALB),
        ("s2l", S2L), ("梯次", S2L),
    ],
)  # fmt: skip
def test_an_id_a_code_a_name_or_a_part_of_one_name_finds_its_maker(text: str, found: Org) -> None:
    assert match_maker(ORGS, text) == found


@pytest.mark.parametrize("text", ["宁", "byd-auto", "比亚迪汽车（福建）", "比亚迪", "0RK", "catl-1"])
def test_what_names_no_maker_is_unknown_manufacturer(text: str) -> None:
    """A part of a name needs 2 characters, and an automaker is no maker."""
    with pytest.raises(InputError) as refused:
        match_maker(ORGS, text)
    assert refused.value.code == "unknown_manufacturer"
    assert refused.value.message == (
        f"unknown manufacturer {text!r}: no maker's organisation id, manufacturer code or registered name matches it"
    )


def test_an_exact_match_wins_over_a_part_and_two_exact_matches_are_ambiguous() -> None:
    clash = Org("0ca", "另一家", frozenset({M}), frozenset({"0CB"}))  # its id is calb's code
    assert match_maker([*ORGS, clash], "0cb") == clash
    with pytest.raises(InputError) as refused:
        match_maker([*ORGS, clash], "0CA", field="maker")
    assert refused.value.code == "ambiguous_manufacturer"
    assert refused.value.message == (
        "maker '0CA' matches 2 makers: 0ca (另一家), calb (中创新航); give its organisation id or code"
    )
    again = Org("catl-fj", "宁德时代新能源科技（福建）", frozenset({M}))
    assert match_maker([CATL, again], "宁德时代新能源科技") == CATL  # the whole name, not a part of the other


def test_an_ambiguity_names_ten_makers_and_counts_the_rest() -> None:
    many = [Org(f"m{n:02d}", f"电池厂{n:02d}", frozenset({M})) for n in range(12)]
    with pytest.raises(InputError) as refused:
        match_maker(many, "电池厂")
    named = ", ".join(f"m{n:02d} (电池厂{n:02d})" for n in range(10))
    assert refused.value.message == (
        f"manufacturer '电池厂' matches 12 makers: {named} and 2 more; give its organisation id or code"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "manufacturer is blank; give a maker's organisation id, code or name"),
        ("\u3000 ", "manufacturer is blank; give a maker's organisation id, code or name"),
        ("ca\x00tl", "manufacturer 'ca\\x00tl' holds U+0000 (a control character) at position 2"),
        ("x" * 201, "manufacturer is 201 characters long; the limit is 200"),
    ],
)
def test_a_malformed_value_is_an_invalid_filter(text: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        match_maker(ORGS, text)
    assert (refused.value.code, refused.value.message) == ("invalid_filter", message)


def test_the_flags_are_the_flagging_event_types() -> None:
    assert PACK_FLAGS == ("corrected", "incident", "recalled")
    assert check_flag_filter("incident") == "incident" and check_flag_filter(None) is None
    with pytest.raises(InputError, match=r"^unknown flag 'exported'; flags are: corrected, incident, recalled "):
        check_flag_filter("exported")


def test_a_batch_is_trimmed_and_kept_as_written() -> None:
    assert check_batch_filter("  B-7 夜班 ") == "B-7 夜班"
    assert check_batch_filter(None) is None
    with pytest.raises(InputError, match=r"^batch is blank$"):
        check_batch_filter(" ")
