"""A battery swap through the ledger, on both backends: one request, both chains show it, and if either
half is illegal neither is recorded."""

from __future__ import annotations

import pytest

from ledger.append.outcome import BatchRejected
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.ledger.test_lifecycles import VIN_A, VIN_B, Timeline, walk
from tests.support import PRODUCED, Actor, code

A, B, C = code(41), code(42), code(43)


@pytest.fixture
def swap_ready(ledger: Ledger, actors: dict[str, Actor]) -> Timeline:
    """A in vehicle VIN_A; B and C in nio-swap's stock."""
    t = Timeline()
    for pack in (A, B, C):
        walk(ledger, actors, [
            (pack, "catl", "produced", PRODUCED),
            (pack, "catl", "shipped", {"to": "nio-swap"}),
            (pack, "nio-swap", "received", {"from": "catl"}),
        ], t)  # fmt: skip
    walk(ledger, actors, [(A, "nio-swap", "installed", {"vin": VIN_A})], t)
    return t


def test_a_swap_is_one_request_on_both_chains(ledger: Ledger, actors: dict[str, Actor], swap_ready: Timeline) -> None:
    swap, at, size = actors["nio-swap"], swap_ready.next(), ledger.size()
    results = ledger.append([
        swap.claim(A, "swapped", {"direction": "out", "vin": VIN_A, "partner": B, "site": "厦门海沧换电站"}, at=at),
        swap.claim(B, "swapped", {"direction": "in", "vin": VIN_A, "partner": A}, at=at),
    ])  # fmt: skip
    assert [r.index for r in results] == [size, size + 1]
    out, into = ledger.pack_state(A), ledger.pack_state(B)
    assert out is not None and (out.status, out.custodian, out.binding) == ("in_stock", "nio-swap", None)
    assert into is not None and into.status == "in_vehicle" and into.binding is not None
    assert into.binding.target == VIN_A
    assert (
        b'"type":"swapped"' in ledger.pack_entries(A)[-1][2]
        and b'"partner":"' + B.encode() in ledger.pack_entries(A)[-1][2]
    )
    assert b'"direction":"in"' in ledger.pack_entries(B)[-1][2]
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def test_one_half_alone_is_refused(ledger: Ledger, actors: dict[str, Actor], swap_ready: Timeline) -> None:
    size = ledger.size()
    with pytest.raises(BatchRejected) as refused:
        ledger.append([actors["nio-swap"].claim(A, "swapped", {"direction": "out", "vin": VIN_A, "partner": B},
                                                at=swap_ready.next())])  # fmt: skip
    ((position, error),) = refused.value.errors
    assert position == 0 and error.code == "swap_unpaired"
    assert error.message == (
        f"'swapped' out of {A} (position 0) needs, in the same batch, the 'swapped' in of {B} by 'nio-swap' for "
        f"vehicle {VIN_A} naming {A} as partner"
    )
    assert ledger.size() == size


@pytest.mark.parametrize("bad", ["out", "in"])
def test_if_either_half_is_illegal_neither_is_recorded(
    ledger: Ledger, actors: dict[str, Actor], swap_ready: Timeline, bad: str
) -> None:
    swap, t = actors["nio-swap"], swap_ready
    if bad == "in":  # C leaves the operator: its half is not the operator's to post
        walk(ledger, actors, [(C, "nio-swap", "shipped", {"to": "fz-service"}),
                              (C, "fz-service", "received", {"from": "nio-swap"})], t)  # fmt: skip
        outgoing, vin = A, VIN_A
    else:  # the outgoing half names a vehicle A is not in
        outgoing, vin = A, VIN_B
    incoming = C if bad == "in" else B
    before = {pack: ledger.pack_state(pack) for pack in (A, B, C)}
    size, at = ledger.size(), t.next()
    with pytest.raises(BatchRejected) as refused:
        ledger.append([
            swap.claim(outgoing, "swapped", {"direction": "out", "vin": vin, "partner": incoming}, at=at),
            swap.claim(incoming, "swapped", {"direction": "in", "vin": vin, "partner": outgoing}, at=at),
        ])  # fmt: skip
    ((position, error),) = refused.value.errors
    if bad == "in":
        assert position == 1 and error.message == (
            "org 'nio-swap' (swap_operator) may not post 'swapped': requires custody and the swap_operator role; "
            "the custodian is 'fz-service'"
        )
    else:
        assert position == 0 and error.message == (
            f"pack {A} is in vehicle {VIN_A}, not in {VIN_B}: a swap takes out the pack the vehicle holds"
        )
    assert ledger.size() == size
    assert {pack: ledger.pack_state(pack) for pack in (A, B, C)} == before
