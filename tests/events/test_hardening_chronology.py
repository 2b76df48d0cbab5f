"""Issue 11, item 10 (first bullet): the per-pack chronology (DESIGN §12). Each rule refuses with a code
of its own; flag-only events may be reported late for an earlier moment, never before 2000 or before
the pack's production."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.catalogue import EventType
from events.errors import InvalidPayload
from events.lifecycle import (
    AT_BEFORE_2000,
    AT_BEFORE_PRODUCTION,
    AT_OUT_OF_ORDER,
    GENESIS,
    LATE_REPORTABLE_EVENTS,
    MOVING_EVENTS,
    TRANSITIONS,
    next_status,
)
from events.rules import refold
from events.state import PackState
from tests.events.events_world import World, pack_code

YEAR_ONE = datetime(1, 1, 1, tzinfo=UTC)
INCIDENT = {"kind": "fire", "severity": "low", "description": "x"}
PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 400.0}
LIFECYCLE_DOC = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


def _refused(world: World, code: str, type_: str, actor: str, data: dict[str, object], at: datetime) -> InvalidPayload:
    with pytest.raises(InvalidPayload) as refused:
        world.post(code, type_, actor, data, at=at)
    return refused.value


def test_item10_an_event_dated_year_one_is_refused(world: World) -> None:
    world.produce(pack_code(1))
    error = _refused(world, pack_code(1), "incident", "catl", INCIDENT, YEAR_ONE)
    assert error.code == AT_BEFORE_2000
    assert error.message == (
        "event time 0001-01-01T00:00:00Z is before 2000-01-01T00:00:00Z: no event of a pack in the record is that old"
    )


def test_item10_the_2000_rule_is_to_the_second(world: World) -> None:
    error = _refused(world, pack_code(1), "produced", "catl", PRODUCED, datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert error.code == AT_BEFORE_2000
    world.produce(pack_code(1))
    error = _refused(world, pack_code(1), "inspected", "catl", {"soh_pct": 1.0, "verdict": "recycle"},
                     datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC))  # fmt: skip
    assert error.code == AT_BEFORE_2000


def test_item10_no_event_before_the_production_date(world: World) -> None:
    world.produce(pack_code(1))  # made 2026-03-01 (China time), produced 2026-03-02
    day_before = datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC)  # 2026-02-28 23:59:59 China time
    error = _refused(world, pack_code(1), "recalled", "catl", {"campaign": "R-1", "reason": "BMS"}, day_before)
    assert error.code == AT_BEFORE_PRODUCTION
    assert error.message == (
        "event time 2026-02-28T15:59:59Z (2026-02-28, China time) is before the pack's production date 2026-03-01"
    )
    recall = {"campaign": "R-1", "reason": "BMS"}
    world.post(pack_code(1), "recalled", "catl", recall, at=day_before + timedelta(seconds=1))


def test_item10_a_produced_event_before_the_code_date_has_the_production_code(world: World) -> None:
    before = datetime(2026, 2, 27, 1, 0, tzinfo=UTC)
    with pytest.raises(InvalidPayload) as refused:
        world.post(pack_code(1), "produced", "catl", PRODUCED, at=before)
    assert refused.value.code == AT_BEFORE_PRODUCTION


def test_item10_moving_events_keep_time_order(world: World) -> None:
    world.produce(pack_code(1))
    world.post(pack_code(1), "shipped", "catl", {"to": "gem-collect"})
    received = world.post(pack_code(1), "received", "gem-collect", {"from": "catl"})
    error = _refused(world, pack_code(1), "shipped", "gem-collect", {"to": "catl"}, world.clock - timedelta(minutes=1))
    assert error.code == AT_OUT_OF_ORDER
    assert received.extra["status_since"] == "2026-03-02T04:00:00Z"
    assert error.message.startswith(
        "event time 2026-03-02T03:59:00Z is before 2026-03-02T04:00:00Z, when the pack became in_stock; "
    )


def test_item10_flags_may_be_reported_late_for_an_earlier_moment(world: World) -> None:
    code = pack_code(1)
    world.produce(code)
    world.move(code, "catl", "gem-collect")
    world.clock += timedelta(days=30)
    earlier = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # after production, before every move above
    late = {
        EventType.INCIDENT: ("gem-collect", {"kind": "collision", "severity": "low", "description": "dent"}),
        EventType.RECALLED: ("catl", {"campaign": "R-2026-01", "reason": "BMS firmware"}),
        EventType.CORRECTED: ("fj-miit", {"target": "ab" * 32, "reason": "typo"}),
        EventType.SERVICED: ("gem-collect", {"description": "cleaned the terminals"}),
        EventType.INSPECTED: ("gem-collect", {"soh_pct": 81.0, "verdict": "repurpose"}),
        EventType.OWNERSHIP_TRANSFERRED: ("catl", {"to": "baas-lease"}),
        EventType.LEASED: ("baas-lease", {"lessee": "nio-power"}),
        EventType.LEASE_ENDED: ("baas-lease", {"reason": "expired"}),
        EventType.PASSPORT: ("catl", {"attributes": {"characteristics": {"warranty": {"lifeValue": 8}}}}),
    }
    assert set(late) == LATE_REPORTABLE_EVENTS
    for event_type, (actor, data) in late.items():
        before = world.packs[code]
        after = world.post(code, event_type, actor, data, at=earlier)
        assert (after.status, after.custodian) == (before.status, before.custodian), event_type
        assert after.extra["status_since"] == before.extra["status_since"]
    error = _refused(world, code, "incident", "gem-collect", late[EventType.INCIDENT][1], YEAR_ONE)
    assert error.code == AT_BEFORE_2000


def test_item10_which_events_keep_time_order_is_derived_from_the_table() -> None:
    for (source, event), target in TRANSITIONS.items():
        if event in MOVING_EVENTS:  # every row of a moving event changes the status, once retired too
            assert target != source and next_status(source, event, retired=True) != source, (source, event)
        else:
            assert target == source, (source, event)
    assert GENESIS[0] in MOVING_EVENTS
    assert set(EventType) == MOVING_EVENTS | LATE_REPORTABLE_EVENTS
    assert not MOVING_EVENTS & LATE_REPORTABLE_EVENTS


def test_item10_the_replay_keeps_the_old_order_rule_but_not_the_new_admission_checks(world: World) -> None:
    """An entry recorded before the 2000 and production rules existed still replays (verify step 5);
    the order of moving events held from the start and is still enforced."""
    state = world.produce(pack_code(1))
    flag = world.event(pack_code(1), "incident", "catl", INCIDENT, YEAR_ONE)
    replayed = refold(state, flag, world)
    assert replayed.flags == ("incident",) and replayed.extra["status_since"] == state.extra["status_since"]
    stale = world.event(pack_code(1), "shipped", "catl", {"to": "geely"}, at=YEAR_ONE)
    with pytest.raises(InvalidPayload) as refused:
        refold(state, stale, world)
    assert refused.value.code == AT_OUT_OF_ORDER


def test_item10_old_projections_still_load() -> None:
    """A projection stored before the chronology rules (the same keys: status_since was always kept)."""
    stored = {
        "code": pack_code(1), "status": "in_stock", "custodian": "gem-collect", "manufacturer": "catl",
        "maker_code": "0RJ", "chemistry": "LFP", "production_date": "2026-03-01", "rated_capacity_kwh": 60.0,
        "receiver": None, "sender": None, "bindings": [], "flags": [], "origins": [], "successor": None,
        "soh_pct": None, "verdict": None, "last_event_at": "2026-03-02T04:00:00Z", "events": 3,
        "extra": {"status_since": "2026-03-02T04:00:00Z", "authors": ["catl", "gem-collect"]},
    }  # fmt: skip
    assert PackState.from_dict(stored).to_dict() == stored


def test_item10_the_codes_are_listed_in_docs_lifecycle() -> None:
    doc = LIFECYCLE_DOC.read_text(encoding="utf-8")
    for code in (AT_BEFORE_2000, AT_BEFORE_PRODUCTION, AT_OUT_OF_ORDER):
        assert re.search(rf"^\| `{code}` \|", doc, flags=re.MULTILINE), code
    late = ", ".join(f"`{event}`" for event in sorted(LATE_REPORTABLE_EVENTS))
    assert late in doc
