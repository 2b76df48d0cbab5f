"""Random legal lives: whatever next_actions offers, apply accepts; replay is deterministic; every state
survives to_dict → JSON → from_dict; the state's own invariants hold all along."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.codes import make_code, parse_code
from events.components import OpenLink, fold
from events.eu_status import EU_STATUSES, eu_status
from events.orgs import Org
from events.permissions import permission_denial
from events.rules import next_actions, replay
from events.state import PackState
from tests.events.events_world import (
    MAKER_CODES,
    ORGS,
    RECYCLED_DATA,
    VIN_A,
    VIN_B,
    World,
    genesis_data,
    module_code,
    pack_code,
    produced_data,
    second_life_code,
)

ORG_IDS = sorted(ORGS)
USERS = {"geely", "byd", "nio-power", "fz-service", "s2l-energy"}
TREATERS = {"s2l-energy", "brunp", "gem-collect", "fj-dismantler"}
DETOURS = {"corrected", "recalled", "incident", "serviced", "inspected", "lost", "exported", "transferred"}
DETOURS |= {"ownership_transferred", "leased", "lease_ended"}  # 车电分离: never move the pack
DETOURS |= {"passport"}  # the battery passport's claim: never moves the pack


def payload_for(action: str, actor: Org, state: PackState, data: st.DataObject, world: World) -> dict[str, Any]:
    draw = data.draw
    match action:
        case "shipped":  # mostly to someone who can take the pack further
            likely = TREATERS if "retired_at" in state.extra else USERS
            to = [o for o in ORG_IDS for _ in range(4 if o in likely else 1) if o != actor.id]
            return {"to": draw(st.sampled_from(to))}
        case "received":
            return {"from": state.sender}
        case "installed":
            code = parse_code(state.code)
            if permission_denial("installed", actor, state, code, install_target="vin") is None:
                return {"vin": draw(st.sampled_from([VIN_A, VIN_B]))}
            return {"site": draw(st.sampled_from(["厦门储能站 1", "福州储能站 2"]))}
        case "removed":
            return {"reason": draw(st.sampled_from(["repair", "replacement", "swap", "retirement", "scrap"]))}
        case "serviced":
            return {"description": "checked", "remanufactured": draw(st.booleans())}
        case "retired":
            return {"reason": draw(st.sampled_from(["end_of_life", "vehicle_scrapped", "damaged", "recall", "other"]))}
        case "inspected":
            return {
                "soh_pct": draw(st.floats(0, 100)),
                "verdict": draw(st.sampled_from(["reuse", "repurpose", "recycle"])),
            }
        case "dismantled":
            return {
                "outputs": draw(st.sampled_from([[], [{"kind": "material", "name": "black mass", "mass_kg": 120.0}]]))
            }
        case "recycled":
            return RECYCLED_DATA
        case "incident":
            return {"kind": "fire", "severity": draw(st.sampled_from(["low", "critical"])), "description": "smoke"}
        case "recalled":
            return {"campaign": "R-1", "reason": "BMS"}
        case "corrected":
            return {"target": "ab" * 32, "reason": "typo"}
        case "lost":
            return {"reason": "missing"}
        case "exported":
            return {"destination": "DE"}
        case "transferred":  # to another platform (docs/federation.md)
            return {"platform": "packtrace.hb.example/log", "to": "hb-recycler"}
        case "found":
            return {"custodian": draw(st.sampled_from(ORG_IDS)), "note": "found"}
        case "ownership_transferred":  # mostly to the lessor, so that leases follow
            owners = [o for o in ("baas-lease", "baas-lease", "geely", "dealer-fz", "nio-power") if o != actor.id]
            return {"to": draw(st.sampled_from(owners)), "reference": "合同 2026-001"}
        case "leased":
            where = draw(st.sampled_from([{"vin": VIN_A}, {"site": "厦门储能站 1"}, {}]))
            return {"lessee": draw(st.sampled_from(["nio-power", "geely"])), "until": "2031-12-31"} | where
        case "lease_ended":
            return {"reason": draw(st.sampled_from(["expired", "terminated", "bought_out", "retired", "other"]))}
        case "passport":  # the maker's warranty, or the custodian's measured state of charge
            if actor.id == state.manufacturer:
                return {"attributes": {"characteristics": {"warranty": {"lifeValue": draw(st.integers(1, 15))}}}}
            return {"attributes": {"performance": {"dynamic": {"selfDischargingRate": draw(st.floats(0, 10))}}}}
    raise AssertionError(f"no payload for {action}")


def swap_partner(world: World, state: PackState, operator: str, serial: int) -> tuple[str, str, str, str]:
    """A pack to swap `state`'s pack with, made ready: one in the operator's stock for an outgoing pack, one
    in a vehicle for an incoming pack. (outgoing code, incoming code, vin, partner code)"""
    partner = pack_code(serial)
    world.produce(partner)
    world.move(partner, "catl", operator)
    if state.status == "in_vehicle":
        assert state.binding is not None
        return state.code, partner, state.binding.target, partner
    world.post(partner, "installed", operator, {"vin": VIN_B})
    return partner, state.code, VIN_B, partner


def swap_events(world: World, operator: str, outgoing: str, incoming: str, vin: str) -> list[Any]:
    return [
        world.event(outgoing, "swapped", operator, {"direction": "out", "vin": vin, "partner": incoming}),
        world.event(incoming, "swapped", operator, {"direction": "in", "vin": vin, "partner": outgoing}),
    ]


def cell_code(serial: int) -> str:
    return make_code("0RJ", "cell", "B", "A0", "0HAU0AA", date(2026, 3, 1), serial)


def check_links(world: World, pack: str, modules: list[str]) -> None:
    """Folding the log's entries into links (events.components) leaves the pack holding the modules its
    claims put in it, each child in one parent, and the cell in its module while the module is in the pack."""
    links: dict[str, OpenLink] = {}
    for idx, event in enumerate(world.log):
        stamp = event.at.isoformat()
        folded = fold(event.pack, event.type, event.data, idx, stamp, links)
        for end in folded.closed:
            assert links.pop(end.child).parent == end.parent
        for link in folded.opened:
            assert link.child not in links
            links[link.child] = link
    assert sorted(c for c, link in links.items() if link.parent == pack and link.kind == "module") == sorted(modules)
    assert links[cell_code(1)].parent == module_code(1)


def check_invariants(state: PackState) -> None:
    assert (state.binding is not None) == (state.status in ("in_vehicle", "in_storage_system"))
    assert all(b.end is not None for b in state.bindings[:-1])
    assert (state.receiver is not None) == (state.status == "in_transit") == (state.sender is not None)
    assert list(state.flags) == sorted(set(state.flags))
    assert eu_status(state) in EU_STATUSES
    assert state.owner in ORGS and (state.lease is None or state.lease["lessor"] == state.owner)
    stored = json.loads(json.dumps(state.to_dict()))  # what the ledger keeps as the projection
    assert stored == state.to_dict()
    assert PackState.from_dict(stored) == state


@pytest.mark.fuzz
@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_legal_lives(data: st.DataObject) -> None:
    world = World()
    maker = data.draw(st.sampled_from(sorted(MAKER_CODES)), label="maker")  # an importer too
    current = pack_code(1, maker=MAKER_CODES[maker])
    modules = [module_code(1), module_code(2)]  # the pack's modules, as the claims put them (docs/modules.md)
    genesis = genesis_data(maker, modules=modules, cells=[cell_code(1)], module_cells={modules[0]: [cell_code(1)]})
    seen = [world.post(current, "produced", maker, genesis)]
    second_life_serial, partner_serial, spares = 0, 1000, 100
    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        state = world.packs[current]
        offers = {org_id: next_actions(state, ORGS[org_id]) for org_id in ORG_IDS}
        actions = sorted({action for offered in offers.values() for action in offered})
        if not actions:
            break
        # moving the pack on is likelier than flags and detours, so lives get long and varied
        weighted = [a for a in actions for _ in range(1 if a in DETOURS else 5)]
        action = data.draw(st.sampled_from(weighted), label="action")
        org_id = data.draw(st.sampled_from([o for o in ORG_IDS if action in offers[o]]), label="actor")
        if action == "repurposed":  # into one product, or one-to-many into two or three
            products = [second_life_code(second_life_serial + n) for n in range(1, data.draw(st.integers(1, 3)) + 1)]
            second_life_serial += len(products)
            into: str | list[str] = products[0] if len(products) == 1 else products
            world.post_batch([
                world.event(current, "repurposed", org_id, {"into": into}),
                *(world.event(p, "produced", org_id, produced_data(**{"from": [current]})) for p in products),
            ])  # fmt: skip
            assert world.packs[current].successors == tuple(products)
            seen += [world.packs[current], *(world.packs[p] for p in products)]
            current = products[-1]
            continue
        if action == "swapped":  # both halves in one batch, with a partner made ready for it
            partner_serial += 1
            outgoing, incoming, vin, partner = swap_partner(world, state, org_id, partner_serial)
            world.post_batch(swap_events(world, org_id, outgoing, incoming, vin))
            seen += [world.packs[current], world.packs[partner]]
            continue
        if action == "lotted":  # into a lot of the recycler's own, opened for it; the lot reports or not
            lot = f"lot:{org_id}:L{len(world.log)}"
            seen.append(world.post(lot, "lot_opened", org_id, {}))
            seen.append(world.post(current, "lotted", org_id, {"lot": lot}))
            if data.draw(st.booleans(), label="lot recovered"):
                report = {"packs": [current], "content_kg": {"Ni": 30.0}, "recovered_kg": {"Ni": 29.5}}
                seen.append(world.post(lot, "lot_recovered", org_id, report))
            continue
        payload = payload_for(action, ORGS[org_id], state, data, world)
        if action == "serviced" and current == pack_code(1, maker=MAKER_CODES[maker]) and data.draw(st.booleans()):
            spares += 1  # a module replacement: the first module out, a new spare in
            payload |= {"replaced_modules": [{"old": modules[0], "new": module_code(spares)}]}
            modules = [*modules[1:], module_code(spares)]
        seen.append(world.post(current, action, org_id, payload))

    for state in seen:
        check_invariants(state)
    for state in world.packs.values():
        assert state.events == sum(event.pack == state.code for event in world.log)
    first, second = replay(world.log, World()), replay(list(world.log), World())
    assert first == second == world.packs
    check_links(world, pack_code(1, maker=MAKER_CODES[maker]), modules)
    assert [s.to_dict() for s in first.values()] == [s.to_dict() for s in world.packs.values()]
