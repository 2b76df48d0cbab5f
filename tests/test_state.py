"""The hand-written PackState.to_dict stays equal to the dataclass's own view of its fields."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date

from events.state import Binding, PackState


def test_to_dict_covers_every_field_and_round_trips() -> None:
    state = PackState(
        code="001PB12ABCDEFGE9P0000001",
        status="in_vehicle",
        custodian="byd-auto",
        manufacturer="catl",
        maker_code="001",
        chemistry="LFP",
        production_date=date(2026, 1, 15),
        rated_capacity_kwh=60.0,
        bindings=(Binding("vin", "LSJA24U64MS000001", "2026-03-02T01:00:00Z", None),),
        flags=("incident",),
        origins=(),
        extra={"authors": ["catl"], "status_since": "2026-03-02T01:00:00Z"},
    )
    out = state.to_dict()
    assert set(out) == {f.name for f in fields(PackState)}
    reference = asdict(state)
    reference["production_date"] = "2026-01-15"
    reference["bindings"] = [asdict(b) for b in state.bindings]
    reference["flags"], reference["origins"] = list(state.flags), list(state.origins)
    assert out == reference
    assert PackState.from_dict(out) == state
