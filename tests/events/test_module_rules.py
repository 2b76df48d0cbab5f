"""Modules and cells in the domain (docs/modules.md): the payload members that say which cells each module
holds, the links `events.components.fold` opens and closes, each refusal, and the chain of a module its
dismantler recovers whole from a dismantled pack."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from events.catalogue import parse_payload
from events.codes import make_code
from events.components import Closed, Folded, OpenLink, children_named, fold, may_link
from events.errors import AuthorisationError, InvalidPayload, LifecycleError, NotFoundError
from tests.events.events_world import World, exact, module_code, pack_code, produced_data

P, Q = pack_code(1), pack_code(2)
M1, M2, M3 = module_code(1), module_code(2), module_code(3)
AT, LATER = "2026-03-02T01:00:00Z", "2026-05-02T01:00:00Z"


def cell(serial: int) -> str:
    return make_code("0RJ", "cell", "B", "A0", "0HAU0AA", date(2026, 3, 1), serial)


X, Y, Z = cell(1), cell(2), cell(3)


def produced(**changes: Any) -> dict[str, Any]:
    return produced_data(modules=[M1, M2], cells=[X, Y, Z], module_cells={M1: [X, Y]}) | changes


# -- payloads ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"module_cells": {M3: [X]}}, f"data: Value error, module_cells names module {M3}, which is not in modules"),
        ({"module_cells": {M1: [cell(9)]}}, f"module_cells puts cell {cell(9)} in {M1}, but cells does not list it"),
        ({"module_cells": {M1: [X], M2: [X]}}, f"module_cells puts cell {X} in more than one module"),
        ({"module_cells": {X: [Y]}}, f"{X} is a cell code, not a module code"),
        ({"module_cells": {M1: [M2]}}, f"{M2} is a module code, not a cell code"),
    ],
)
def test_module_cells_must_agree_with_modules_and_cells(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidPayload) as refused:
        parse_payload("produced", produced(**changes))
    assert refused.value.message.startswith("invalid 'produced' payload: data")
    assert problem.removeprefix("data: Value error, ") in refused.value.message


def test_a_replacement_lists_its_new_cells_once() -> None:
    data = {"description": "换模组", "replaced_modules": [{"old": M1, "new": M3, "new_cells": [X, X]}]}
    with pytest.raises(InvalidPayload, match=exact(
        "invalid 'serviced' payload: data.replaced_modules[0]: new_cells lists a code more than once"
    )):  # fmt: skip
        parse_payload("serviced", data)


# -- the links --------------------------------------------------------------------------------------------


def test_produced_opens_a_link_per_module_and_per_cell() -> None:
    folded = fold(P, "produced", produced(), 7, AT, {})
    assert folded == Folded(opened=(
        OpenLink(P, M1, "module", 7, AT), OpenLink(M1, X, "cell", 7, AT), OpenLink(M1, Y, "cell", 7, AT),
        OpenLink(P, M2, "module", 7, AT), OpenLink(P, Z, "cell", 7, AT),
    ))  # fmt: skip
    assert children_named(P, "produced", produced()) == [M1, M2, X, Y, Z]


def test_a_replacement_closes_the_old_module_and_opens_the_new() -> None:
    links = {M1: OpenLink(P, M1, "module", 7, AT)}
    data = {"description": "换模组", "replaced_modules": [{"old": M1, "new": M3, "new_cells": [cell(7)]}]}
    assert fold(P, "serviced", data, 9, LATER, links) == Folded(
        closed=(Closed(P, M1, 9, LATER),),
        opened=(OpenLink(P, M3, "module", 9, LATER), OpenLink(M3, cell(7), "cell", 9, LATER)),
    )


def test_a_replacement_of_a_module_the_record_does_not_know_only_opens_the_new() -> None:
    data = {"description": "换模组", "replaced_modules": [{"old": M1, "new": M3}]}
    assert fold(P, "serviced", data, 9, LATER, {}) == Folded(opened=(OpenLink(P, M3, "module", 9, LATER),))


def test_a_dismantling_closes_what_it_takes_out_of_the_pack_and_its_modules() -> None:
    links = {M1: OpenLink(P, M1, "module", 7, AT), X: OpenLink(M1, X, "cell", 7, AT), Z: OpenLink(P, Z, "cell", 7, AT)}
    outputs = [{"kind": "module", "code": M1, "mass_kg": 30.0}, {"kind": "cell", "code": X, "mass_kg": 1.0},
               {"kind": "cell", "code": Z, "mass_kg": 1.0}, {"kind": "material", "name": "casing", "mass_kg": 40.0},
               {"kind": "cell", "code": cell(8), "mass_kg": 1.0}]  # fmt: skip
    assert fold(P, "dismantled", {"outputs": outputs}, 12, LATER, links) == Folded(
        closed=(Closed(P, M1, 12, LATER), Closed(M1, X, 12, LATER), Closed(P, Z, 12, LATER))
    )


def test_other_events_touch_no_link() -> None:
    assert fold(P, "shipped", {"to": "x"}, 3, AT, {}) == Folded()
    assert children_named(P, "shipped", {"to": "x"}) == []


def test_a_module_another_pack_holds_is_refused() -> None:
    links = {M3: OpenLink(Q, M3, "module", 5, AT)}
    data = {"description": "换模组", "replaced_modules": [{"old": M1, "new": M3}]}
    with pytest.raises(LifecycleError, match=exact(
        f"module {M3} is in {Q} since {AT}: it cannot go into {P} until an entry takes it out (a module "
        "replacement or a dismantling)"
    )) as refused:  # fmt: skip
        fold(P, "serviced", data, 9, LATER, links)
    assert refused.value.code == "component_held"


def test_taking_out_a_module_of_another_pack_is_refused() -> None:
    links = {M1: OpenLink(Q, M1, "module", 5, AT)}
    data = {"description": "换模组", "replaced_modules": [{"old": M1, "new": M3}]}
    with pytest.raises(LifecycleError, match=exact(
        f"module {M1} is in {Q}, not in {P}: a replacement takes out a module of the pack it services"
    )) as refused:  # fmt: skip
        fold(P, "serviced", data, 9, LATER, links)
    assert refused.value.code == "component_elsewhere"
    outputs = {"outputs": [{"kind": "module", "code": M1, "mass_kg": 30.0}]}
    with pytest.raises(LifecycleError, match=exact(
        f"module {M1} is in {Q}, not in {P}: a dismantling takes out what the dismantled pack holds"
    )):  # fmt: skip
        fold(P, "dismantled", outputs, 9, LATER, links)


def test_a_cell_another_pack_holds_cannot_be_produced_again() -> None:
    with pytest.raises(LifecycleError, match=exact(
        f"cell {Z} is in {Q} since {AT}: it cannot go into {P} until an entry takes it out (a module replacement "
        "or a dismantling)"
    )):  # fmt: skip
        fold(P, "produced", produced(), 9, LATER, {Z: OpenLink(Q, Z, "cell", 3, AT)})


# -- a module's own chain ---------------------------------------------------------------------------------

RECOVERED = {"chemistry": "LFP", "rated_capacity_kwh": 5.0, "nominal_voltage_v": 51.2, "mass_kg": 30.0}


@pytest.fixture
def dismantled() -> World:
    """P made by catl with M1 and M2, retired and dismantled by the whitelisted recycler brunp."""
    world = World()
    world.produce(P, modules=[M1, M2])
    world.post(P, "retired", "catl", {"reason": "end_of_life"})
    world.move(P, "catl", "brunp")
    world.post(P, "dismantled", "brunp", {"outputs": [{"kind": "module", "code": M1, "mass_kg": 30.0}]})
    return world


def test_the_dismantler_starts_the_chain_of_a_module_it_took_out(dismantled: World) -> None:
    state = dismantled.post(M1, "produced", "brunp", RECOVERED | {"recovered_from": P, "cells": [X]})
    assert (state.status, state.custodian, state.manufacturer, state.owner) == ("produced", "brunp", "catl", "catl")
    assert state.extra["recovered_from"] == P
    assert children_named(M1, "produced", RECOVERED | {"recovered_from": P}) == [M1]


def test_the_chain_of_a_module_still_in_its_pack_is_refused() -> None:
    links = {M2: OpenLink(P, M2, "module", 3, AT)}
    with pytest.raises(LifecycleError, match=exact(
        f"module {M2} is in {P} since {AT}: a module's chain starts once the dismantling takes it out "
        "(a `dismantled` output with its code)"
    )):  # fmt: skip
        fold(M2, "produced", RECOVERED | {"recovered_from": P}, 9, LATER, links)


def test_a_recovered_modules_cells_stay_linked_to_it() -> None:
    links = {X: OpenLink(M1, X, "cell", 3, AT)}
    data = RECOVERED | {"recovered_from": P, "cells": [X, Y]}
    assert fold(M1, "produced", data, 9, LATER, links) == Folded(opened=(OpenLink(M1, Y, "cell", 9, LATER),))


@pytest.mark.parametrize(
    ("code", "source", "actor", "error", "message"),
    [
        (pack_code(5), P, "catl", InvalidPayload, f"invalid 'produced' payload: data.recovered_from: {pack_code(5)} is "
                                                  "not a module code; "
                                        "only a module is recovered whole from a dismantled pack"),
        (M2, Q, "brunp", NotFoundError, f"unknown pack {Q} (named in 'recovered_from' of {M2})"),
        (M2, P, "fj-dismantler", AuthorisationError, f"org 'fj-dismantler' (vehicle_dismantler) may not recover "
                                                     f"module {M2} from {P}: the pack is held by 'brunp'"),
    ],
)  # fmt: skip
def test_a_module_is_recovered_by_the_holder_of_its_dismantled_pack(
    dismantled: World, code: str, source: str, actor: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=exact(message)):
        dismantled.post(code, "produced", actor, RECOVERED | {"recovered_from": source})


def test_a_module_is_recovered_only_from_a_dismantled_pack() -> None:
    world = World()
    world.produce(Q, modules=[M3])
    world.post(Q, "retired", "catl", {"reason": "end_of_life"})
    world.move(Q, "catl", "brunp")
    with pytest.raises(LifecycleError, match=exact(
        f"pack {Q} is retired, not dismantled: a module is recovered from a dismantled pack"
    )):  # fmt: skip
        world.post(M3, "produced", "brunp", RECOVERED | {"recovered_from": Q})


def test_a_recovered_module_is_not_imported(dismantled: World) -> None:
    imported = {"foreign_manufacturer": {"name": "LG", "country": "KR"}, "customs_declaration": "531320261000012345",
                "import_date": "2026-03-01"}  # fmt: skip
    with pytest.raises(InvalidPayload, match=exact(
        "invalid 'produced' payload: a recovered module is not imported: give one of data.recovered_from and "
        "data.imported"
    )):  # fmt: skip
        dismantled.post(M1, "produced", "brunp", RECOVERED | {"recovered_from": P, "imported": imported})


def test_a_module_with_a_chain_goes_into_a_pack_only_by_its_holder(dismantled: World) -> None:
    dismantled.post(M1, "produced", "brunp", RECOVERED | {"recovered_from": P})
    dismantled.produce(Q, modules=[M3])
    dismantled.move(Q, "catl", "fz-service")
    data = {"description": "换模组", "replaced_modules": [{"old": M3, "new": M1}]}
    with pytest.raises(AuthorisationError, match=exact(
        f"org 'fz-service' (service) may not fit module {M1} into {Q}: the module has a chain of its own and is "
        "held by 'brunp'"
    )):  # fmt: skip
        dismantled.post(Q, "serviced", "fz-service", data)
    dismantled.move(M1, "brunp", "fz-service")
    assert dismantled.post(Q, "serviced", "fz-service", data).status == "in_stock"


@pytest.mark.parametrize(
    ("event_type", "data", "links"),
    [
        ("produced", produced_data(), False),
        ("produced", produced_data(cells=[X]), True),
        ("produced", produced_data(modules=[M1]), True),
        ("produced", produced_data(recovered_from=P), True),
        ("serviced", {"description": "checked"}, False),
        ("serviced", {"description": "换模组", "replaced_modules": [{"old": M1, "new": M3}]}, True),
        ("dismantled", {"outputs": [{"kind": "material", "name": "casing", "mass_kg": 40.0}]}, False),
        ("dismantled", {"outputs": [{"kind": "module", "mass_kg": 30.0}]}, False),
        ("dismantled", {"outputs": [{"kind": "module", "code": M1, "mass_kg": 30.0}]}, True),
        ("shipped", {"to": "brunp"}, False),
    ],
)
def test_may_link_skips_the_entries_that_name_no_module_or_cell(
    event_type: str, data: dict[str, Any], links: bool
) -> None:
    assert may_link(event_type, data) is links
    if not links:  # what it skips would have linked nothing
        assert fold(P, event_type, data, 1, AT, {}) == Folded()
