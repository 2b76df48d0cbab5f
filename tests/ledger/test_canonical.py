"""Entry bytes are RFC 8785 of the whole entry, however the claim is made."""

from __future__ import annotations

import enum
import json

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from events.errors import InvalidClaim
from ledger.format.canonical import canonical, canonical_claim, entry_bytes, is_canonical

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.fuzz
@given(
    data=st.dictionaries(st.text(max_size=10), json_value, max_size=5),
    index=st.integers(0, 2**40),
    seq=st.integers(0, 10_000),
    prev=st.one_of(st.none(), st.text("0123456789abcdef", min_size=64, max_size=64)),
)
def test_spliced_entry_bytes_equal_rfc8785_of_the_entry(data: dict, index: int, seq: int, prev: str | None) -> None:
    claim = {
        "v": 1,
        "id": "7d3f0f0e-8a5b-4d0e-9a57-2c1d2f3e4a5b",
        "pack": "001PB12ABCDEFGE9P0000001",
        "type": "produced",
        "at": "2026-11-20T08:30:00Z",
        "actor": "catl",
        "key": "catl/1",
        "data": data,
    }
    entry = {
        "v": 1,
        "index": index,
        "pack": claim["pack"],
        "seq": seq,
        "prev": prev,
        "recorded_at": "2026-11-20T08:30:01.000001Z",
        "claim": claim,
        "sig": "c2lnbmF0dXJl",
    }
    spliced = entry_bytes(
        index=index,
        pack=claim["pack"],
        seq=seq,
        prev=prev,
        recorded_at=entry["recorded_at"],
        claim_bytes=rfc8785.dumps(claim),
        sig=entry["sig"],
    )
    assert spliced == rfc8785.dumps(entry)
    assert is_canonical(spliced)


@given(value=st.dictionaries(st.text(max_size=8), json_value, max_size=6))
def test_is_canonical_agrees_with_the_reference_encoder(value: dict) -> None:
    canonical = rfc8785.dumps(value)
    assert is_canonical(canonical)
    loose = json.dumps(value, indent=1, ensure_ascii=True).encode()
    assert is_canonical(loose) == (loose == canonical)


def test_non_canonical_forms_are_found() -> None:
    assert not is_canonical(b'{"b":1,"a":2}')
    assert not is_canonical(b'{"a": 1}')
    assert not is_canonical(b'{"a":1.0}')
    assert not is_canonical(b'{"a":"\\u0041"}')
    assert not is_canonical(b'{"a":1E-7}')
    assert is_canonical(b'{"a":1e-7}')


@given(value=json_value)
def test_fast_canonical_equals_the_reference_encoder(value: object) -> None:
    assert canonical(value) == rfc8785.dumps(value)


@given(value=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53) + 1, 2**53 - 1))
def test_numbers_print_as_ecmascript_does(value: float) -> None:
    assert canonical({"n": value, "m": [value]}) == rfc8785.dumps({"n": value, "m": [value]})


def test_text_outside_ascii_and_keys_outside_the_bmp_sort_by_utf16() -> None:
    value = {"\U0001f600": 1, "\uff61": 2, "é": "电池\n\u0007"}
    assert canonical(value) == rfc8785.dumps(value)


def a_claim(data: dict, actor: str = "catl", prev: str | None = None) -> dict:
    return {
        "v": 1,
        "id": "7d3f0f0e-8a5b-4d0e-9a57-2c1d2f3e4a5b",
        "pack": "001PB12ABCDEFGE9P0000001",
        "type": "produced",
        "at": "2026-11-20T08:30:00Z",
        "actor": actor,
        "key": f"{actor}/1",
        "prev": prev,
        "data": data,
    }


@given(
    data=st.dictionaries(st.text(max_size=10), json_value, max_size=5),
    actor=st.text(min_size=1, max_size=20).filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t)),
    prev=st.one_of(st.none(), st.text("0123456789abcdef", min_size=64, max_size=64)),
)
def test_claim_canonical_bytes_equal_the_reference_encoder(data: dict, actor: str, prev: str | None) -> None:
    claim = a_claim(data, actor, prev)
    assert canonical_claim(claim) == rfc8785.dumps(claim)


def test_text_with_a_lone_surrogate_is_refused() -> None:
    claim = a_claim({"note": "\ud800"})
    with pytest.raises(InvalidClaim) as caught:
        canonical_claim(claim)
    assert caught.value.message == "claim is not canonicalisable JSON: input contains non-UTF-8 codepoints"
    with pytest.raises(InvalidClaim):
        canonical({"k": ["\udfff"]})


def test_a_version_written_as_a_double_is_written_as_ecmascript_writes_it() -> None:
    claim = {"v": 1.0, "id": "x", "data": {"a": 2.0}}
    assert canonical_claim(claim) == b'{"data":{"a":2},"id":"x","v":1}' == rfc8785.dumps(claim)


def test_subclasses_and_deep_nesting_take_the_reference_encoder() -> None:
    class Grade(enum.IntEnum):
        A = 3

    class Ratio(float):
        pass

    class Name(str):
        pass

    value = {"grade": Grade.A, "ratio": Ratio(1.5), Name("name"): Name("电池"), "list": (1, [2.5])}
    assert canonical(value) == rfc8785.dumps(value) == '{"grade":3,"list":[1,[2.5]],"name":"电池","ratio":1.5}'.encode()
    deep: dict[str, object] = {}
    inner = deep
    for _ in range(300):  # deeper than orjson goes
        inner["a"] = {}
        inner = inner["a"]  # type: ignore[assignment]
    assert canonical(deep) == rfc8785.dumps(deep)
    claim = {"v": 1, "id": Name("x"), "actor": "catl", "data": {"n": Grade.A}}
    assert canonical_claim(claim) == rfc8785.dumps(claim)
