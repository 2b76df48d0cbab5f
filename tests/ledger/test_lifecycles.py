"""Whole lives through the ledger, on both backends: multi-pack repurposing in one transaction, swaps
with their binding intervals (the old way, removed and installed; `swapped` is in test_swaps.py), and
random legal lives (swaps included) whose replay reproduces every stored projection."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.codes import make_code, make_second_life_code
from events.rules import next_actions
from events.vin import vin_with_check_digit
from ledger.append.outcome import BatchRejected
from ledger.log import Ledger
from ledger.store import linkrows
from ledger.usecases.verify import verify_database
from tests.events.events_world import MAKER_CODES, ORGS, RECYCLED_DATA, genesis_data, produced_data
from tests.events.test_replay_property import payload_for
from tests.support import PRODUCED, T0, Actor, Clock, add_actor, code

VIN_A = vin_with_check_digit("LSJA24U60MS000001")
VIN_B = vin_with_check_digit("LGXCE4CB0P0123456")


class Timeline:
    """Claims a minute apart, so every status-changing event comes after the one before it."""

    def __init__(self) -> None:
        self.steps = itertools.count(1)

    def next(self) -> Any:
        return T0 + timedelta(minutes=next(self.steps))


def walk(
    ledger: Ledger, actors: dict[str, Actor], steps: list[tuple[str, str, str, dict[str, Any]]], t: Timeline
) -> None:
    for pack, actor, type_, data in steps:
        ledger.append_one(*actors[actor].claim(pack, type_, data, at=t.next()))


def retire_at_second_life(ledger: Ledger, actors: dict[str, Actor], pack: str, t: Timeline) -> None:
    walk(ledger, actors, [
        (pack, "catl", "produced", PRODUCED),
        (pack, "catl", "shipped", {"to": "byd-auto"}),
        (pack, "byd-auto", "received", {"from": "catl"}),
        (pack, "byd-auto", "installed", {"vin": VIN_A}),
        (pack, "byd-auto", "retired", {"reason": "end_of_life"}),
        (pack, "byd-auto", "shipped", {"to": "s2l-energy"}),
        (pack, "s2l-energy", "received", {"from": "byd-auto"}),
        (pack, "s2l-energy", "inspected", {"soh_pct": 78.5, "verdict": "repurpose"}),
    ], t)  # fmt: skip


def test_two_retired_packs_repurposed_into_one_product_in_one_transaction(
    ledger: Ledger, actors: dict[str, Actor]
) -> None:
    t = Timeline()
    a, b = code(1), code(2)
    for pack in (a, b):
        retire_at_second_life(ledger, actors, pack, t)
    product = make_second_life_code("S2L", "pack", "B", "A1", date(2026, 3, 1), 7)
    s2l = actors["s2l-energy"]
    at = t.next()
    lone = s2l.claim(a, "repurposed", {"into": product}, at=at)
    with pytest.raises(BatchRejected) as refused:
        ledger.append([lone])
    assert [pos for pos, _ in refused.value.errors] == [0]
    assert f"needs, in the same batch, the 'produced' of {product} listing {a}" in refused.value.errors[0][1].message

    size = ledger.size()
    results = ledger.append([
        s2l.claim(a, "repurposed", {"into": product}, at=at),
        s2l.claim(b, "repurposed", {"into": product}, at=at),
        s2l.claim(product, "produced", produced_data(**{"from": [a, b]}), at=at),
    ])  # fmt: skip
    assert [r.index for r in results] == [size, size + 1, size + 2]
    assert ledger.checkpoint_at(size + 3) is not None and ledger.checkpoint_at(size + 1) is None

    for original in (a, b):
        state = ledger.pack_state(original)
        assert state is not None and (state.status, state.successor) == ("repurposed", product)
    made = ledger.pack_state(product)
    assert made is not None and made.origins == (a, b) and made.custodian == "s2l-energy"
    first_entry = ledger.pack_entries(product)[0][2]
    assert b'"from":["' + a.encode() + b'","' + b.encode() + b'"]' in first_entry
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def test_one_retired_pack_repurposed_into_two_products_in_one_transaction(
    ledger: Ledger, actors: dict[str, Actor]
) -> None:
    t = Timeline()
    original = code(5)
    retire_at_second_life(ledger, actors, original, t)
    first, second = (make_second_life_code("S2L", "pack", "B", "A1", date(2026, 3, 1), n) for n in (21, 22))
    s2l, at = actors["s2l-energy"], t.next()
    size = ledger.size()
    with pytest.raises(BatchRejected) as refused:  # the second product's genesis is missing: nothing is recorded
        ledger.append([
            s2l.claim(original, "repurposed", {"into": [first, second]}, at=at),
            s2l.claim(first, "produced", produced_data(**{"from": [original]}), at=at),
        ])  # fmt: skip
    assert refused.value.errors[0][0] == 0
    assert refused.value.errors[0][1].message == (
        f"'repurposed' of {original} into {second} (position 0) needs, in the same batch, "
        f"the 'produced' of {second} listing {original} in 'from'"
    )
    assert ledger.size() == size and ledger.pack_state(first) is None

    ledger.append([
        s2l.claim(original, "repurposed", {"into": [first, second]}, at=at),
        s2l.claim(first, "produced", produced_data(**{"from": [original]}), at=at),
        s2l.claim(second, "produced", produced_data(**{"from": [original]}), at=at),
    ])  # fmt: skip
    state = ledger.pack_state(original)
    assert state is not None and (state.status, state.successor, state.successors) == (
        "repurposed", first, (first, second)
    )  # fmt: skip
    for product in (first, second):
        made = ledger.pack_state(product)
        assert made is not None and (made.origins, made.custodian) == ((original,), "s2l-energy")
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def test_a_swap_records_both_binding_intervals(ledger: Ledger, actors: dict[str, Actor]) -> None:
    t = Timeline()
    pack = code(3)
    swap = add_actor(ledger, ORGS["nio-power"])
    actors = {**actors, "nio-power": swap}
    walk(ledger, actors, [
        (pack, "catl", "produced", PRODUCED),
        (pack, "catl", "shipped", {"to": "nio-power"}),
        (pack, "nio-power", "received", {"from": "catl"}),
        (pack, "nio-power", "installed", {"vin": VIN_A}),
        (pack, "nio-power", "removed", {"reason": "swap"}),
        (pack, "nio-power", "installed", {"vin": VIN_B}),
    ], t)  # fmt: skip
    state = ledger.pack_state(pack)
    assert state is not None and state.status == "in_vehicle"
    (first, second) = state.bindings
    assert (first.target, second.target) == (VIN_A, VIN_B)
    assert first.end is not None and first.end <= second.start and second.end is None
    with ledger.engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT vin FROM pack WHERE code = :c"), {"c": pack}).scalar_one() == VIN_B


class _World:
    """The ledger under hypothesis: one per test, new packs per example."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.actors = {org_id: add_actor(ledger, org) for org_id, org in ORGS.items()}
        ledger.clock = Clock(T0 + timedelta(days=365))  # recording times after every claim's `at`
        self.serials = itertools.count(1)
        self.products = itertools.count(1)  # second-life serials: a product may itself be repurposed
        self.timeline = Timeline()
        self.components = itertools.count(1)  # module and cell serials
        self.modules: dict[str, list[str]] = {}  # pack -> the modules in it, as the claims put them
        self.loose: list[str] = []  # modules taken out, waiting to go into another pack

    def component(self, kind: str) -> str:
        return make_code("0RJ", kind, "B", "A0", "0HAU0AA", date(2026, 1, 10), next(self.components))

    def genesis(self, pack: str, maker: str) -> dict[str, Any]:
        """`produced` with two modules of two cells each (docs/modules.md)."""
        held = {self.component("module"): [self.component("cell"), self.component("cell")] for _ in range(2)}
        self.modules[pack] = list(held)
        return genesis_data(maker, modules=list(held), cells=[c for cs in held.values() for c in cs], module_cells=held)

    def moving(self, pack: str, action: str, payload: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
        """A `serviced` may replace a module (with a loose one taken out of another pack, or a new spare); a
        `dismantled` may take a module out whole."""
        modules = self.modules.get(pack, [])
        if not modules or action not in ("serviced", "dismantled") or not data.draw(st.booleans(), label="module"):
            return payload
        old = data.draw(st.sampled_from(modules), label="old module")
        modules.remove(old)
        self.loose.append(old)
        if action == "dismantled":
            return {"outputs": [{"kind": "module", "code": old, "mass_kg": 30.0}]}
        # one draw whatever the loose modules are (they outlive the example: hypothesis wants the same draws)
        reuse = data.draw(st.booleans(), label="reuse") and len(self.loose) > 1
        new = self.loose.pop(0) if reuse else self.component("module")
        modules.append(new)
        return payload | {"replaced_modules": [{"old": old, "new": new}]}


def _ready_partner(world: _World, state: Any, operator: str, maker: str, partner: str) -> tuple[str, str, str]:
    """A pack to swap with `state`'s: in the operator's stock for an outgoing pack, in a vehicle for an incoming
    one; (outgoing, incoming, vin)."""
    t, op = world.timeline, world.actors[operator]
    world.ledger.append_one(*world.actors[maker].claim(partner, "produced", genesis_data(maker), at=t.next()))
    world.ledger.append_one(*world.actors[maker].claim(partner, "shipped", {"to": operator}, at=t.next()))
    world.ledger.append_one(*op.claim(partner, "received", {"from": maker}, at=t.next()))
    if state.status == "in_vehicle":
        return state.code, partner, state.binding.target
    world.ledger.append_one(*op.claim(partner, "installed", {"vin": VIN_B}, at=t.next()))
    return partner, state.code, VIN_B


@pytest.fixture
def world(ledger: Ledger) -> _World:
    return _World(ledger)


@pytest.mark.fuzz
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_random_legal_lives_replay_to_the_stored_projections(world: _World, data: st.DataObject) -> None:
    ledger, t = world.ledger, world.timeline
    maker = data.draw(st.sampled_from(sorted(MAKER_CODES)), label="maker")  # an importer too
    for _ in range(data.draw(st.integers(1, 3), label="packs")):
        serial = next(world.serials)
        current = code(serial, maker=MAKER_CODES[maker])
        genesis = world.genesis(current, maker)
        ledger.append_one(*world.actors[maker].claim(current, "produced", genesis, at=t.next()))
        for _ in range(data.draw(st.integers(1, 25), label="steps")):
            state = ledger.pack_state(current)
            assert state is not None
            offers = {o: [a for a in next_actions(state, ORGS[o]) if a != "corrected"] for o in ORGS}
            actions = sorted({a for offered in offers.values() for a in offered})
            if not actions:
                break
            action = data.draw(st.sampled_from(actions), label="action")
            org_id = data.draw(st.sampled_from([o for o in sorted(ORGS) if action in offers[o]]), label="actor")
            actor, at = world.actors[org_id], t.next()
            if action == "repurposed":  # into one product, or one-to-many into two or three
                products = [
                    make_second_life_code("S2L", "pack", "B", "A1", date(2026, 3, 1), next(world.products))
                    for _ in range(data.draw(st.integers(1, 3), label="products"))
                ]
                into: str | list[str] = products[0] if len(products) == 1 else products
                ledger.append([
                    actor.claim(current, "repurposed", {"into": into}, at=at),
                    *(actor.claim(p, "produced", produced_data(**{"from": [current]}), at=at) for p in products),
                ])  # fmt: skip
                state = ledger.pack_state(current)
                assert state is not None and state.successors == tuple(products)
                current = products[-1]
                continue
            if action == "swapped":  # both halves in one request, with a partner made ready for it
                partner = code(next(world.serials), maker=MAKER_CODES[maker])
                outgoing, incoming, vin = _ready_partner(world, state, org_id, maker, partner)
                at = t.next()  # after the partner's own steps
                ledger.append([
                    actor.claim(outgoing, "swapped", {"direction": "out", "vin": vin, "partner": incoming}, at=at),
                    actor.claim(incoming, "swapped", {"direction": "in", "vin": vin, "partner": outgoing}, at=at),
                ])  # fmt: skip
                continue
            if action == "lotted":  # into a lot of the recycler's own, opened for it; the lot reports or not
                lot = f"lot:{org_id}:L{serial}"
                ledger.append_one(*actor.claim(lot, "lot_opened", {}, at=at))
                ledger.append_one(*actor.claim(current, "lotted", {"lot": lot}, at=t.next()))
                if data.draw(st.booleans(), label="lot recovered"):
                    report = {"packs": [current], "content_kg": {"Ni": 30.0}, "recovered_kg": {"Ni": 29.5}}
                    ledger.append_one(*actor.claim(lot, "lot_recovered", report, at=t.next()))
                continue
            payload = RECYCLED_DATA if action == "recycled" else payload_for(action, ORGS[org_id], state, data, None)  # type: ignore[arg-type]
            payload = world.moving(current, action, payload, data)
            ledger.append_one(*actor.claim(current, action, payload, at=at))
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    assert report.problems == []
    with ledger.engine.connect() as conn:  # the link index holds each pack's modules as the claims put them
        links = [row for row in linkrows.all_rows(conn) if row.kind == "module" and row.end_idx is None]
    held: dict[str, list[str]] = {}
    for row in links:
        held.setdefault(row.parent, []).append(row.child)
    assert {p: sorted(ms) for p, ms in held.items()} == {p: sorted(ms) for p, ms in world.modules.items() if ms}
