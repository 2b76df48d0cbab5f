"""Ownership and leases (车电分离) through the ledger, on both backends: the owner and the lease survive the
stored projection and its replay, custody moves leave the owner alone, and 流向不明 is attributed to the
owner beside the custodian."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.orgs import Org, Role
from ledger.log import Ledger
from ledger.usecases.reports.compliance import compliance
from ledger.usecases.reports.organisations import organisations
from ledger.usecases.verify import verify_database
from tests.ledger.test_lifecycles import VIN_A, VIN_B, Timeline, walk
from tests.support import PRODUCED, Actor, add_actor, code, regulator_caller

A, B, LOST = code(51), code(52), code(53)


@pytest.fixture
def leasing(ledger: Ledger, actors: dict[str, Actor]) -> dict[str, Actor]:
    return {**actors, "fj-baas": add_actor(ledger, Org("fj-baas", "福建车电分离电池租赁", frozenset({Role.LESSOR})))}


def test_a_lease_through_the_ledger(ledger: Ledger, leasing: dict[str, Actor]) -> None:
    t = Timeline()
    walk(ledger, leasing, [
        (A, "catl", "produced", PRODUCED),
        (A, "catl", "ownership_transferred", {"to": "fj-baas", "reference": "购销合同 BAAS-00051"}),
        (A, "catl", "shipped", {"to": "nio-swap"}),
        (A, "nio-swap", "received", {"from": "catl"}),
        (A, "nio-swap", "installed", {"vin": VIN_A}),
        (A, "fj-baas", "leased", {"lessee": "nio-swap", "vin": VIN_A, "until": "2031-12-31"}),
        (B, "catl", "produced", PRODUCED),
        (B, "catl", "shipped", {"to": "nio-swap"}),
        (B, "nio-swap", "received", {"from": "catl"}),
    ], t)  # fmt: skip
    swap, at = leasing["nio-swap"], t.next()
    ledger.append([
        swap.claim(A, "swapped", {"direction": "out", "vin": VIN_A, "partner": B}, at=at),
        swap.claim(B, "swapped", {"direction": "in", "vin": VIN_A, "partner": A}, at=at),
    ])  # fmt: skip
    walk(ledger, leasing, [
        (A, "nio-swap", "shipped", {"to": "fz-service"}),
        (A, "fz-service", "received", {"from": "nio-swap"}),
        (A, "fz-service", "installed", {"vin": VIN_B}),
    ], t)  # fmt: skip
    state = ledger.pack_state(A)
    assert state is not None and (state.owner, state.custodian, state.status) == ("fj-baas", "fz-service", "in_vehicle")
    assert state.lease is not None and (state.lease["lessor"], state.lease["lessee"]) == ("fj-baas", "nio-swap")
    walk(ledger, leasing, [(A, "fj-baas", "lease_ended", {"reason": "expired"})], t)
    ended = ledger.pack_state(A)
    assert ended is not None and (ended.owner, ended.lease) == ("fj-baas", None)
    other = ledger.pack_state(B)
    assert other is not None and (other.owner, other.custodian) == ("catl", "nio-swap")
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []  # the replay agrees


def test_unaccounted_packs_are_attributed_to_their_owner(ledger: Ledger, leasing: dict[str, Actor]) -> None:
    walk(ledger, leasing, [
        (LOST, "catl", "produced", PRODUCED),
        (LOST, "catl", "ownership_transferred", {"to": "fj-baas"}),
        (LOST, "catl", "shipped", {"to": "byd-auto"}),  # never received: 流向不明 months later
    ], Timeline())  # fmt: skip
    ledger.clock.now += timedelta(days=120)  # type: ignore[attr-defined]  # tests.support.Clock
    report = compliance(ledger, regulator_caller())
    rows = [(p.pack, p.reason, p.custodian, p.owner) for p in report.unaccounted]
    assert rows == [(LOST, "shipped-not-received", "catl", "fj-baas")]
    stats = {o.org: (o.unaccounted, o.owned_unaccounted) for o in organisations(ledger, regulator_caller()).orgs}
    assert (stats["catl"], stats["fj-baas"], stats["byd-auto"]) == ((1, 0), (0, 1), (0, 0))
