"""Repurposing one-to-many (one retired pack into several second-life products) beside many-to-one, and
both directions of the link: what an original became, what a product was made from."""

from __future__ import annotations

import pytest

from events.batch import batch_end, batch_problems
from events.errors import InvalidPayload, LifecycleError
from events.rules import check_batch, replay
from events.state import Event
from tests.events.events_world import World, exact, pack_code, produced_data, second_life_code


def _retired_at_s2l(world: World, code: str) -> None:
    world.produce(code)
    world.post(code, "retired", "catl", {"reason": "damaged"})
    world.move(code, "catl", "s2l-energy")


def _split(world: World, original: str, products: list[str]) -> list[Event]:
    return [world.event(original, "repurposed", "s2l-energy", {"into": products})] + [
        world.event(product, "produced", "s2l-energy", produced_data(**{"from": [original]})) for product in products
    ]


def test_one_pack_becomes_two_products_in_one_batch(world: World) -> None:
    original, products = pack_code(1), [second_life_code(1), second_life_code(2)]
    _retired_at_s2l(world, original)
    states = world.post_batch(_split(world, original, products))
    assert (states[0].status, states[0].successor, states[0].successors) == ("repurposed", products[0], tuple(products))
    assert states[0].extra["successors"] == products
    for state, product in zip(states[1:], products, strict=True):
        assert (state.code, state.status, state.origins, state.custodian) == (
            product, "produced", (original,), "s2l-energy"
        )  # fmt: skip
    assert replay(world.log, World()) == world.packs


def test_one_product_keeps_the_projection_it_always_had(world: World) -> None:
    _retired_at_s2l(world, pack_code(1))
    state = world.post_batch(_split(world, pack_code(1), [second_life_code(1)]))[0]
    assert (state.successor, state.successors, "successors" in state.extra) == (
        second_life_code(1), (second_life_code(1),), False
    )  # fmt: skip
    single = World()
    _retired_at_s2l(single, pack_code(1))
    before = single.post_batch([
        single.event(pack_code(1), "repurposed", "s2l-energy", {"into": second_life_code(1)}),
        single.event(second_life_code(1), "produced", "s2l-energy", produced_data(**{"from": [pack_code(1)]})),
    ])[0]  # fmt: skip
    assert before.to_dict() == state.to_dict()


def test_one_to_many_and_many_to_one_together(world: World) -> None:
    """Two packs into a shared product, and the first of them into a product of its own too."""
    a, b, shared, own = pack_code(1), pack_code(2), second_life_code(1), second_life_code(2)
    _retired_at_s2l(world, a)
    _retired_at_s2l(world, b)
    world.post_batch([
        world.event(a, "repurposed", "s2l-energy", {"into": [shared, own]}),
        world.event(b, "repurposed", "s2l-energy", {"into": shared}),
        world.event(shared, "produced", "s2l-energy", produced_data(**{"from": [a, b]})),
        world.event(own, "produced", "s2l-energy", produced_data(**{"from": [a]})),
    ])  # fmt: skip
    assert world.packs[a].successors == (shared, own)
    assert world.packs[b].successors == (shared,)
    assert (world.packs[shared].origins, world.packs[own].origins) == ((a, b), (a,))


def test_every_product_of_a_split_needs_its_produced() -> None:
    world = World()
    batch = _split(world, pack_code(1), [second_life_code(1), second_life_code(2)])
    with pytest.raises(LifecycleError) as caught:
        check_batch(batch[:2])
    assert caught.value.message == (
        f"'repurposed' of {pack_code(1)} into {second_life_code(2)} (position 0) needs, in the same batch, "
        f"the 'produced' of {second_life_code(2)} listing {pack_code(1)} in 'from'"
    )
    with pytest.raises(LifecycleError) as order:
        check_batch([batch[1], batch[0], batch[2]])
    assert order.value.message == (
        f"'produced' of {second_life_code(1)} (position 0) comes before the 'repurposed' of its original "
        f"{pack_code(1)} (position 1); the originals must be repurposed first"
    )


def test_a_product_not_named_in_the_split_is_refused() -> None:
    world = World()
    batch = _split(world, pack_code(1), [second_life_code(1)])
    stray = world.event(second_life_code(3), "produced", "s2l-energy", produced_data(**{"from": [pack_code(1)]}))
    problems = batch_problems([*batch, stray])
    assert [(position, error.message) for position, error in problems] == [(
        2, f"'produced' of {second_life_code(3)} (position 2) lists {pack_code(1)} in 'from', "
        f"but the batch has no 'repurposed' of {pack_code(1)} into {second_life_code(3)}",
    )]  # fmt: skip


def test_a_split_into_an_existing_code_records_nothing(world: World) -> None:
    _retired_at_s2l(world, pack_code(1))
    _retired_at_s2l(world, pack_code(2))
    world.post_batch(_split(world, pack_code(2), [second_life_code(2)]))
    log = list(world.log)
    with pytest.raises(LifecycleError) as caught:
        world.post_batch(_split(world, pack_code(1), [second_life_code(1), second_life_code(2)]))
    assert caught.value.message == (
        f"second-life code {second_life_code(2)} already exists; {pack_code(1)} cannot be repurposed into it"
    )
    assert world.log == log and world.packs[pack_code(1)].status == "retired"


def test_a_product_of_another_split_is_refused_with_every_successor_named(world: World) -> None:
    _retired_at_s2l(world, pack_code(1))
    world.packs[pack_code(1)] = world.packs[pack_code(1)].evolve(
        status="repurposed",
        successor=second_life_code(1),
        extra={**world.packs[pack_code(1)].extra, "successors": [second_life_code(1), second_life_code(2)]},
    )
    with pytest.raises(LifecycleError) as caught:
        world.post(second_life_code(3), "produced", "s2l-energy", produced_data(**{"from": [pack_code(1)]}))
    assert caught.value.message == (
        f"original {pack_code(1)} was repurposed into {second_life_code(1)}, {second_life_code(2)}, "
        f"not into {second_life_code(3)}"
    )


@pytest.mark.parametrize(
    ("into", "why"),
    [
        ([], "lists 0 codes; a pack becomes 1 to 100 products"),
        ([second_life_code(1), second_life_code(1)], "lists a code more than once"),
        ([second_life_code(n) for n in range(1, 102)], "lists 101 codes; a pack becomes 1 to 100 products"),
        ([second_life_code(1), pack_code(9)],
         f"{pack_code(9)} is not a second-life code (19 characters ending in R and a product type)"),
        ([second_life_code(1), 5], "give a second-life code or a list of second-life codes"),
        (5, "give a second-life code or a list of second-life codes"),
        ({"code": second_life_code(1)}, "give a second-life code or a list of second-life codes"),
    ],
)  # fmt: skip
def test_bad_lists_of_products(world: World, into: object, why: str) -> None:
    _retired_at_s2l(world, pack_code(1))
    with pytest.raises(InvalidPayload, match=exact(f"invalid 'repurposed' payload: data.into: {why}")):
        world.post(pack_code(1), "repurposed", "s2l-energy", {"into": into})


def test_a_pack_cannot_become_itself_among_others(world: World) -> None:
    _retired_at_s2l(world, pack_code(1))
    world.post_batch(_split(world, pack_code(1), [second_life_code(1)]))
    world.post(second_life_code(1), "retired", "s2l-energy", {"reason": "end_of_life"})
    with pytest.raises(
        InvalidPayload,
        match=exact(
            f"invalid 'repurposed' payload: data.into: a pack cannot be repurposed into itself ({second_life_code(1)})"
        ),
    ):
        world.post(
            second_life_code(1), "repurposed", "s2l-energy", {"into": [second_life_code(2), second_life_code(1)]}
        )


def test_a_file_is_cut_into_batches_without_parting_a_split() -> None:
    """`packtrace submit` and the client cut where batch_end says: never between an original repurposed into
    several products and any of their `produced`."""
    p1, p2 = second_life_code(1), second_life_code(2)
    claims = [
        {"pack": pack_code(1), "type": "repurposed", "data": {"into": [p1, p2]}},
        {"pack": p1, "type": "produced", "data": {"from": [pack_code(1)]}},
        {"pack": p2, "type": "produced", "data": {"from": [pack_code(1)]}},
        {"pack": pack_code(3), "type": "serviced", "data": {"description": "checked"}},
    ]
    assert batch_end(claims, 0, 1, 10_000) == 3
    assert batch_end(claims, 0, 2, 10_000) == 3
    assert batch_end(claims, 0, 1, 2) == 2  # never beyond the limit: the server then names the missing product
    assert batch_end(claims, 3, 1, 10_000) == 4
