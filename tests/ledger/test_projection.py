"""The stored projection (`pack.state`) is `PackState.to_dict()` as JSON, whatever the state holds."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from events.lifecycle import Status
from events.state import Binding, PackState
from ledger.store.appending import projection_json

text = st.text(max_size=12)  # any text, Chinese and control characters included
optional_text = st.none() | text
moments = st.sampled_from(["2026-03-02T01:00:00Z", "2026-11-23T12:06:36Z"])
bindings = st.builds(
    Binding, kind=st.sampled_from(["vin", "site"]), target=text, start=moments, end=st.none() | moments
)
extra_values = st.recursive(
    st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | optional_text,
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
extras = st.dictionaries(text, extra_values, max_size=4)
states = st.builds(
    PackState,
    code=text,
    status=st.sampled_from(list(Status)) | text,
    custodian=text,
    manufacturer=text,
    maker_code=text,
    chemistry=text,
    production_date=st.none() | st.dates(),
    rated_capacity_kwh=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    receiver=optional_text,
    sender=optional_text,
    bindings=st.tuples() | st.lists(bindings, max_size=3).map(tuple),
    flags=st.lists(text, max_size=3).map(tuple),
    origins=st.lists(text, max_size=3).map(tuple),
    successor=optional_text,
    soh_pct=st.none() | st.floats(min_value=0, max_value=100),
    verdict=optional_text,
    last_event_at=st.none() | moments,
    events=st.integers(min_value=0, max_value=10**6),
    extra=extras,
)


@given(states)
def test_the_projection_is_the_state_as_a_dictionary(state: PackState) -> None:
    stored = json.loads(projection_json(state))
    assert stored == state.to_dict()
    assert PackState.from_dict(stored).to_dict() == state.to_dict()


def test_what_orjson_cannot_write_takes_the_slow_road() -> None:
    state = PackState("c", "produced", "o", "o", "001", "LFP", None, None, extra={"n": 2**70, "t": ("a",)})
    assert json.loads(projection_json(state)) == state.to_dict()


def test_a_produced_pack_projection_reads_as_expected() -> None:
    state = PackState(
        code="001PB12ABCDEFGG320000000",
        status=Status.PRODUCED,
        custodian="catl",
        manufacturer="catl",
        maker_code="001",
        chemistry="LFP",
        production_date=date(2026, 3, 2),
        rated_capacity_kwh=60.0,
        bindings=(Binding("vin", "LFV2A21K7N4000001", "2026-03-05T02:00:00Z"),),
        flags=("late",),
        extra={"authors": ["catl"], "名称": "宁德"},
    )
    assert projection_json(state) == (
        '{"code":"001PB12ABCDEFGG320000000","status":"produced","custodian":"catl","manufacturer":"catl",'
        '"maker_code":"001","chemistry":"LFP","production_date":"2026-03-02","rated_capacity_kwh":60.0,'
        '"receiver":null,"sender":null,"bindings":[{"kind":"vin","target":"LFV2A21K7N4000001",'
        '"start":"2026-03-05T02:00:00Z","end":null}],"flags":["late"],"origins":[],"successor":null,'
        '"soh_pct":null,"verdict":null,"last_event_at":null,"events":0,"extra":{"authors":["catl"],"名称":"宁德"}}'
    )
