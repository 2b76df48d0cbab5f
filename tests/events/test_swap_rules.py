"""Battery swaps (换电) in the domain: one `swapped` per chain, both halves in one batch; the outgoing pack
ends in the operator's stock, the incoming one in the vehicle; whatever is wrong with either half is refused
with its own message, and the batch with it."""

from __future__ import annotations

from typing import Any

import pytest

from events.batch import SWAP_UNPAIRED, batch_end, batch_problems
from events.catalogue import parse_payload
from events.errors import AuthorisationError, InvalidPayload, LifecycleError, PacktraceError
from events.eu_status import eu_status
from events.state import Event
from tests.events.events_world import VIN_A, VIN_B, World, exact, pack_code, starting

A, B, C = pack_code(1), pack_code(2), pack_code(3)


@pytest.fixture
def world() -> World:
    """A in vehicle VIN_A (installed by the swap operator), B and C in the operator's stock."""
    world = World()
    for pack in (A, B, C):
        world.produce(pack)
        world.move(pack, "catl", "nio-power")
    world.post(A, "installed", "nio-power", {"vin": VIN_A})
    return world


def halves(world: World, outgoing: str = A, incoming: str = B, vin: str = VIN_A, actor: str = "nio-power",
           **extra: Any) -> list[Event]:  # fmt: skip
    return [
        world.event(outgoing, "swapped", actor, {"direction": "out", "vin": vin, "partner": incoming, **extra}),
        world.event(incoming, "swapped", actor, {"direction": "in", "vin": vin, "partner": outgoing}),
    ]


def test_a_swap_moves_both_packs(world: World) -> None:
    out, into = world.post_batch(halves(world, site="厦门海沧换电站"))
    assert (out.status, out.custodian, out.binding) == ("in_stock", "nio-power", None)
    assert out.bindings[-1].target == VIN_A and out.bindings[-1].end == out.extra["status_since"]
    assert out.extra["last_removal_reason"] == "swap"
    assert (into.status, into.custodian) == ("in_vehicle", "nio-power")
    assert into.binding is not None and (into.binding.target, into.binding.start) == (VIN_A, into.last_event_at)


def test_a_pack_swapped_into_another_vehicle_is_not_re_used(world: World) -> None:
    world.post_batch(halves(world))
    world.post(C, "installed", "nio-power", {"vin": VIN_B})
    world.post_batch(halves(world, outgoing=C, incoming=A, vin=VIN_B))
    assert eu_status(world.packs[A]) == "original"


def test_a_pack_put_back_after_a_repair_is_re_used(world: World) -> None:
    world.post(A, "removed", "nio-power", {"reason": "repair"})
    world.post(C, "installed", "nio-power", {"vin": VIN_B})
    world.post_batch(halves(world, outgoing=C, incoming=A, vin=VIN_B))
    assert eu_status(world.packs[A]) == "re-used"


def test_one_half_alone_is_refused(world: World) -> None:
    out, into = halves(world)
    (position, error), = batch_problems([out])  # fmt: skip
    assert position == 0 and error.code == SWAP_UNPAIRED
    assert error.message == (
        f"'swapped' out of {A} (position 0) needs, in the same batch, the 'swapped' in of {B} by 'nio-power' for "
        f"vehicle {VIN_A} naming {A} as partner"
    )
    (position, error), = batch_problems([into])  # fmt: skip
    assert error.message == (
        f"'swapped' in of {B} (position 0) needs, in the same batch, the 'swapped' out of {A} by 'nio-power' for "
        f"vehicle {VIN_A} naming {B} as partner"
    )


def test_halves_that_disagree_are_refused(world: World) -> None:
    out, _ = halves(world)
    other_vehicle = world.event(B, "swapped", "nio-power", {"direction": "in", "vin": VIN_B, "partner": A})
    other_partner = world.event(C, "swapped", "nio-power", {"direction": "in", "vin": VIN_A, "partner": A})
    for into in (other_vehicle, other_partner):
        assert [p for p, _ in batch_problems([out, into])] == [0, 1]
    duplicated = batch_problems([out, *halves(world)])
    assert [(p, e.code) for p, e in duplicated] == [(1, SWAP_UNPAIRED)]  # the second `out` has no answer


def test_one_batch_may_swap_a_pack_out_and_into_another_vehicle(world: World) -> None:
    """A busy station's batch: A out of VIN_A (B in) in the morning, A into VIN_B (C out) in the afternoon."""
    world.post(C, "installed", "nio-power", {"vin": VIN_B})
    batch = [*halves(world), *halves(world, outgoing=C, incoming=A, vin=VIN_B)]
    assert batch_problems(batch) == []
    world.post_batch(batch)
    assert [(world.packs[p].status, world.packs[p].binding) for p in (A, C)][1] == ("in_stock", None)
    binding = world.packs[A].binding
    assert binding is not None and binding.target == VIN_B and world.packs[B].status == "in_vehicle"


def test_the_two_halves_are_by_one_operator(world: World) -> None:
    out, into = halves(world)
    someone = Event(into.pack, into.type, into.at, "fz-service", into.data)
    assert [p for p, e in batch_problems([out, someone]) if e.code == SWAP_UNPAIRED] == [0, 1]


def test_the_outgoing_pack_must_be_in_that_vehicle(world: World) -> None:
    with pytest.raises(LifecycleError, match=exact(
        f"pack {A} is in vehicle {VIN_A}, not in {VIN_B}: a swap takes out the pack the vehicle holds"
    )):  # fmt: skip
        world.post_batch(halves(world, vin=VIN_B))
    assert world.packs[B].status == "in_stock"


def test_the_incoming_pack_must_be_the_operators_and_in_stock(world: World) -> None:
    world.post(C, "shipped", "nio-power", {"to": "fz-service"})
    with pytest.raises(LifecycleError, match=starting("pack is in_transit: 'swapped' is not allowed; allowed: ")):
        world.post_batch(halves(world, incoming=C))
    world.post(C, "received", "fz-service", {"from": "nio-power"})
    with pytest.raises(AuthorisationError, match=exact(
        "org 'nio-power' (swap_operator) may not post 'swapped': requires custody and the swap_operator role; "
        "the custodian is 'fz-service'"
    )):  # fmt: skip
        world.post_batch(halves(world, incoming=C))


def test_directions_are_checked_against_the_status(world: World) -> None:
    with pytest.raises(LifecycleError, match=exact(
        "pack is in_stock: 'swapped' 'out' is not allowed; a swap is 'out' when in_vehicle or 'in' when in_stock"
    )):  # fmt: skip
        world.post_batch(halves(world, outgoing=B, incoming=A))


def test_only_a_swap_operator_swaps(world: World) -> None:
    with pytest.raises(AuthorisationError, match=exact(
        "org 'fz-service' (service) may not post 'swapped': requires the swap_operator role"
    )):  # fmt: skip
        world.post_batch(halves(world, actor="fz-service"))


def test_a_pack_is_not_swapped_with_itself(world: World) -> None:
    event = world.event(A, "swapped", "nio-power", {"direction": "out", "vin": VIN_A, "partner": A})
    with pytest.raises(InvalidPayload, match=exact(
        f"invalid 'swapped' payload: data.partner: a pack cannot be swapped with itself ({A})"
    )):  # fmt: skip
        world.post_event(event)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"direction": "sideways", "vin": VIN_A, "partner": B},
         "invalid 'swapped' payload: data.direction: Input should be 'out' or 'in', got 'sideways'"),
        ({"direction": "out", "partner": B}, "invalid 'swapped' payload: data.vin: required"),
        ({"direction": "out", "vin": VIN_A}, "invalid 'swapped' payload: data.partner: required"),
        ({"direction": "out", "vin": VIN_A, "partner": B, "reason": "swap"},
         "invalid 'swapped' payload: data.reason: unknown field"),
    ],
)  # fmt: skip
def test_the_payload_is_checked(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidPayload, match=exact(message)):
        parse_payload("swapped", data)


def test_the_box_code_is_an_optional_member_of_produced() -> None:
    world = World()
    state = world.produce(A, box_code="NIO75KWH2026000123")
    assert state.extra["box_code"] == "NIO75KWH2026000123"
    assert "box_code" not in world.produce(B).extra
    with pytest.raises(InvalidPayload, match=exact(
        "invalid 'produced' payload: data.box_code: String should match pattern '^[0-9A-Z]{8,40}$', got 'nio-75'"
    )):  # fmt: skip
        world.produce(C, box_code="nio-75")


def test_the_old_way_still_works(world: World) -> None:
    """`removed` with reason `swap` and a separate `installed`: old records replay as before."""
    world.post(A, "removed", "nio-power", {"reason": "swap"})
    state = world.post(A, "installed", "nio-power", {"vin": VIN_B})
    assert state.status == "in_vehicle" and eu_status(state) == "original"


def test_a_refused_half_leaves_both_packs_as_they_were(world: World) -> None:
    """The outgoing half is legal, the incoming one is not (C is not the operator's): neither is recorded."""
    world.move(C, "nio-power", "fz-service")
    before, entries = dict(world.packs), len(world.log)
    with pytest.raises(PacktraceError):
        world.post_batch(halves(world, incoming=C))
    assert world.packs == before and len(world.log) == entries


def test_a_batch_ends_where_it_parts_nothing_that_travels_together() -> None:
    def claim(pack: str, type_: str, **data: Any) -> dict[str, Any]:
        return {"pack": pack, "type": type_, "data": data}

    swap = [claim(A, "swapped", direction="out", vin=VIN_A, partner=B),
            claim(B, "swapped", direction="in", vin=VIN_A, partner=A)]  # fmt: skip
    product = "S2L" + A[3:]
    repurposing = [claim(A, "repurposed", into=product), claim(B, "repurposed", into=product),
                   claim(product, "produced", **{"from": [A, B]})]  # fmt: skip
    other = claim(C, "serviced", description="checked")
    claims = [other, *swap, other, *repurposing, other]
    assert batch_end(claims, 0, 1, 10_000) == 1
    assert batch_end(claims, 1, 1, 10_000) == 3  # both halves
    assert batch_end(claims, 4, 1, 10_000) == 7  # both originals and the product
    assert batch_end(claims, 4, 1, 2) == 6  # never beyond the limit: the server then names the lone item
    assert batch_end(claims, 7, 5, 10_000) == 8
