"""Modules and cells through the ledger, on both backends (docs/modules.md): the links the append writes,
the recall by cell or module code that reads them, verify's recount, and the refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from events.codes import make_code
from events.errors import AuthorisationError, InputError, LifecycleError
from events.orgs import Org, Role
from ledger.append.outcome import BatchRejected
from ledger.log import Ledger
from ledger.store import linkrows
from ledger.usecases import components
from ledger.usecases.reports.recall import RecallFilter, recall
from ledger.usecases.verify import verify_database
from tests.ledger.test_lifecycles import VIN_A, VIN_B, Timeline, walk
from tests.support import PRODUCED, Actor, add_actor, code, regulator_caller

A, B, C, D = code(71), code(72), code(73), code(74)


def module(serial: int) -> str:
    return make_code("0RJ", "module", "B", "12", "ABCDEFG", date(2026, 1, 15), serial)


def cell(serial: int) -> str:
    return make_code("0RJ", "cell", "B", "12", "ABCDEFG", date(2026, 1, 15), serial)


M1, M2, K1, N1, Q1, SPARE = module(1), module(2), module(11), module(21), module(31), module(41)
X, Y, Z = cell(1), cell(2), cell(3)


RECOVERED = {"chemistry": "LFP", "rated_capacity_kwh": 5.0, "nominal_voltage_v": 51.2, "mass_kg": 30.0}


def with_modules(modules: dict[str, list[str]]) -> dict[str, Any]:
    cells = [c for held in modules.values() for c in held]
    return PRODUCED | {
        "modules": list(modules),
        "cells": cells,
        "module_cells": {m: c for m, c in modules.items() if c},
    }


def in_service(pack: str, vin: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The pack's way into a vehicle, and the service shop taking it out for repair."""
    return [
        (pack, "catl", "shipped", {"to": "byd-auto"}),
        (pack, "byd-auto", "received", {"from": "catl"}),
        (pack, "byd-auto", "installed", {"vin": vin}),
        (pack, "fz-service", "removed", {"reason": "repair"}),
    ]


def replace(old: str, new: str, **more: Any) -> dict[str, Any]:
    return {"description": "模组更换 module replaced", "replaced_modules": [{"old": old, "new": new, **more}]}


@pytest.fixture
def cell_life(ledger: Ledger, actors: dict[str, Actor]) -> Timeline:
    """Cell X's life: made in module M1 of pack A; the service shop replaces M1 in A (a faulty connector, the
    module tests good) and fits it into pack B as a remanufactured spare; B retires and the recycler dismantles
    it, taking M1 out whole, gives M1 a chain of its own and sells it to the service shop, which fits it into
    pack C. Pack D never holds X."""
    t = Timeline()
    walk(ledger, actors, [
        (A, "catl", "produced", with_modules({M1: [X, Y], M2: [Z]})),
        (B, "catl", "produced", with_modules({K1: []})),
        (C, "catl", "produced", with_modules({N1: []})),
        (D, "catl", "produced", with_modules({Q1: []})),
        *in_service(A, VIN_A),
        (A, "fz-service", "serviced", replace(M1, SPARE)),
        *in_service(B, VIN_B),
        (B, "fz-service", "serviced", replace(K1, M1) | {"remanufactured": True}),
        (B, "fz-service", "retired", {"reason": "end_of_life"}),
        (B, "fz-service", "shipped", {"to": "gem-recycling"}),
        (B, "gem-recycling", "received", {"from": "fz-service"}),
        (B, "gem-recycling", "dismantled", {"outputs": [{"kind": "module", "code": M1, "mass_kg": 30.0},
                                                        {"kind": "material", "name": "casing", "mass_kg": 40.0}]}),
        (M1, "gem-recycling", "produced", RECOVERED | {"recovered_from": B, "cells": [X, Y]}),
        (M1, "gem-recycling", "shipped", {"to": "fz-service"}),
        (M1, "fz-service", "received", {"from": "gem-recycling"}),
        *in_service(C, VIN_A),
        (C, "fz-service", "serviced", replace(N1, M1)),
    ], t)  # fmt: skip
    return t


def test_a_cell_recall_finds_the_three_packs_that_held_it_and_not_others(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    report = recall(ledger, regulator_caller(), RecallFilter(component=X))
    assert [p.code for p in report.packs] == sorted([A, B, C])
    assert report.count == 3 and D not in {p.code for p in report.packs}
    assert [(h.pack, h.via) for h in report.holdings] == [(A, M1), (B, M1), (C, M1)]
    a, b, c = report.holdings
    assert a.until_entry is not None and b.until_entry is not None and c.until_entry is None
    assert a.until_entry < b.from_entry < b.until_entry < c.from_entry
    assert a.held_until is not None and b.held_until is not None and c.held_until is None
    assert a.held_until <= b.held_from and b.held_until <= c.held_from
    statuses = {p.code: p.status for p in report.packs}
    assert statuses == {A: "in_stock", B: "dismantled", C: "in_stock"}
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def test_a_module_recall_and_a_cell_that_never_moved(ledger: Ledger, cell_life: Timeline) -> None:
    assert [h.pack for h in recall(ledger, regulator_caller(), RecallFilter(component=M1)).holdings] == [A, B, C]
    assert [
        (h.pack, h.via, h.held_until) for h in recall(ledger, regulator_caller(), RecallFilter(component=Z)).holdings
    ] == [(A, M2, None)]
    spare = recall(ledger, regulator_caller(), RecallFilter(component=SPARE))
    assert [(h.pack, h.via) for h in spare.holdings] == [(A, None)]
    nobody = recall(ledger, regulator_caller(), RecallFilter(component=cell(99)))
    assert (nobody.count, nobody.packs, nobody.holdings) == (0, [], [])


def test_the_component_filter_combines_with_the_others(ledger: Ledger, cell_life: Timeline) -> None:
    report = recall(ledger, regulator_caller(), RecallFilter(component=X, chemistry="NCM"))
    assert (report.count, report.holdings) == (0, [])


@pytest.mark.parametrize(
    ("component", "message"),
    [
        (A, f"component {A} is a pack code; a component recall takes a module or cell code"),
        (
            "NOT-A-CODE",
            "component: battery code NOT-A-CODE: 10 characters; a battery code has 24 (or 19 for a second-life code)",
        ),
    ],
)
def test_a_component_that_is_not_a_cell_or_module_code_is_refused(ledger: Ledger, component: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        recall(ledger, regulator_caller(), RecallFilter(component=component))
    assert refused.value.code == "invalid_filter"
    assert refused.value.message == message


def test_a_replacement_cannot_take_out_a_module_of_another_pack(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    size = ledger.size()
    with pytest.raises(LifecycleError) as refused:
        ledger.append_one(*actors["fz-service"].claim(A, "serviced", replace(M1, module(51)), at=cell_life.next()))
    assert refused.value.code == "component_elsewhere"
    assert refused.value.message == (
        f"module {M1} is in {C}, not in {A}: a replacement takes out a module of the pack it services"
    )
    assert ledger.size() == size


def test_a_replacement_cannot_fit_a_module_held_elsewhere(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    size = ledger.size()
    with pytest.raises(LifecycleError) as refused:
        ledger.append_one(*actors["fz-service"].claim(A, "serviced", replace(SPARE, Q1), at=cell_life.next()))
    assert refused.value.code == "component_held"
    assert refused.value.message.startswith(f"module {Q1} is in {D} since ")
    assert refused.value.message.endswith(
        f": it cannot go into {A} until an entry takes it out (a module replacement or a dismantling)"
    )
    assert ledger.size() == size


def test_a_pack_cannot_be_produced_with_a_cell_another_holds(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    with pytest.raises(LifecycleError) as refused:
        ledger.append_one(
            *actors["catl"].claim(code(79), "produced", with_modules({module(9): [Z]}), at=cell_life.next())
        )
    assert refused.value.code == "component_held"
    assert refused.value.message.startswith(f"cell {Z} is in {M2} since ")


def test_a_batch_moving_a_module_is_all_or_nothing(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    """The second half names a module C does not hold as `old` while it is in D: the first half is not kept."""
    shop, at, size = actors["fz-service"], cell_life.next(), ledger.size()
    with pytest.raises(BatchRejected):
        ledger.append([
            shop.claim(C, "serviced", replace(M1, module(51)), at=at),
            shop.claim(C, "serviced", replace(Q1, module(52)), at=at),
        ])  # fmt: skip
    assert ledger.size() == size
    with ledger.engine.connect() as conn:
        assert linkrows.open_links(conn, [M1])[M1].parent == C


def test_verify_names_a_tampered_link_and_rebuild_restores_it(ledger: Ledger, cell_life: Timeline) -> None:
    with ledger.engine.begin() as conn:
        stored = linkrows.all_rows(conn)
        linkrows.clear(conn)
        linkrows.add_rows(conn, [row for row in stored if row.child != X])
    problems = verify_database(ledger.engine, ledger.signer.verifier_key).problems
    first = stored[[row.child for row in stored].index(X)]
    assert [(p.index, p.step, p.message) for p in problems] == [
        (first.start_idx, 5, f"entry {first.start_idx} puts {X} in {M1} but the stored links lack it")
    ]
    with ledger.engine.begin() as conn:
        assert components.rebuild(conn) == len(stored)
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def test_verify_names_a_link_the_log_does_not_make(ledger: Ledger, cell_life: Timeline) -> None:
    with ledger.engine.begin() as conn:
        linkrows.add_rows(conn, [linkrows.LinkRow(cell(98), 3, D, "cell", "2026-01-20T00:00:00Z")])
    problems = verify_database(ledger.engine, ledger.signer.verifier_key).problems
    assert [(p.index, p.step, p.message) for p in problems] == [
        (3, 5, f"a stored link puts {cell(98)} in {D} from entry 3, which the log's entries do not make")
    ]


def test_verify_names_a_link_whose_end_was_changed(ledger: Ledger, cell_life: Timeline) -> None:
    with ledger.engine.begin() as conn:
        stored = linkrows.all_rows(conn)
        first_m1 = next(row for row in stored if row.child == M1)
        linkrows.clear(conn)
        linkrows.add_rows(conn, [row._replace(end_idx=None, end_at=None) if row == first_m1 else row for row in stored])
    problems = verify_database(ledger.engine, ledger.signer.verifier_key).problems
    assert [(p.index, p.step, p.message) for p in problems] == [
        (first_m1.start_idx, 5, f"the stored link of {M1} from entry {first_m1.start_idx} differs from the log's "
                                f"(stored in {A} until now, log in {A} until entry {first_m1.end_idx})")
    ]  # fmt: skip


def test_init_fills_the_links_of_a_database_made_before_them(ledger: Ledger, cell_life: Timeline) -> None:
    with ledger.engine.begin() as conn:
        want = linkrows.all_rows(conn)
        conn.exec_driver_sql("DROP TABLE component_link")
    ledger.init()
    with ledger.engine.connect() as conn:
        assert linkrows.all_rows(conn) == want


def test_a_recovered_module_has_a_chain_of_its_own(ledger: Ledger, cell_life: Timeline) -> None:
    state = ledger.pack_state(M1)
    assert state is not None
    assert (state.status, state.custodian, state.manufacturer) == ("in_stock", "fz-service", "catl")
    assert state.extra["recovered_from"] == B
    with ledger.engine.connect() as conn:  # its cells stayed linked to it: no second link opened
        assert [row.parent for row in linkrows.all_rows(conn) if row.child == X] == [M1]


def test_a_module_still_in_its_pack_cannot_start_a_chain(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    t = cell_life
    walk(ledger, actors, [
        *in_service(D, VIN_B),
        (D, "fz-service", "retired", {"reason": "end_of_life"}),
        (D, "fz-service", "shipped", {"to": "gem-recycling"}),
        (D, "gem-recycling", "received", {"from": "fz-service"}),
        (D, "gem-recycling", "dismantled", {"outputs": [{"kind": "material", "name": "black mass", "mass_kg": 200.0}]}),
    ], t)  # fmt: skip
    with pytest.raises(LifecycleError) as refused:
        ledger.append_one(
            *actors["gem-recycling"].claim(Q1, "produced", RECOVERED | {"recovered_from": D}, at=t.next())
        )
    assert refused.value.code == "component_held"
    assert refused.value.message.startswith(f"module {Q1} is in {D} since ")
    assert refused.value.message.endswith(
        ": a module's chain starts once the dismantling takes it out (a `dismantled` output with its code)"
    )


def test_a_module_is_recovered_only_from_a_dismantled_pack(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    with pytest.raises(LifecycleError) as refused:
        ledger.append_one(*actors["gem-recycling"].claim(SPARE, "produced", RECOVERED | {"recovered_from": A},
                                                         at=cell_life.next()))  # fmt: skip
    assert (
        refused.value.message == f"pack {A} is in_stock, not dismantled: a module is recovered from a dismantled pack"
    )


def test_only_the_dismantler_holding_the_pack_recovers_its_module(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    other = add_actor(ledger, Org("brunp", "邦普循环", frozenset({Role.RECYCLER}), whitelisted=True))
    with pytest.raises(AuthorisationError) as refused:
        ledger.append_one(*other.claim(M2, "produced", RECOVERED | {"recovered_from": B}, at=cell_life.next()))
    assert refused.value.message == (
        f"org 'brunp' (recycler) may not recover module {M2} from {B}: the pack is held by 'gem-recycling'"
    )


def test_a_chained_module_goes_into_a_pack_only_by_its_holder(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    walk(ledger, actors, [(C, "fz-service", "serviced", replace(M1, N1))], cell_life)
    walk(ledger, actors, [(M1, "fz-service", "shipped", {"to": "byd-auto"}),
                          (M1, "byd-auto", "received", {"from": "fz-service"})], cell_life)  # fmt: skip
    with pytest.raises(AuthorisationError) as refused:
        ledger.append_one(*actors["fz-service"].claim(C, "serviced", replace(N1, M1), at=cell_life.next()))
    assert refused.value.message == (
        f"org 'fz-service' (service) may not fit module {M1} into {C}: the module has a chain of its own and is "
        "held by 'byd-auto'"
    )


def test_a_cell_of_a_module_no_pack_held_is_traced_to_no_pack(
    ledger: Ledger, actors: dict[str, Actor], cell_life: Timeline
) -> None:
    """The record never put module(61) in a pack; its chain lists cell(61): the module is no pack to recall."""
    claim = actors["gem-recycling"].claim(
        module(61), "produced", RECOVERED | {"recovered_from": B, "cells": [cell(61)]}, at=cell_life.next()
    )
    ledger.append_one(*claim)
    report = recall(ledger, regulator_caller(), RecallFilter(component=cell(61)))
    assert (report.count, report.packs, report.holdings) == (0, [], [])
    with ledger.engine.connect() as conn:
        assert [(row.parent, row.kind) for row in linkrows.all_rows(conn) if row.child == cell(61)] == [
            (module(61), "cell")
        ]
