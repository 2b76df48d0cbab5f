"""The shortcuts of the rule path agree with the slow, plain code they stand in for: the one-pattern parse
of a well-formed battery code, the VIN character check, `PackState.evolve` and the copy of `extra` in
`to_dict`."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.codes import _checked, _well_formed, parse_code
from events.errors import InvalidCode
from events.state import Binding, PackState
from events.vin import _TRANSLITERATED, TRANSLITERATION
from tests.events.events_world import pack_code, second_life_code

CODE_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "az0 é"
SEEDS = [pack_code(1), pack_code(9_999_999, chemistry="E"), second_life_code(7), "0RJPEA00HAU0AAF131001955"]


@st.composite
def near_codes(draw: st.DrawFn) -> str:
    """A valid code with a few characters replaced, inserted or dropped."""
    text = list(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(text) - 1))
        match draw(st.sampled_from(["replace", "replace", "insert", "drop"])):
            case "replace":
                text[index] = draw(st.sampled_from(CODE_CHARACTERS))
            case "insert":
                text.insert(index, draw(st.sampled_from(CODE_CHARACTERS)))
            case "drop":
                del text[index]
    return "".join(text)


@given(near_codes())
def test_the_one_pattern_parse_accepts_exactly_what_strict_mode_accepts(text: str) -> None:
    fast = _well_formed(text)
    if fast is None:
        with pytest.raises(InvalidCode):
            _checked(text, strict=True)
    else:
        assert fast == _checked(text, strict=True) == _checked(text, strict=False)


@given(near_codes(), st.booleans())
def test_parse_code_gives_what_the_field_by_field_checks_give(text: str, strict: bool) -> None:
    try:
        expected: Any = _checked(text, strict=strict)
    except InvalidCode as exc:
        expected = (exc.message, exc.field)
    try:
        found: Any = parse_code(text, strict=strict)
    except InvalidCode as exc:
        found = (exc.message, exc.field)
    assert found == expected


def test_a_code_that_is_not_plain_text_takes_the_checks() -> None:
    class Text(str):
        pass

    parsed = parse_code(Text(pack_code(1)))
    assert type(parsed.code) is Text
    assert type(parse_code(pack_code(1)).code) is str


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZaz-", max_size=20))
def test_the_vin_pattern_knows_the_transliterated_characters(text: str) -> None:
    assert bool(_TRANSLITERATED.fullmatch(text)) == all(char in TRANSLITERATION for char in text)


STATE = PackState(
    code=pack_code(1),
    status="in_vehicle",
    custodian="geely",
    manufacturer="catl",
    maker_code="0RJ",
    chemistry="LFP",
    production_date=date(2026, 3, 1),
    rated_capacity_kwh=60.0,
    bindings=(Binding("vin", "LSJA24U64MS000001", "2026-03-03T03:00:00Z"),),
    flags=("incident",),
    events=4,
    extra={"status_since": "2026-03-03T03:00:00Z", "authors": ["catl", "geely"]},
)


@pytest.mark.parametrize(
    "changes",
    [{}, {"custodian": "nio-power", "receiver": None}, {"events": 5, "extra": {}}, {"flags": ("incident", "late")}],
)
def test_evolve_is_dataclasses_replace(changes: dict[str, Any]) -> None:
    evolved, replaced = STATE.evolve(**changes), dataclasses.replace(STATE, **changes)
    assert evolved == replaced
    assert repr(evolved) == repr(replaced)
    assert evolved.to_dict() == replaced.to_dict()
    assert vars(evolved) == vars(replaced)
    with pytest.raises(dataclasses.FrozenInstanceError):
        evolved.events = 9  # type: ignore[misc]


def test_evolve_refuses_an_unknown_field_as_replace_does() -> None:
    with pytest.raises(TypeError) as replaced:
        dataclasses.replace(STATE, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError) as evolved:
        STATE.evolve(colour="red")
    assert str(evolved.value) == str(replaced.value)


def test_evolve_keeps_a_subclass() -> None:
    @dataclasses.dataclass(frozen=True)
    class Tagged(PackState):
        tag: str = ""

    tagged = Tagged(**vars(STATE), tag="x").evolve(events=5)
    assert type(tagged) is Tagged
    assert (tagged.tag, tagged.events) == ("x", 5)


@pytest.mark.parametrize(
    "extra",
    [
        {"status_since": "2026-03-03T03:00:00Z", "authors": ["catl"], "reused": True, "remanufactured": False},
        {"authors": ("catl", "geely"), "n": 3, "none": None},
        {"nested": {"a": [1, 2.5]}, "f": 1.5},
        {1: "int key", "x": "y"},
        {"tuple_of_lists": ([1], [2])},
    ],
)
def test_to_dict_copies_extra_as_the_json_round_trip_would(extra: dict[Any, Any]) -> None:
    state = STATE.evolve(extra=extra)
    copied = state.to_dict()["extra"]
    assert copied == json.loads(json.dumps(extra))
    assert json.dumps(copied) == json.dumps(extra)
    for key, value in copied.items():
        assert type(value) is type(json.loads(json.dumps(extra))[key])
    if isinstance(copied.get("authors"), list):
        copied["authors"].append("mallory")
        assert "mallory" not in state.extra["authors"]
