"""Ownership and leases (车电分离) in the domain: the producer owns a pack from genesis; only the owner
transfers it or, as a lessor, leases it out; the lessor stays the owner throughout the lease while custody
moves with installs and swaps; every refusal says why."""

from __future__ import annotations

import pytest

from events.errors import AuthorisationError, InvalidPayload, LifecycleError
from events.rules import next_actions
from events.state import PackState
from tests.events.events_world import ORGS, VIN_A, VIN_B, World, exact, pack_code

A, B = pack_code(1), pack_code(2)


@pytest.fixture
def world() -> World:
    """A made by catl and sold to the lessor baas-lease, then shipped by catl to the swap operator."""
    world = World()
    world.produce(A)
    world.post(A, "ownership_transferred", "catl", {"to": "baas-lease", "reference": "转让合同 2026-017"})
    world.move(A, "catl", "nio-power")
    return world


def test_the_producer_owns_a_pack_from_genesis() -> None:
    world = World()
    state = world.produce(A)
    assert (state.owner, state.custodian, state.lease) == ("catl", "catl", None)
    assert "owner" not in state.extra  # the default is the producer; only a transfer writes it


def test_a_transfer_changes_the_owner_not_the_custodian_nor_the_status(world: World) -> None:
    state = world.packs[A]
    assert (state.owner, state.custodian, state.status) == ("baas-lease", "nio-power", "in_stock")
    assert state.extra["owner"] == "baas-lease"


def test_custody_moves_never_change_the_owner(world: World) -> None:
    world.post(A, "installed", "nio-power", {"vin": VIN_A})
    world.produce(B)
    world.move(B, "catl", "nio-power")
    world.post_batch([
        world.event(A, "swapped", "nio-power", {"direction": "out", "vin": VIN_A, "partner": B}),
        world.event(B, "swapped", "nio-power", {"direction": "in", "vin": VIN_A, "partner": A}),
    ])  # fmt: skip
    world.post(A, "shipped", "nio-power", {"to": "fz-service"})
    state = world.post(A, "received", "fz-service", {"from": "nio-power"})
    assert (state.owner, state.custodian) == ("baas-lease", "fz-service")
    assert (world.packs[B].owner, world.packs[B].custodian) == ("catl", "nio-power")


def test_a_lease_keeps_the_lessor_owner_while_custodians_change(world: World) -> None:
    world.post(A, "installed", "nio-power", {"vin": VIN_A})
    leased = world.post(A, "leased", "baas-lease", {"lessee": "nio-power", "vin": VIN_A, "until": "2031-12-31"})
    assert leased.lease == {
        "lessor": "baas-lease", "lessee": "nio-power", "since": "2026-03-02T07:00:00Z", "vin": VIN_A,
        "until": "2031-12-31",
    }  # fmt: skip
    assert (leased.owner, leased.custodian, leased.status) == ("baas-lease", "nio-power", "in_vehicle")
    world.post(A, "removed", "fz-service", {"reason": "repair"})
    state = world.post(A, "installed", "fz-service", {"vin": VIN_B})
    assert (state.owner, state.custodian, state.lease) == ("baas-lease", "fz-service", leased.lease)
    ended = world.post(A, "lease_ended", "baas-lease", {"reason": "expired"})
    assert (ended.owner, ended.custodian, ended.lease, ended.status) == ("baas-lease", "fz-service", None, "in_vehicle")
    assert "lease" not in ended.extra


def test_only_the_owner_transfers(world: World) -> None:
    with pytest.raises(AuthorisationError, match=exact(
        "org 'catl' (manufacturer) may not post 'ownership_transferred': requires being the pack's owner "
        "('baas-lease')"
    )):  # fmt: skip
        world.post(A, "ownership_transferred", "catl", {"to": "geely"})
    with pytest.raises(AuthorisationError, match=exact(
        "org 'nio-power' (swap_operator) may not post 'ownership_transferred': requires being the pack's owner "
        "('baas-lease')"
    )):  # fmt: skip
        world.post(A, "ownership_transferred", "nio-power", {"to": "nio-power"})


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("nobody", "invalid 'ownership_transferred' payload: data.to: unknown organisation 'nobody'"),
        ("baas-lease", "invalid 'ownership_transferred' payload: data.to: 'baas-lease' already owns this pack"),
        ("gem-collect", "invalid 'ownership_transferred' payload: data.to: org 'gem-collect' (collector) may not "
         "own a pack; an owner has one of the roles automaker, dealer, importer, lessor, manufacturer, second_life, "
         "swap_operator"),
        ("fj-miit", "invalid 'ownership_transferred' payload: data.to: org 'fj-miit' (regulator) may not own a "
         "pack; an owner has one of the roles automaker, dealer, importer, lessor, manufacturer, second_life, "
         "swap_operator"),
    ],
)  # fmt: skip
def test_the_new_owner_must_be_one_who_may_own(world: World, to: str, message: str) -> None:
    with pytest.raises(InvalidPayload, match=exact(message)):
        world.post(A, "ownership_transferred", "baas-lease", {"to": to})
    assert world.packs[A].owner == "baas-lease"


def test_no_transfer_during_a_lease(world: World) -> None:
    world.post(A, "leased", "baas-lease", {"lessee": "nio-power"})
    with pytest.raises(LifecycleError, match=exact(
        f"pack {A} is leased to 'nio-power': the lessor stays the owner throughout a lease; end the lease first"
    )):  # fmt: skip
        world.post(A, "ownership_transferred", "baas-lease", {"to": "geely"})
    world.post(A, "lease_ended", "baas-lease", {"reason": "bought_out"})
    assert world.post(A, "ownership_transferred", "baas-lease", {"to": "nio-power"}).owner == "nio-power"


def test_only_an_owner_that_is_a_lessor_leases() -> None:
    world = World()
    world.produce(A)
    with pytest.raises(AuthorisationError, match=exact(
        "org 'catl' (manufacturer) may not post 'leased': requires the lessor role and being the pack's owner ('catl')"
    )):  # fmt: skip
        world.post(A, "leased", "catl", {"lessee": "geely"})


def test_only_the_owner_ends_a_lease(world: World) -> None:
    world.post(A, "leased", "baas-lease", {"lessee": "nio-power"})
    with pytest.raises(AuthorisationError, match=exact(
        "org 'nio-power' (swap_operator) may not post 'lease_ended': requires being the pack's owner ('baas-lease')"
    )):  # fmt: skip
        world.post(A, "lease_ended", "nio-power", {"reason": "terminated"})


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ({"lessee": "nobody"}, InvalidPayload, "invalid 'leased' payload: data.lessee: unknown organisation 'nobody'"),
        ({"lessee": "baas-lease"}, InvalidPayload,
         "invalid 'leased' payload: data.lessee: 'baas-lease' cannot lease to itself"),
        ({"lessee": "nio-power", "vin": VIN_A, "site": "厦门储能站 1"}, InvalidPayload,
         "invalid 'leased' payload: a lease is for a vehicle (vin) or a site, not both"),
    ],
)  # fmt: skip
def test_a_lease_names_a_lessee_and_at_most_one_place(
    world: World, data: dict[str, str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=exact(message)):
        world.post(A, "leased", "baas-lease", data)
    assert world.packs[A].lease is None


def test_one_lease_at_a_time_and_none_to_end_without_one(world: World) -> None:
    with pytest.raises(LifecycleError, match=exact(f"pack {A} is not leased: there is no lease to end")):
        world.post(A, "lease_ended", "baas-lease", {"reason": "expired"})
    world.post(A, "leased", "baas-lease", {"lessee": "nio-power"})
    with pytest.raises(LifecycleError, match=exact(
        f"pack {A} is already leased to 'nio-power' since 2026-03-02T07:00:00Z: end that lease first"
    )):  # fmt: skip
        world.post(A, "leased", "baas-lease", {"lessee": "geely"})


def test_next_actions_offer_what_the_lease_allows(world: World) -> None:
    assert next_actions(world.packs[A], ORGS["baas-lease"]) == ["leased", "ownership_transferred"]
    state = world.post(A, "leased", "baas-lease", {"lessee": "nio-power"})
    assert next_actions(state, ORGS["baas-lease"]) == ["corrected", "lease_ended"]  # an author now


def test_a_dismantled_pack_is_owned_no_more_by_transfer() -> None:
    world = World()
    world.produce(A)
    world.post(A, "retired", "catl", {"reason": "end_of_life"})
    world.post(A, "shipped", "catl", {"to": "brunp"})
    world.post(A, "received", "brunp", {"from": "catl"})
    world.post(A, "dismantled", "brunp", {"outputs": []})
    with pytest.raises(LifecycleError, match=exact(
        "pack is dismantled: 'ownership_transferred' is not allowed; allowed: corrected, lotted, recycled"
    )):  # fmt: skip
        world.post(A, "ownership_transferred", "catl", {"to": "geely"})


def test_the_owner_and_lease_survive_the_projection_round_trip(world: World) -> None:
    state = world.post(A, "leased", "baas-lease", {"lessee": "nio-power", "site": "厦门储能站 1"})
    assert PackState.from_dict(state.to_dict()) == state
    assert PackState.from_dict(state.to_dict()).lease == state.lease
