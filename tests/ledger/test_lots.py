"""Recycler lots through the ledger, on both backends (issue 16, acceptance 5): a lot of 50 packs plus one
imported black-mass lot gets its per-lot rates; a lot claiming more recovered nickel than its inputs contain
is flagged with the numbers; every refusal of the lot's events says why."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from events.codes import make_code
from events.errors import PacktraceError
from ledger.log import Ledger
from ledger.usecases.reports.lots import lots_report
from ledger.usecases.verify import verify_database
from tests.ledger.test_lifecycles import Timeline
from tests.support import Actor, regulator_caller

NCM = {"chemistry": "NCM", "rated_capacity_kwh": 75.0, "nominal_voltage_v": 400.0, "mass_kg": 400.0}
BLACK_MASS = {
    "mass_kg": 1000.0,
    "content_kg": {"Ni": 150.0, "Co": 30.0, "Li": 40.0},
    "origin": "KR",
    "customs_declaration": "310120251000012345",
    "supplier": "SungEel HiTech",
}
LOT_A, LOT_B = "lot:gem-recycling:2026-001", "lot:gem-recycling:2026-002"


def ncm(serial: int) -> str:
    return make_code("001", "pack", "E", "12", "ABCDEFG", date(2026, 1, 15), serial)


def at_recycler(ledger: Ledger, actors: dict[str, Actor], codes: list[str], t: Timeline) -> None:
    """Produced, shipped to and received by the whitelisted recycler, retired there: one batch per step."""
    catl, gem = actors["catl"], actors["gem-recycling"]
    for actor, type_, data in [
        (catl, "produced", NCM),
        (catl, "shipped", {"to": "gem-recycling"}),
        (gem, "received", {"from": "catl"}),
        (gem, "retired", {"reason": "end_of_life"}),
    ]:
        at = t.next()
        ledger.append([actor.claim(code, type_, data, at=at) for code in codes])


def into_lot(ledger: Ledger, gem: Actor, lot: str, codes: list[str], t: Timeline, **opened: Any) -> None:
    ledger.append_one(*gem.claim(lot, "lot_opened", opened, at=t.next()))
    at = t.next()
    ledger.append([gem.claim(code, "lotted", {"lot": lot}, at=at) for code in codes])


def recovered(gem: Actor, lot: str, codes: list[str], t: Timeline, content: dict[str, float],
              got: dict[str, float]) -> tuple[dict[str, Any], str]:  # fmt: skip
    return gem.claim(lot, "lot_recovered", {"packs": codes, "content_kg": content, "recovered_kg": got}, at=t.next())


def test_fifty_packs_and_black_mass_get_rates_and_an_overclaiming_lot_is_flagged(
    ledger: Ledger, actors: dict[str, Actor]
) -> None:
    t, gem = Timeline(), actors["gem-recycling"]
    fifty, five = [ncm(n) for n in range(1, 51)], [ncm(n) for n in range(51, 56)]
    at_recycler(ledger, actors, fifty + five, t)
    into_lot(ledger, gem, LOT_A, fifty, t, black_mass=[BLACK_MASS])
    into_lot(ledger, gem, LOT_B, five, t)
    assert {ledger.pack_state(c).status for c in fifty + five} == {"in_lot"}  # type: ignore[union-attr]
    assert ledger.pack_state(fifty[0]).extra["lot"] == LOT_A  # type: ignore[union-attr]
    content = {"Ni": 2000.0, "Co": 500.0, "Mn": 500.0, "Li": 350.0}
    ledger.append_one(*recovered(gem, LOT_A, fifty, t, content, {"Ni": 1970.0, "Co": 492.0, "Mn": 491.0, "Li": 301.0}))
    # five packs of 400 kg hold at most 15 % nickel: 300 kg; the recycler claims 450 kg
    ledger.append_one(*recovered(gem, LOT_B, five, t, {"Ni": 460.0}, {"Ni": 450.0}))

    report = lots_report(ledger, regulator_caller())
    a, b = report.lots
    assert (a.lot, a.status, len(a.packs), a.input_mass_kg) == (LOT_A, "lot_recovered", 50, 21_000.0)
    assert [(bm.origin, bm.customs_declaration, bm.mass_kg) for bm in a.black_mass] == [
        ("KR", "310120251000012345", 1000.0)
    ]
    assert {p.chemistry for p in a.packs} == {"NCM"} and {p.mass_kg for p in a.packs} == {400.0}
    rates = {r.element: (r.content_kg, r.recovered_kg, round(r.rate, 2), r.threshold, r.below) for r in a.rates}
    assert rates == {
        "Co": (500.0, 492.0, 98.4, 98.0, False),
        "Li": (350.0, 301.0, 86.0, 90.0, True),
        "Mn": (500.0, 491.0, 98.2, 98.0, False),
        "Ni": (2000.0, 1970.0, 98.5, 98.0, False),
    }
    assert a.flags == [] and a.unreported == []
    assert [entry[0] for entry in ledger.pack_entries(LOT_A)] == a.entries  # its chain: opened, recovered
    assert [b'"type":"lot_opened"' in entry[2] for entry in ledger.pack_entries(LOT_A)] == [True, False]
    (flag,) = b.flags
    assert (flag.element, flag.kind, flag.recovered_kg, flag.packs_kg, flag.black_mass_kg, flag.limit_kg) == (
        "Ni", "exceeds_inputs", 450.0, 300.0, 0.0, 300.0
    )  # fmt: skip
    assert flag.message == (
        "Ni: recovered 450 kg, more than the inputs could contain: at most 300 kg "
        "(300 kg in 5 packs by chemistry and mass, 0 kg declared in black mass)"
    )
    (per_recycler,) = report.recyclers
    assert (per_recycler.recycler, per_recycler.lots, per_recycler.flagged) == ("gem-recycling", 2, 1)
    nickel = next(r for r in per_recycler.rates if r.element == "Ni")
    assert (nickel.content_kg, nickel.recovered_kg) == (2460.0, 2420.0)
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []


def test_an_implausible_loss_is_flagged_with_the_numbers(ledger: Ledger, actors: dict[str, Actor]) -> None:
    t, gem = Timeline(), actors["gem-recycling"]
    packs = [ncm(n) for n in range(1, 4)]
    at_recycler(ledger, actors, packs, t)
    into_lot(ledger, gem, LOT_A, packs, t)
    # three packs of 400 kg hold at least 3 % nickel, 36 kg: recovering 10 kg is under half of that
    ledger.append_one(*recovered(gem, LOT_A, packs, t, {"Ni": 11.0}, {"Ni": 10.0}))
    (lot,) = lots_report(ledger, regulator_caller()).lots
    assert [f.message for f in lot.flags] == [
        "Ni: recovered 10 kg, less than 50% of the 36 kg the inputs must have held (36 kg in 3 packs at least, "
        "0 kg declared in black mass): an implausible loss"
    ]


@pytest.fixture
def open_lot(ledger: Ledger, actors: dict[str, Actor]) -> tuple[Timeline, list[str]]:
    t = Timeline()
    packs = [ncm(n) for n in range(1, 4)]
    at_recycler(ledger, actors, packs, t)
    ledger.append_one(*actors["gem-recycling"].claim(LOT_A, "lot_opened", {}, at=t.next()))
    return t, packs


def refusal(ledger: Ledger, claim: tuple[dict[str, Any], str]) -> PacktraceError:
    size = ledger.size()
    with pytest.raises(PacktraceError) as refused:
        ledger.append_one(*claim)
    assert ledger.size() == size
    return refused.value


@pytest.mark.parametrize(
    ("lot", "message"),
    [
        (
            "lot:other-recycler:7",
            "may not put pack {pack} into lot:other-recycler:7: the lot belongs to 'other-recycler'",
        ),
        ("lot:gem-recycling:nope", "unknown lot lot:gem-recycling:nope: the recycler opens it with 'lot_opened' first"),
        ("lot:gem-recycling", "data.lot: String should match pattern"),
    ],
)
def test_lotted_refusals(
    ledger: Ledger, actors: dict[str, Actor], open_lot: tuple[Timeline, list[str]], lot: str, message: str
) -> None:
    t, packs = open_lot
    error = refusal(ledger, actors["gem-recycling"].claim(packs[0], "lotted", {"lot": lot}, at=t.next()))
    assert message.format(pack=packs[0]) in error.message


def test_lotted_by_a_recycler_without_custody_or_whitelist(
    ledger: Ledger, actors: dict[str, Actor], open_lot: tuple[Timeline, list[str]]
) -> None:
    t, packs = open_lot
    error = refusal(ledger, actors["grey-recycling"].claim(packs[0], "lotted", {"lot": LOT_A}, at=t.next()))
    assert "may not post 'lotted': requires custody and the recycler role (whitelisted under 规范条件)" in error.message


def test_a_lot_takes_no_pack_once_recovered(
    ledger: Ledger, actors: dict[str, Actor], open_lot: tuple[Timeline, list[str]]
) -> None:
    t, packs = open_lot
    gem = actors["gem-recycling"]
    ledger.append([gem.claim(pack, "lotted", {"lot": LOT_A}, at=t.next()) for pack in packs[:2]])
    ledger.append_one(*recovered(gem, LOT_A, packs[:1], t, {"Ni": 50.0}, {"Ni": 49.0}))
    (lot,) = lots_report(ledger, regulator_caller()).lots
    assert ([p.code for p in lot.packs], lot.unreported) == ([packs[0]], [packs[1]])  # in the lot, not reported
    error = refusal(ledger, gem.claim(packs[2], "lotted", {"lot": LOT_A}, at=t.next()))
    assert error.message == f"lot {LOT_A} is lot_recovered: packs enter a lot only while it is open (lot_open)"
    again = refusal(ledger, recovered(gem, LOT_A, packs[:1], t, {"Ni": 50.0}, {"Ni": 49.0}))
    assert again.message == f"lot {LOT_A} is lot_recovered: 'lot_recovered' is not allowed; allowed: nothing"


def test_a_report_listing_a_pack_outside_the_lot_is_refused(
    ledger: Ledger, actors: dict[str, Actor], open_lot: tuple[Timeline, list[str]]
) -> None:
    t, packs = open_lot
    error = refusal(ledger, recovered(actors["gem-recycling"], LOT_A, packs[:1], t, {"Ni": 5.0}, {"Ni": 4.0}))
    assert error.message == (
        f"pack {packs[0]} is retired, not in lot {LOT_A}: a pack enters the lot with 'lotted' before the lot "
        "reports its recovery"
    )


@pytest.mark.parametrize(
    ("who", "subject", "type_", "data", "message"),
    [
        ("grey-recycling", "lot:grey-recycling:1", "lot_opened", {},
         "requires being the lot's recycler ('grey-recycling') with the recycler role, whitelisted under 规范条件"),
        ("catl", "lot:gem-recycling:9", "lot_opened", {},
         "requires being the lot's recycler ('gem-recycling') with the recycler role"),
        ("gem-recycling", "lot:gem-recycling:2026-001", "lot_opened", {},
         "lot lot:gem-recycling:2026-001 is lot_open: 'lot_opened' is not allowed; allowed: lot_recovered"),
        ("gem-recycling", "lot:gem-recycling:9", "lot_recovered", {"content_kg": {"Ni": 1.0}, "recovered_kg": {}},
         "lot lot:gem-recycling:9 is not opened yet: 'lot_recovered' is not allowed; allowed: lot_opened"),
        ("gem-recycling", "lot:gem-recycling:2026-001", "incident", {},
         "a lot takes only lot_opened, lot_recovered, not 'incident'"),
        ("gem-recycling", "lot:gem-recycling:a-lot-id-far-too-long", "lot_opened", {},
         "is 39 characters long; a lot subject has at most 32"),
        ("gem-recycling", "lot:GEM:1", "lot_opened", {}, "'lot:GEM:1': 'GEM' is not an organisation id"),
        ("gem-recycling", "lot:gem-recycling:", "lot_opened", {}, "the lot id '' is not 1-64 letters"),
        ("gem-recycling", "lot:gem-recycling:7", "lot_opened",
         {"black_mass": [{**BLACK_MASS, "origin": "CN"}]}, "origin cannot be CN"),
        ("gem-recycling", "lot:gem-recycling:7", "lot_opened",
         {"black_mass": [{**BLACK_MASS, "content_kg": {"Ni": 1500.0}}]},
         "the declared elements add up to 1500 kg, more than mass_kg 1000"),
        ("gem-recycling", "lot:gem-recycling:7", "lot_opened",
         {"black_mass": [{**BLACK_MASS, "customs_declaration": "310120250000012345"}]},
         "data.black_mass[0].customs_declaration: String should match pattern"),
        ("gem-recycling", "lot:gem-recycling:2026-001", "lot_recovered",
         {"content_kg": {"Ni": 5.0}, "recovered_kg": {"Ni": 6.0}}, "Ni 6 kg is more than its content_kg 5"),
        ("gem-recycling", "lot:gem-recycling:2026-001", "lot_recovered",
         {"content_kg": {"Ni": 5.0}, "recovered_kg": {"Ni": 4.0}},
         "lot lot:gem-recycling:2026-001 has no inputs: no packs, no black mass"),
    ],
)  # fmt: skip
def test_lot_refusals(
    ledger: Ledger,
    actors: dict[str, Actor],
    open_lot: tuple[Timeline, list[str]],
    who: str,
    subject: str,
    type_: str,
    data: dict[str, Any],
    message: str,
) -> None:
    t, _ = open_lot
    assert message in refusal(ledger, actors[who].claim(subject, type_, data, at=t.next())).message


def test_an_edited_lot_report_and_an_edited_lot_projection_are_found(
    ledger: Ledger, actors: dict[str, Actor], open_lot: tuple[Timeline, list[str]]
) -> None:
    import json

    import rfc8785
    from sqlalchemy import text, update

    from ledger.store.schema import PACK

    t, packs = open_lot
    gem = actors["gem-recycling"]
    ledger.append_one(*gem.claim(packs[0], "lotted", {"lot": LOT_A}, at=t.next()))
    ledger.append_one(*recovered(gem, LOT_A, packs[:1], t, {"Ni": 50.0}, {"Ni": 49.0}))
    index = ledger.pack_entries(LOT_A)[-1][0]
    state = ledger.pack_state(LOT_A)
    assert state is not None
    with ledger.engine.begin() as conn:
        update_state = update(PACK).where(PACK.c.code == LOT_A).values(state={**state.to_dict(), "status": "lot_open"})
        conn.execute(update_state)
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    assert [str(p) for p in report.problems] == [f"step 5: pack {LOT_A}: stored state differs from the replayed state"]
    with ledger.engine.begin() as conn:
        conn.execute(update(PACK).where(PACK.c.code == LOT_A).values(state=state.to_dict()))
        body = json.loads(bytes(conn.execute(text("SELECT body FROM entry WHERE idx = :i"), {"i": index}).scalar_one()))
        body["claim"]["data"]["recovered_kg"]["Ni"] = 50.0  # a better rate, after the fact
        conn.execute(text("UPDATE entry SET body = :b WHERE idx = :i"), {"b": rfc8785.dumps(body), "i": index})
    first = verify_database(ledger.engine, ledger.signer.verifier_key).problems[0]
    assert (first.index, first.step) == (index, 1) and first.message.startswith("stored hash ")
    assert "but the stored bytes hash to " in first.message


def test_a_pack_in_a_lot_has_a_bundle_that_verifies(
    ledger: Ledger, actors: dict[str, Actor], open_lot: tuple[Timeline, list[str]]
) -> None:
    from ledger.format.bundle import verify_bundle
    from ledger.usecases.bundles import make_bundle

    t, packs = open_lot
    ledger.append_one(*actors["gem-recycling"].claim(packs[0], "lotted", {"lot": LOT_A}, at=t.next()))
    bundle = make_bundle(ledger, packs[0])
    assert bundle["entries"][-1]["claim"]["type"] == "lotted"
    verify_bundle(bundle, ledger.signer.verifier_key)
