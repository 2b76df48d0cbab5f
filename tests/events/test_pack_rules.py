"""rules.apply's refusals, check_batch, next_actions and replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from events.batch import batch_problems
from events.catalogue import EventType
from events.effects import EFFECTS
from events.errors import (
    AuthorisationError,
    InputError,
    InvalidCode,
    InvalidPayload,
    LifecycleError,
    NotFoundError,
)
from events.rules import apply, check_batch, next_actions, replay
from events.state import Event
from tests.events.events_world import (
    NOW,
    ORGS,
    VIN_A,
    World,
    exact,
    pack_code,
    produced_data,
    second_life_code,
    starting,
)


def test_unknown_pack(world: World) -> None:
    with pytest.raises(NotFoundError, match=exact(f"unknown pack {pack_code(1)}")):
        world.post(pack_code(1), "shipped", "catl", {"to": "byd"})


def test_produced_only_once(world: World) -> None:
    world.produce(pack_code(1))
    with pytest.raises(LifecycleError) as caught:
        world.produce(pack_code(1))
    assert caught.value.message == (
        f"pack {pack_code(1)} already exists (it is produced); 'produced' is only its first event"
    )


def test_the_code_is_parsed_strictly(world: World) -> None:
    with pytest.raises(InvalidCode) as caught:
        world.produce("0RJPEA00HAU0AAF101001955")
    assert caught.value.field == "day"


def test_unknown_event_type(world: World) -> None:
    world.produce(pack_code(1))
    with pytest.raises(
        InvalidPayload, match=starting("unknown event type 'teleported'; event types are: arrived, corrected,")
    ):
        world.post(pack_code(1), "teleported", "catl")


def test_future_events_beyond_the_clock_skew_are_refused(world: World) -> None:
    world.produce(pack_code(1))
    world.post(pack_code(1), "serviced", "catl", {"description": "ok"}, at=NOW + timedelta(minutes=5))
    with pytest.raises(InvalidPayload) as caught:
        world.post(pack_code(1), "serviced", "catl", {"description": "x"}, at=NOW + timedelta(minutes=5, seconds=1))
    assert caught.value.message == (
        "event time 2026-11-20T08:35:01Z is in the future: later than the recording time 2026-11-20T08:30:00Z "
        "plus 5 minutes of clock skew"
    )


def test_event_times_need_a_time_zone(world: World) -> None:
    with pytest.raises(
        InvalidPayload, match=exact("event time 2026-03-02T10:00:00 has no time zone; use UTC with 'Z'")
    ):
        world.post(pack_code(1), "produced", "catl", produced_data(), at=datetime(2026, 3, 2, 10))


def test_unknown_actor(world: World) -> None:
    with pytest.raises(AuthorisationError, match=exact("unknown organisation 'ghost'")):
        world.post(pack_code(1), "produced", "ghost", produced_data())


def test_the_context_must_give_orgs() -> None:
    class Odd(World):
        def org(self, org_id: str) -> object:  # type: ignore[override]
            return {"id": org_id}

    with pytest.raises(TypeError, match=exact("Context.org('catl') returned dict, not events.orgs.Org")):
        Odd().produce(pack_code(1))


def test_permission_is_checked_before_the_lifecycle(world: World) -> None:
    world.produce(pack_code(1))
    with pytest.raises(AuthorisationError) as caught:
        world.post(pack_code(1), "dismantled", "brunp", {"outputs": []})
    assert caught.value.message == (
        "org 'brunp' (recycler) may not post 'dismantled': requires custody and the recycler role (whitelisted "
        "under 规范条件), or custody and the vehicle_dismantler role; the custodian is 'catl'"
    )
    with pytest.raises(LifecycleError) as refused:
        world.post(pack_code(1), "removed", "catl", {"reason": "repair"})
    assert refused.value.message == (
        "pack is produced: 'removed' is not allowed; allowed: corrected, exported, incident, installed, "
        "lease_ended, leased, lost, ownership_transferred, passport, recalled, retired, serviced, shipped, "
        "transferred"
    )


def test_the_chemistry_must_agree_with_a_confirmed_letter(world: World) -> None:
    with pytest.raises(InvalidPayload) as caught:
        world.produce(pack_code(1, chemistry="B"), chemistry="NCM")
    assert caught.value.message == (
        "invalid 'produced' payload: data.chemistry: 'NCM' contradicts the code's chemistry letter 'B' "
        "(LFP (lithium iron phosphate))"
    )
    assert world.produce(pack_code(2, chemistry="E"), chemistry="NCA").chemistry == "NCA"
    assert world.produce(pack_code(3, chemistry="A"), chemistry="NiMH").chemistry == "NiMH"  # A is unconfirmed


def test_a_pack_cannot_be_produced_before_its_code_date(world: World) -> None:
    code = pack_code(1, made=date(2026, 3, 10))
    with pytest.raises(InvalidPayload) as caught:
        world.produce(code)
    assert caught.value.message == (
        f"battery code {code} says it was made on 2026-03-10, after this 'produced' event (2026-03-02, China time)"
    )
    # 16:30 UTC on the 9th is already the 10th in China
    state = world.post(
        code, "produced", "catl", produced_data(), at=datetime.fromisoformat("2026-03-09T16:30:00+00:00")
    )
    assert state.status == "produced"


def test_only_second_life_codes_have_origins(world: World) -> None:
    with pytest.raises(InvalidPayload) as caught:
        world.produce(pack_code(1), **{"from": [pack_code(2)]})
    assert caught.value.message == (
        f"invalid 'produced' payload: data.from: {pack_code(1)} is not a second-life code; "
        "only a second-life code has original codes"
    )
    with pytest.raises(InvalidPayload) as missing:
        world.produce(second_life_code(1), maker="s2l-energy")
    assert missing.value.message == (
        f"invalid 'produced' payload: data.from: second-life code {second_life_code(1)} needs its original codes"
    )


def _retired_at_s2l(world: World, code: str) -> None:
    world.produce(code)
    world.post(code, "retired", "catl", {"reason": "damaged"})
    world.move(code, "catl", "s2l-energy")


def test_a_second_life_product_needs_its_originals_repurposed_into_it(world: World) -> None:
    new, original = second_life_code(1), pack_code(1)

    def produce_new() -> None:
        world.produce(new, maker="s2l-energy", **{"from": [original]})

    with pytest.raises(NotFoundError, match=exact(f"unknown pack {original} (listed in 'from' of {new})")):
        produce_new()
    _retired_at_s2l(world, original)
    with pytest.raises(LifecycleError, match=exact(f"original {original} is retired, not repurposed into {new}")):
        produce_new()
    world.packs[original] = world.packs[original].evolve(status="repurposed", successor=second_life_code(2))
    with pytest.raises(
        LifecycleError, match=exact(f"original {original} was repurposed into {second_life_code(2)}, not into {new}")
    ):
        produce_new()
    world.packs[original] = world.packs[original].evolve(successor=new, custodian="gem-collect")
    with pytest.raises(AuthorisationError) as caught:
        produce_new()
    assert caught.value.message == (
        f"org 's2l-energy' (second_life) may not produce {new} from {original}: the original is held by 'gem-collect'"
    )
    world.packs[original] = world.packs[original].evolve(custodian="s2l-energy")
    produce_new()


def test_repurposing_needs_a_fresh_code(world: World) -> None:
    _retired_at_s2l(world, pack_code(1))
    world.packs[second_life_code(1)] = replace(world.packs[pack_code(1)], code=second_life_code(1))
    with pytest.raises(LifecycleError) as caught:
        world.post(pack_code(1), "repurposed", "s2l-energy", {"into": second_life_code(1)})
    assert caught.value.message == (
        f"second-life code {second_life_code(1)} already exists; {pack_code(1)} cannot be repurposed into it"
    )
    world.packs[second_life_code(1)] = world.packs[second_life_code(1)].evolve(status="retired", custodian="s2l-energy")
    with pytest.raises(
        InvalidPayload,
        match=starting("invalid 'repurposed' payload: data.into: a pack cannot be repurposed into itself"),
    ):
        world.post(second_life_code(1), "repurposed", "s2l-energy", {"into": second_life_code(1)})


def test_shipping_names_a_known_other_org(world: World) -> None:
    world.produce(pack_code(1))
    with pytest.raises(
        InvalidPayload, match=exact("invalid 'shipped' payload: data.to: unknown organisation 'nobody'")
    ):
        world.post(pack_code(1), "shipped", "catl", {"to": "nobody"})
    with pytest.raises(InvalidPayload, match=exact("invalid 'shipped' payload: data.to: 'catl' cannot ship to itself")):
        world.post(pack_code(1), "shipped", "catl", {"to": "catl"})


def test_only_the_named_receiver_receives_from_the_sender(world: World) -> None:
    world.produce(pack_code(1))
    world.post(pack_code(1), "shipped", "catl", {"to": "geely"})
    with pytest.raises(AuthorisationError) as caught:
        world.post(pack_code(1), "received", "byd", {"from": "catl"})
    assert caught.value.message == (
        "org 'byd' (automaker, manufacturer) may not post 'received': requires being the receiver named in "
        "'shipped.to' ('geely')"
    )
    with pytest.raises(InvalidPayload) as wrong:
        world.post(pack_code(1), "received", "geely", {"from": "byd"})
    assert wrong.value.message == "invalid 'received' payload: data.from: 'byd' did not ship this pack; 'catl' did"


def test_found_names_a_known_custodian(world: World) -> None:
    world.produce(pack_code(1))
    world.post(pack_code(1), "lost", "catl", {"reason": "fire at the depot"})
    with pytest.raises(
        InvalidPayload, match=exact("invalid 'found' payload: data.custodian: unknown organisation 'nobody'")
    ):
        world.post(pack_code(1), "found", "fj-miit", {"custodian": "nobody", "note": "x"})


def test_status_changes_keep_time_order(world: World) -> None:
    world.produce(pack_code(1))
    world.post(pack_code(1), "shipped", "catl", {"to": "geely"})
    with pytest.raises(InvalidPayload) as caught:
        world.post(pack_code(1), "received", "geely", {"from": "catl"}, at=world.clock - timedelta(seconds=1))
    assert caught.value.message == (
        "event time 2026-03-02T02:59:59Z is before 2026-03-02T03:00:00Z, when the pack became in_transit; "
        "an event that changes the status or the custody cannot predate the last one that did; "
        "only corrected, incident, inspected, lease_ended, leased, ownership_transferred, passport, recalled, serviced "
        "may be reported for an earlier moment"
    )
    assert caught.value.code == "at_out_of_order"
    world.post(pack_code(1), "received", "geely", {"from": "catl"}, at=world.clock)  # same instant is fine


def test_the_state_must_belong_to_the_event(world: World) -> None:
    state = world.produce(pack_code(1))
    event = world.event(pack_code(2), "serviced", "catl", {"description": "x"})
    with pytest.raises(
        InputError, match=exact(f"an event for {pack_code(2)} cannot be applied to the state of {pack_code(1)}")
    ):
        apply(state, event, world)


def _repurpose_batch(world: World, originals: list[str], product: str) -> list[Event]:
    return [world.event(code, "repurposed", "s2l-energy", {"into": product}) for code in originals] + [
        world.event(product, "produced", "s2l-energy", produced_data(**{"from": originals}))
    ]


def test_check_batch_accepts_a_complete_repurposing() -> None:
    world = World()
    batch = _repurpose_batch(world, [pack_code(1), pack_code(2)], second_life_code(1))
    check_batch(batch)
    check_batch([world.event(pack_code(3), "shipped", "catl", {"to": "byd"}), *batch])  # others are ignored
    check_batch([])


def test_check_batch_needs_the_produced_of_the_new_code() -> None:
    world = World()
    batch = _repurpose_batch(world, [pack_code(1)], second_life_code(1))
    with pytest.raises(LifecycleError) as caught:
        check_batch(batch[:1])
    assert caught.value.message == (
        f"'repurposed' of {pack_code(1)} into {second_life_code(1)} (position 0) needs, in the same batch, "
        f"the 'produced' of {second_life_code(1)} listing {pack_code(1)} in 'from'"
    )


def test_check_batch_needs_every_original_repurposed_first() -> None:
    world = World()
    batch = _repurpose_batch(world, [pack_code(1), pack_code(2)], second_life_code(1))
    with pytest.raises(LifecycleError) as missing:
        check_batch([batch[0], batch[2]])
    assert missing.value.message == (
        f"'produced' of {second_life_code(1)} (position 1) lists {pack_code(2)} in 'from', "
        f"but the batch has no 'repurposed' of {pack_code(2)} into {second_life_code(1)}"
    )
    with pytest.raises(LifecycleError) as order:
        check_batch([batch[2], batch[0], batch[1]])
    assert order.value.message == (
        f"'produced' of {second_life_code(1)} (position 0) comes before the 'repurposed' of its original "
        f"{pack_code(1)} (position 1); the originals must be repurposed first"
    )


def test_check_batch_refuses_one_original_twice_and_mismatched_targets() -> None:
    world = World()
    batch = _repurpose_batch(world, [pack_code(1)], second_life_code(1))
    with pytest.raises(InputError, match=exact(f"the batch repurposes {pack_code(1)} twice (positions 0, 1)")):
        check_batch([batch[0], batch[0], batch[1]])
    elsewhere = world.event(pack_code(1), "repurposed", "s2l-energy", {"into": second_life_code(2)})
    with pytest.raises(LifecycleError, match=starting(f"'repurposed' of {pack_code(1)} into {second_life_code(2)}")):
        check_batch([elsewhere, batch[1]])
    # a malformed payload is left to apply, which refuses that item with its own message
    check_batch([world.event(pack_code(1), "repurposed", "s2l-energy", {})])
    check_batch([world.event(pack_code(1), "produced", "catl", produced_data(mass_kg=-1))])


def test_batch_problems_blame_each_item_at_fault() -> None:
    world = World()
    lonely = world.event(pack_code(1), "repurposed", "s2l-energy", {"into": second_life_code(1)})
    early = world.event(second_life_code(2), "produced", "s2l-energy", produced_data(**{"from": [pack_code(2)]}))
    late = world.event(pack_code(2), "repurposed", "s2l-energy", {"into": second_life_code(2)})
    fine = world.event(pack_code(3), "shipped", "catl", {"to": "byd"})
    problems = batch_problems([fine, lonely, early, late])
    assert [(position, type(error).__name__) for position, error in problems] == [
        (1, "LifecycleError"), (2, "LifecycleError"),
    ]  # fmt: skip
    assert problems[1][1].message.startswith(f"'produced' of {second_life_code(2)} (position 2) comes before")


def test_next_actions_depend_on_role_and_custody(world: World) -> None:
    world.produce(pack_code(1))
    state = world.post(pack_code(1), "shipped", "catl", {"to": "geely"})
    assert next_actions(state, ORGS["geely"]) == ["received"]
    assert next_actions(state, ORGS["catl"]) == [  # an author, and the owner
        "corrected", "incident", "lost", "ownership_transferred", "passport", "recalled"
    ]  # fmt: skip
    assert next_actions(state, ORGS["byd"]) == []
    assert next_actions(state, ORGS["fj-miit"]) == ["corrected", "incident", "lost", "recalled"]
    state = world.post(pack_code(1), "received", "geely", {"from": "catl"})
    assert next_actions(state, ORGS["geely"]) == [
        "corrected", "exported", "incident", "installed", "lost", "passport", "retired", "serviced", "shipped",
        "transferred",
    ]  # fmt: skip
    state = world.post(pack_code(1), "installed", "geely", {"vin": VIN_A})
    assert next_actions(state, ORGS["nio-power"]) == ["removed", "swapped"]
    assert next_actions(state, ORGS["platform"]) == []


def test_next_actions_offer_site_installation_to_a_second_life_custodian(world: World) -> None:
    world.produce(pack_code(1))
    state = world.move(pack_code(1), "catl", "s2l-energy")
    assert "installed" in next_actions(state, ORGS["s2l-energy"])
    assert "installed" not in next_actions(world.move(pack_code(1), "s2l-energy", "gem-collect"), ORGS["gem-collect"])


def test_replay_rebuilds_what_was_posted(world: World) -> None:
    for serial in (1, 2):
        world.produce(pack_code(serial))
        world.post(pack_code(serial), "retired", "catl", {"reason": "damaged"})
        world.move(pack_code(serial), "catl", "s2l-energy")
    world.post_batch(_repurpose_batch(world, [pack_code(1), pack_code(2)], second_life_code(1)))
    assert replay(world.log, World()) == world.packs
    assert replay([], World()) == {}
    # a context that already holds the final states (as a ledger's does) does not confuse the replay
    assert replay(iter(world.log), world) == world.packs


def test_replay_takes_packs_it_does_not_replay_from_the_context(world: World) -> None:
    _retired_at_s2l(world, pack_code(1))
    world.post_batch(_repurpose_batch(world, [pack_code(1)], second_life_code(1)))
    world.post(second_life_code(1), "installed", "s2l-energy", {"site": "厦门储能站 1"})
    product_chain = [event for event in world.log if event.pack == second_life_code(1)]
    # the original is not replayed: its (repurposed) state comes from the context
    assert replay(product_chain, world) == {second_life_code(1): world.packs[second_life_code(1)]}
    with pytest.raises(NotFoundError, match=starting(f"unknown pack {pack_code(1)} (listed in 'from'")):
        replay(product_chain, World())


def test_every_event_type_has_an_effect() -> None:
    assert set(EFFECTS) == set(EventType)
