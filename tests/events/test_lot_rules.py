"""The mass balance of recycler lots (events.lots) as data, and a lot's chain folded without a ledger: the
bounds by chemistry, black mass as declared, an unbounded chemistry, a black-mass-only lot."""

from __future__ import annotations

import pytest

from events.errors import InputError
from events.lots import (
    ELEMENT_CONTENT,
    EXCEEDS_INPUTS,
    IMPLAUSIBLE_LOSS,
    LOSS_FLOOR,
    PackInput,
    mass_balance,
    parse_lot_subject,
)
from tests.events.events_world import World, exact

BLACK = {"mass_kg": 800.0, "content_kg": {"Ni": 100.0}, "origin": "KR", "customs_declaration": "310120251000000002"}


def test_an_lfp_lot_holds_no_nickel() -> None:
    (flag,) = mass_balance([PackInput("A", "LFP", 300.0)], [], {"Ni": 2.0, "Li": 3.0}, {"Ni": 1.0, "Li": 2.5})
    assert (flag.element, flag.kind, flag.limit_kg) == ("Ni", EXCEEDS_INPUTS, 0.0)
    assert flag.message == (
        "Ni: recovered 1 kg, more than the inputs could contain: at most 0 kg (0 kg in 1 packs by chemistry and "
        "mass, 0 kg declared in black mass)"
    )


def test_black_mass_counts_as_declared() -> None:
    packs = [PackInput("A", "NCM", 1000.0)]  # nickel 30-150 kg
    assert mass_balance(packs, [{"Ni": 100.0}], {"Ni": 260.0}, {"Ni": 250.0}) == []
    (flag,) = mass_balance(packs, [{"Ni": 100.0}], {"Ni": 260.0}, {"Ni": 251.0})
    assert (flag.packs_kg, flag.black_mass_kg, flag.limit_kg) == (150.0, 100.0, 250.0)
    (loss,) = mass_balance(packs, [{"Ni": 100.0}], {"Ni": 200.0}, {"Ni": 64.0})  # under half of 130 kg
    assert (loss.kind, loss.packs_kg, loss.limit_kg) == (IMPLAUSIBLE_LOSS, 30.0, 65.0)


def test_an_element_the_recycler_did_not_assay_is_not_judged() -> None:
    assert mass_balance([PackInput("A", "NCM", 1000.0)], [], {"Li": 20.0}, {"Li": 19.0}) == []


def test_other_chemistry_bounds_nothing() -> None:
    assert ELEMENT_CONTENT["2025"]["other"] == {}
    assert mass_balance([PackInput("A", "other", 100.0)], [], {"Ni": 90.0}, {"Ni": 90.0}) == []


def test_the_loss_floor_is_data() -> None:
    assert LOSS_FLOOR == {"2025": 0.5}
    with pytest.raises(InputError, match=exact("unknown mass balance version '1999'; known: 2025")):
        mass_balance([], [], {}, {}, version="1999")


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("org:gem", "'org:gem' is not a lot: a lot is 'lot:<recycler org id>:<lot id>'"),
        ("lot:gem", "'lot:gem': 'gem' is not an organisation id"),
        ("lot:gem:-x", "'lot:gem:-x': the lot id '-x' is not 1-64 letters, digits, '.', '_' or '-' (starting with "
                       "a letter or digit)"),
    ],
)  # fmt: skip
def test_lot_subjects(subject: str, message: str) -> None:
    with pytest.raises(InputError, match=exact(message)):
        parse_lot_subject(subject)
    assert parse_lot_subject("lot:gem:2026.A_1") == ("gem", "2026.A_1")


def test_a_black_mass_only_lot_reports_without_packs() -> None:
    world = World()
    lot = "lot:brunp:BM-1"
    opened = world.post(lot, "lot_opened", "brunp", {"black_mass": [BLACK]})
    assert (opened.status, opened.custodian, opened.extra["black_mass_kg"]) == ("lot_open", "brunp", 800.0)
    done = world.post(lot, "lot_recovered", "brunp", {"content_kg": {"Ni": 100.0}, "recovered_kg": {"Ni": 98.5}})
    assert (done.status, done.events, done.extra["packs"]) == ("lot_recovered", 2, 0)
