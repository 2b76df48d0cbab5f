"""Whole lives of packs through rules.apply: the design's main path, swaps, second life, lost and found."""

from __future__ import annotations

from datetime import timedelta

from events.eu_status import eu_status
from events.rules import next_actions
from events.state import Binding, PackState
from tests.events.events_world import RECYCLED_DATA, VIN_A, VIN_B, World, pack_code, second_life_code


def test_from_factory_to_furnace(world: World) -> None:
    code = pack_code(1)
    state = world.produce(code)
    assert (state.status, state.custodian, state.manufacturer, state.maker_code) == ("produced", "catl", "catl", "0RJ")
    assert (state.chemistry, state.rated_capacity_kwh, str(state.production_date)) == ("LFP", 60.0, "2026-03-01")

    state = world.post(code, "shipped", "catl", {"to": "geely"})
    assert (state.status, state.custodian, state.sender, state.receiver) == ("in_transit", "catl", "catl", "geely")
    state = world.post(code, "received", "geely", {"from": "catl"})
    assert (state.status, state.custodian, state.sender, state.receiver) == ("in_stock", "geely", None, None)

    state = world.post(code, "installed", "geely", {"vin": VIN_A})
    assert state.status == "in_vehicle"
    assert state.binding == Binding("vin", VIN_A, "2026-03-02T05:00:00Z")
    assert eu_status(state) == "original"

    state = world.post(code, "removed", "nio-power", {"reason": "swap"})  # the swap station holds the car
    assert (state.status, state.custodian, state.binding) == ("in_stock", "nio-power", None)
    state = world.post(code, "installed", "nio-power", {"vin": VIN_B})
    assert state.bindings == (
        Binding("vin", VIN_A, "2026-03-02T05:00:00Z", "2026-03-02T06:00:00Z"),
        Binding("vin", VIN_B, "2026-03-02T07:00:00Z"),
    )
    assert eu_status(state) == "original"  # rotating through swap stations is the original use

    state = world.post(code, "retired", "nio-power", {"reason": "end_of_life"})
    assert (state.status, state.binding) == ("retired", None)
    assert state.bindings[-1] == Binding("vin", VIN_B, "2026-03-02T07:00:00Z", "2026-03-02T08:00:00Z")
    assert eu_status(state) == "waste"

    state = world.move(code, "nio-power", "gem-collect")
    assert (state.status, state.custodian) == ("retired", "gem-collect")  # still retired after transit
    assert state.extra["collected_at"] == "2026-03-02T10:00:00Z"
    state = world.post(code, "inspected", "gem-collect", {"soh_pct": 61.0, "verdict": "recycle"})
    assert (state.soh_pct, state.verdict, state.status) == (61.0, "recycle", "retired")

    state = world.move(code, "gem-collect", "brunp")
    assert (state.status, state.custodian) == ("retired", "brunp")
    state = world.post(
        code, "dismantled", "brunp", {"outputs": [{"kind": "material", "name": "black mass", "mass_kg": 150}]}
    )
    assert state.status == "dismantled"
    state = world.post(code, "recycled", "brunp", RECYCLED_DATA)

    assert state.to_dict() == {
        "code": code, "status": "recycled", "custodian": "brunp", "manufacturer": "catl", "maker_code": "0RJ",
        "chemistry": "LFP", "production_date": "2026-03-01", "rated_capacity_kwh": 60.0, "receiver": None,
        "sender": None,
        "bindings": [
            {"kind": "vin", "target": VIN_A, "start": "2026-03-02T05:00:00Z", "end": "2026-03-02T06:00:00Z"},
            {"kind": "vin", "target": VIN_B, "start": "2026-03-02T07:00:00Z", "end": "2026-03-02T08:00:00Z"},
        ],
        "flags": [], "origins": [], "successor": None, "soh_pct": 61.0, "verdict": "recycle",
        "last_event_at": "2026-03-02T15:00:00Z", "events": 14,
        "extra": {
            "status_since": "2026-03-02T15:00:00Z", "retired_at": "2026-03-02T08:00:00Z",
            "collected_at": "2026-03-02T10:00:00Z", "last_removal_reason": "swap",
            "authors": ["brunp", "catl", "geely", "gem-collect", "nio-power"],
        },
    }  # fmt: skip
    assert eu_status(state) == "waste"
    assert next_actions(state, world.orgs["fj-miit"]) == ["corrected"]
    assert PackState.from_dict(state.to_dict()) == state


def test_second_life_two_packs_into_one_storage_product(world: World) -> None:
    originals = [pack_code(2), pack_code(3)]
    for code in originals:
        world.produce(code)
        world.move(code, "catl", "byd")
        world.post(code, "installed", "byd", {"vin": VIN_A if code == originals[0] else VIN_B})
        world.post(code, "retired", "byd", {"reason": "end_of_life"})
        world.move(code, "byd", "s2l-energy")
        world.post(code, "inspected", "s2l-energy", {"soh_pct": 78.0, "verdict": "repurpose"})
    assert next_actions(world.packs[originals[0]], world.orgs["s2l-energy"]) == [
        "corrected",
        "exported",
        "incident",
        "inspected",
        "lost",
        "passport",
        "repurposed",
        "shipped",
        "transferred",
    ]  # not dismantled: that is for a whitelisted recycler or a vehicle dismantler

    product = second_life_code(1)
    batch = [
        world.event(originals[0], "repurposed", "s2l-energy", {"into": product}),
        world.event(originals[1], "repurposed", "s2l-energy", {"into": product}),
        world.event(product, "produced", "s2l-energy", {
            "chemistry": "LFP", "rated_capacity_kwh": 90.0, "nominal_voltage_v": 700.0, "mass_kg": 800.0,
            "from": originals,
        }),
    ]  # fmt: skip
    first, second, new = world.post_batch(batch)
    assert (first.status, first.successor, second.status, second.successor) == (
        "repurposed", product, "repurposed", product,
    )  # fmt: skip
    assert (new.status, new.custodian, new.manufacturer, new.maker_code) == (
        "produced",
        "s2l-energy",
        "s2l-energy",
        "S2L",
    )
    assert new.origins == tuple(originals)
    assert [eu_status(first), eu_status(new)] == ["repurposed", "repurposed"]
    assert next_actions(first, world.orgs["s2l-energy"]) == ["corrected"]

    state = world.post(product, "installed", "s2l-energy", {"site": "厦门储能站 1"})
    assert (state.status, state.binding) == (
        "in_storage_system",
        Binding("site", "厦门储能站 1", state.last_event_at or ""),
    )
    assert eu_status(state) == "repurposed"
    state = world.post(product, "inspected", "s2l-energy", {"soh_pct": 70.0, "verdict": "reuse"})
    assert state.status == "in_storage_system"
    state = world.post(product, "removed", "s2l-energy", {"reason": "retirement"})
    state = world.post(product, "retired", "s2l-energy", {"reason": "end_of_life"})
    assert (state.status, eu_status(state)) == ("retired", "waste")


def test_lost_in_transit_and_found_by_the_regulator(world: World) -> None:
    code = pack_code(4)
    world.produce(code)
    world.post(code, "shipped", "catl", {"to": "geely"})
    state = world.post(code, "lost", "fj-miit", {"reason": "truck missing"})
    assert (state.status, state.sender, state.receiver) == ("lost", None, None)
    assert next_actions(state, world.orgs["geely"]) == []
    assert next_actions(state, world.orgs["fj-miit"]) == ["corrected", "found", "recalled"]
    state = world.post(code, "found", "fj-miit", {"custodian": "geely", "note": "found at the port"})
    assert (state.status, state.custodian) == ("in_stock", "geely")
    assert "installed" in next_actions(state, world.orgs["geely"])


def test_a_retired_pack_found_again_is_still_retired(world: World) -> None:
    code = pack_code(5)
    world.produce(code)
    world.post(code, "retired", "catl", {"reason": "damaged"})
    state = world.post(code, "exported", "catl", {"destination": "VN"})
    assert state.status == "exported"
    state = world.post(code, "found", "fj-miit", {"custodian": "gem-collect", "note": "returned by customs"})
    assert (state.status, state.custodian) == ("retired", "gem-collect")
    assert eu_status(state) == "waste"


def test_vehicle_dismantler_takes_a_pack_out_of_a_scrapped_car(world: World) -> None:
    code = pack_code(6)
    world.produce(code)
    world.move(code, "catl", "geely")
    world.post(code, "installed", "geely", {"vin": VIN_A})
    state = world.post(code, "removed", "fj-dismantler", {"reason": "scrap"})
    assert (state.status, state.custodian) == ("in_stock", "fj-dismantler")
    state = world.post(code, "retired", "fj-dismantler", {"reason": "vehicle_scrapped", "scrap_certificate": "FJ-1"})
    state = world.move(code, "fj-dismantler", "gem-collect")
    assert (state.status, state.custodian, state.extra["collected_at"]) == (
        "retired",
        "gem-collect",
        state.last_event_at,
    )


def test_reuse_in_another_vehicle_and_remanufacturing(world: World) -> None:
    code = pack_code(7)
    world.produce(code)
    world.move(code, "catl", "fz-service")
    world.post(code, "installed", "fz-service", {"vin": VIN_A})
    world.post(code, "removed", "fz-service", {"reason": "replacement"})
    state = world.post(code, "installed", "fz-service", {"vin": VIN_B})
    assert (state.extra["reused"], eu_status(state)) == (True, "re-used")
    state = world.post(code, "serviced", "fz-service", {"description": "all modules graded", "remanufactured": True})
    assert eu_status(state) == "remanufactured"


def test_flags_are_sorted_and_unique(world: World) -> None:
    code = pack_code(8)
    world.produce(code)
    world.post(code, "recalled", "catl", {"campaign": "R-1", "reason": "BMS"})
    world.post(code, "incident", "catl", {"kind": "fire", "severity": "low", "description": "smoke"})
    state = world.post(code, "recalled", "fj-miit", {"campaign": "R-2", "reason": "cells"})
    assert state.flags == ("incident", "recalled")
    state = world.post(code, "corrected", "catl", {"target": "ab" * 32, "reason": "typo"})
    assert (state.flags, state.status, state.events) == (("corrected", "incident", "recalled"), "produced", 5)


def test_flag_events_may_report_the_past_but_status_changes_may_not(world: World) -> None:
    code = pack_code(9)
    world.produce(code)
    state = world.post(code, "shipped", "catl", {"to": "geely"})
    earlier = world.clock - timedelta(hours=3)
    state = world.post(
        code, "incident", "fj-miit", {"kind": "collision", "severity": "low", "description": "x"}, at=earlier
    )
    assert state.flags == ("incident",)
    assert state.extra["status_since"] == "2026-03-02T03:00:00Z"


def test_leaving_the_country_in_a_vehicle_closes_the_binding(world: World) -> None:
    code = pack_code(10)
    world.produce(code)
    world.move(code, "catl", "geely")
    installed = world.post(code, "installed", "geely", {"vin": VIN_A})
    state = world.post(code, "exported", "geely", {"destination": "TH", "reason": "vehicle exported"})
    assert (state.status, state.binding) == ("exported", None)
    assert state.bindings == (Binding("vin", VIN_A, installed.last_event_at or "", state.last_event_at),)
    assert eu_status(state) == "original"
