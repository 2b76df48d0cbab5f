"""events.whereabouts: each 流向不明 reason at its limit, who may hold a retired pack, and the rule data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events.deadlines import DEFAULT_RULESET
from events.orgs import Org, Role
from events.state import Binding, PackState
from events.timestamps import to_rfc3339
from events.whereabouts import (
    DEFAULT_WHEREABOUTS,
    REASON_TEXT,
    Custody,
    Reason,
    Unaccounted,
    displacements,
    may_hold_retired,
    rules_for,
    whereabouts,
)

T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March 2026, 10:00 in China
R = Role
GREY = Org("grey", "小作坊", frozenset({R.RECYCLER}))
GEM = Org("gem", "格林美", frozenset({R.RECYCLER}), whitelisted=True)
DEALER = Org("dealer", "经销商", frozenset({R.DEALER}))
COLLECTOR = Org("xm-collect", "厦门回收网点", frozenset({R.COLLECTOR}))
DISMANTLER = Org("fj-dismantler", "拆解企业", frozenset({R.VEHICLE_DISMANTLER}))
BOTH = Org("gem-collect", "回收网点兼再生", frozenset({R.RECYCLER, R.COLLECTOR}))


def pack(status: str, custodian: str = "byd-auto", **extra: Any) -> PackState:
    values = {key: to_rfc3339(value) if isinstance(value, datetime) else value for key, value in extra.items()}
    return PackState("001PB12ABCDEFG61F0000001", status, custodian, "catl", "001", "LFP", None, 60.0, extra=values)


def test_who_may_hold_a_retired_pack() -> None:
    assert [may_hold_retired(o) for o in (GREY, GEM, DEALER, COLLECTOR, DISMANTLER, BOTH)] == [
        False, True, False, True, True, True,
    ]  # fmt: skip
    assert may_hold_retired(replace(GEM, whitelisted=False)) is False


@pytest.mark.parametrize("status", ["retired", "dismantled", "recycled"])
def test_a_pack_received_by_a_recycler_off_the_list_is_listed_at_once(status: str) -> None:
    state = pack(status, "grey", status_since=T, retired_at=T - timedelta(days=3), collected_at=T)
    assert whereabouts(state, T, custody=Custody(GREY, T)) == Unaccounted(Reason.HELD_BY_UNAUTHORISED, T, 0, 0)
    assert whereabouts(state, T, custody=Custody(replace(GREY, whitelisted=True), T)) is None


def test_the_dealer_holding_a_retired_pack_is_listed_and_a_pack_not_received_since_retirement_is_not() -> None:
    state = pack("retired", "dealer", status_since=T, retired_at=T - timedelta(days=1))
    assert whereabouts(state, T + timedelta(hours=1), custody=Custody(DEALER, T)).reason == Reason.HELD_BY_UNAUTHORISED  # type: ignore[union-attr]
    assert whereabouts(pack("retired", status_since=T, retired_at=T), T + timedelta(days=1)) is None


def test_a_scrapped_vehicles_pack_is_due_on_the_15th_working_day() -> None:
    state = pack("retired", "byd-auto", status_since=T, retired_at=T)
    due = datetime(2026, 3, 23, 15, 0, tzinfo=UTC)  # Monday 23 March, 23:00 in China: the 15th working day
    assert whereabouts(state, due, retired_reason="vehicle_scrapped") is None
    late = whereabouts(state, due + timedelta(hours=2), retired_reason="vehicle_scrapped")
    assert late == Unaccounted(Reason.SCRAPPED_NOT_HANDED_ON, T, 21, 15, working_days=True)
    assert whereabouts(state, due + timedelta(hours=2), retired_reason="end_of_life") is None
    assert whereabouts(state, due + timedelta(hours=2), retired_by=DISMANTLER) == late
    at_dismantler = pack("retired", DISMANTLER.id, status_since=T, retired_at=T - timedelta(days=2))
    assert whereabouts(at_dismantler, due + timedelta(hours=2), custody=Custody(DISMANTLER, T)) == late


def test_retired_not_collected_and_shipped_not_received_after_30_days() -> None:
    retired = pack("retired", status_since=T, retired_at=T)
    assert whereabouts(retired, T + timedelta(days=30)) is None
    assert whereabouts(retired, T + timedelta(days=30, seconds=1)) == Unaccounted(
        Reason.RETIRED_NOT_COLLECTED, T, 30, 30
    )
    shipped = pack("in_transit", status_since=T)
    assert whereabouts(shipped, T + timedelta(days=30)) is None
    assert whereabouts(shipped, T + timedelta(days=31)) == Unaccounted(Reason.SHIPPED_NOT_RECEIVED, T, 31, 30)


def test_idle_in_stock_after_a_year_and_at_a_collector_after_90_days() -> None:
    stock = pack("in_stock", status_since=T)
    assert whereabouts(stock, T + timedelta(days=365)) is None
    assert whereabouts(stock, T + timedelta(days=366)) == Unaccounted(Reason.IDLE_IN_STOCK, T, 366, 365)
    collected = pack("retired", COLLECTOR.id, status_since=T, retired_at=T - timedelta(days=2), collected_at=T)
    assert whereabouts(collected, T + timedelta(days=90), custody=Custody(COLLECTOR, T)) is None
    assert whereabouts(collected, T + timedelta(days=91), custody=Custody(COLLECTOR, T)) == Unaccounted(
        Reason.IDLE_AT_COLLECTOR, T, 91, 90
    )


def test_a_pack_displaced_in_its_vehicle_is_listed_after_30_working_days() -> None:
    first, second = pack("in_vehicle", status_since=T), pack("in_vehicle", status_since=T + timedelta(days=5))
    first = replace(first, bindings=(Binding("vin", "LSVAA4182E2184851", to_rfc3339(T)),))
    second = replace(second, code="001PB12ABCDEFG61F0000002",
                     bindings=(Binding("vin", "LSVAA4182E2184851", to_rfc3339(T + timedelta(days=5))),))  # fmt: skip
    elsewhere = replace(second, code="001PB12ABCDEFG61F0000003", bindings=(Binding("vin", "LSVAA4182E2184852", "x"),))
    assert displacements([second, elsewhere, first]) == {first.code: T + timedelta(days=5)}
    later = T + timedelta(days=5)
    due = datetime(2026, 4, 20, 15, 0, tzinfo=UTC)  # Saturday 7 March + 30 working days (Qingming off): 20 April
    assert whereabouts(first, due, displaced_by=later) is None
    assert whereabouts(first, due + timedelta(hours=2), displaced_by=later) == Unaccounted(
        Reason.DISPLACED_IN_VEHICLE, later, 44, 30, working_days=True
    )
    assert whereabouts(second, due + timedelta(days=100)) is None


def test_the_rules_are_versioned_data_with_texts_in_both_languages() -> None:
    assert DEFAULT_WHEREABOUTS.version == DEFAULT_RULESET.version == "2018-interim"
    assert rules_for(DEFAULT_RULESET) == DEFAULT_WHEREABOUTS
    assert rules_for(replace(DEFAULT_RULESET, version="stricter", unaccounted_days=7)).unaccounted_days == 7
    assert set(REASON_TEXT) == set(Reason)
    assert REASON_TEXT[Reason.HELD_BY_UNAUTHORISED] == (
        "退役电池由无资质企业持有（未列入规范条件或无回收角色）",
        "Retired pack held by an organisation not allowed to hold it",
    )


def test_the_limit_in_days_comes_from_the_deadline_rule_version() -> None:
    """A rule set with a 7-day limit (a later version, say) lists a shipment after 7 days, not 30."""
    shorter = rules_for(replace(DEFAULT_RULESET, unaccounted_days=7))
    shipped = pack("in_transit", status_since=T)
    assert whereabouts(shipped, T + timedelta(days=7), rules=shorter) is None
    assert whereabouts(shipped, T + timedelta(days=8), rules=shorter) == Unaccounted(
        Reason.SHIPPED_NOT_RECEIVED, T, 8, 7
    )
