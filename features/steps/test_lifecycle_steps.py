"""Steps of features/lifecycle.feature: posting events through the ledger with the domain rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from events.codes import make_second_life_code
from events.deadlines import lateness
from events.errors import PacktraceError
from events.state import PackState
from events.timestamps import from_rfc3339
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.support import PRODUCED, Actor, Clock, code

scenarios("lifecycle.feature")

RECYCLED = {
    "feed_mass_kg": 380.0,
    "content_kg": {"Li": 5.2, "Fe": 41.0, "Cu": 22.0},
    "recovered_kg": {"Li": 4.9, "Fe": 40.5, "Cu": 21.7},
}
PRODUCT = make_second_life_code("S2L", "pack", "B", "A1", date(2026, 3, 1), 1)


@pytest.fixture
def refusal() -> dict[str, PacktraceError]:
    return {}


def post(ledger: Ledger, actor: Actor, pack: str, type_: str, data: dict[str, Any], **kw: Any) -> None:
    ledger.append_one(*actor.claim(pack, type_, data, **kw))


def state_of(ledger: Ledger, pack: str) -> PackState:
    state = ledger.pack_state(pack)
    assert state is not None, f"pack {pack} is not in the log"
    return state


def _pack(n: int | None) -> str:
    return code(n) if n is not None else PRODUCT


@when(parsers.parse('"{sender}" ships pack {n:d} to "{receiver}"'))
def ships(ledger: Ledger, actors: dict[str, Actor], sender: str, n: int, receiver: str) -> None:
    post(ledger, actors[sender], code(n), "shipped", {"to": receiver})


@when(parsers.parse('"{org}" receives pack {n:d}'))
def receives(ledger: Ledger, actors: dict[str, Actor], org: str, n: int) -> None:
    sender = state_of(ledger, code(n)).sender
    post(ledger, actors[org], code(n), "received", {"from": sender})


@when(parsers.parse('"{org}" installs pack {n:d} in vehicle "{vin}"'))
def installs(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, vin: str) -> None:
    post(ledger, actors[org], code(n), "installed", {"vin": vin})


@when(parsers.parse('"{org}" retires pack {n:d} because "{reason}"'))
def retires(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, reason: str) -> None:
    post(ledger, actors[org], code(n), "retired", {"reason": reason})


@when(parsers.parse('"{org}" grades pack {n:d} at {soh:d} % state of health for "{verdict}"'))
def grades(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, soh: int, verdict: str) -> None:
    post(ledger, actors[org], code(n), "inspected", {"soh_pct": soh, "verdict": verdict})


@when(parsers.parse('"{org}" dismantles pack {n:d}'))
def dismantles(ledger: Ledger, actors: dict[str, Actor], org: str, n: int) -> None:
    post(
        ledger,
        actors[org],
        code(n),
        "dismantled",
        {"outputs": [{"kind": "material", "name": "黑粉 black mass", "mass_kg": 150.0}]},
    )


@when(parsers.parse('"{org}" recycles pack {n:d}'))
def recycles(ledger: Ledger, actors: dict[str, Actor], org: str, n: int) -> None:
    post(ledger, actors[org], code(n), "recycled", RECYCLED)


@when(parsers.parse('"{org}" tries to dismantle pack {n:d}'))
def tries_to_dismantle(
    ledger: Ledger, actors: dict[str, Actor], org: str, n: int, refusal: dict[str, PacktraceError]
) -> None:
    with pytest.raises(PacktraceError) as exc:
        dismantles(ledger, actors, org, n)
    refusal["error"] = exc.value


@when(parsers.parse('"{org}" tries to receive pack {n:d}'))
def tries_to_receive(
    ledger: Ledger, actors: dict[str, Actor], org: str, n: int, refusal: dict[str, PacktraceError]
) -> None:
    with pytest.raises(PacktraceError) as exc:
        post(ledger, actors[org], code(n), "received", {"from": "catl"})
    refusal["error"] = exc.value


@when(parsers.parse('"{org}" reports pack {n:d} lost because "{reason}"'))
def reports_lost(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, reason: str) -> None:
    post(ledger, actors[org], code(n), "lost", {"reason": reason})


@given(parsers.parse('pack {n:d} has been used and retired by "{user}" and handed to "{second_life}"'))
def used_and_handed(ledger: Ledger, actors: dict[str, Actor], n: int, user: str, second_life: str) -> None:
    ships(ledger, actors, "catl", n, user)
    receives(ledger, actors, user, n)
    installs(ledger, actors, user, n, "LSJA24U64MS000001")
    retires(ledger, actors, user, n, "end_of_life")
    ships(ledger, actors, user, n, second_life)
    receives(ledger, actors, second_life, n)
    grades(ledger, actors, second_life, n, 81, "repurpose")


@when(parsers.parse('"{org}" repurposes pack {n:d} into a second-life product'))
def repurposes(ledger: Ledger, actors: dict[str, Actor], org: str, n: int) -> None:
    produced = {
        "chemistry": "LFP",
        "rated_capacity_kwh": 48.0,
        "nominal_voltage_v": 350.0,
        "mass_kg": 420.0,
        "from": [code(n)],
    }
    ledger.append(
        [actors[org].claim(code(n), "repurposed", {"into": PRODUCT}), actors[org].claim(PRODUCT, "produced", produced)]
    )


@when(parsers.parse('"{org}" installs the product at storage site "{site}"'))
def installs_product(ledger: Ledger, actors: dict[str, Actor], org: str, site: str) -> None:
    post(ledger, actors[org], PRODUCT, "installed", {"site": site})


@when(parsers.parse('"{org}" removes the product for "{reason}"'))
def removes_product(ledger: Ledger, actors: dict[str, Actor], org: str, reason: str) -> None:
    post(ledger, actors[org], PRODUCT, "removed", {"reason": reason})


@when(parsers.parse('"{org}" removes pack {n:d} for "{reason}"'))
def removes(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, reason: str) -> None:
    post(ledger, actors[org], code(n), "removed", {"reason": reason})


@when(parsers.parse('"{org}" retires the product because "{reason}"'))
def retires_product(ledger: Ledger, actors: dict[str, Actor], org: str, reason: str) -> None:
    post(ledger, actors[org], PRODUCT, "retired", {"reason": reason})


@when(parsers.parse('"{sender}" ships the product to "{receiver}"'))
def ships_product(ledger: Ledger, actors: dict[str, Actor], sender: str, receiver: str) -> None:
    post(ledger, actors[sender], PRODUCT, "shipped", {"to": receiver})


@when(parsers.parse('"{org}" receives the product'))
def receives_product(ledger: Ledger, actors: dict[str, Actor], org: str) -> None:
    post(ledger, actors[org], PRODUCT, "received", {"from": state_of(ledger, PRODUCT).sender})


@when(parsers.parse('"{org}" dismantles the product'))
def dismantles_product(ledger: Ledger, actors: dict[str, Actor], org: str) -> None:
    post(ledger, actors[org], PRODUCT, "dismantled", {"outputs": []})


@when(parsers.parse('"{org}" recycles the product'))
def recycles_product(ledger: Ledger, actors: dict[str, Actor], org: str) -> None:
    post(ledger, actors[org], PRODUCT, "recycled", RECYCLED)


def _day(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC)


@given(parsers.parse('"{maker}" produced pack {n:d} on {made} and "{receiver}" received it on {received}'))
def produced_and_received(
    ledger: Ledger, actors: dict[str, Actor], maker: str, n: int, made: str, receiver: str, received: str
) -> None:
    post(ledger, actors[maker], code(n), "produced", PRODUCED, at=_day(made))
    post(ledger, actors[maker], code(n), "shipped", {"to": receiver}, at=_day(made))
    post(ledger, actors[receiver], code(n), "received", {"from": maker}, at=_day(received))


@given(parsers.parse("today is {day} in Fuzhou"))
def today_is(ledger: Ledger, day: str) -> None:
    ledger.clock = Clock(datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC))


@when(parsers.parse('"{org}" reports installing pack {n:d} in vehicle "{vin}" on {day}'))
def reports_installing(ledger: Ledger, actors: dict[str, Actor], org: str, n: int, vin: str, day: str) -> None:
    at = datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC)
    post(ledger, actors[org], code(n), "installed", {"vin": vin}, at=at)


@then(parsers.parse('pack {n:d} is "{status}" in the custody of "{org}"'))
def is_in_custody(ledger: Ledger, n: int, status: str, org: str) -> None:
    state = state_of(ledger, code(n))
    assert (state.status, state.custodian) == (status, org)


@then(parsers.parse("pack {n:d} has {count:d} entries in its chain"))
def chain_length(ledger: Ledger, n: int, count: int) -> None:
    assert len(ledger.pack_entries(code(n))) == count


@then("the whole log verifies")
def log_verifies(ledger: Ledger) -> None:
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    assert report.problems == [] and report.entries == ledger.size()


@then(parsers.parse('the platform refuses with "{message}"'))
def refused(refusal: dict[str, PacktraceError], message: str) -> None:
    assert message in refusal["error"].message, refusal["error"].message


@then(parsers.parse('pack {n:d} is "{status}" and names the product as its successor'))
def successor(ledger: Ledger, n: int, status: str) -> None:
    state = state_of(ledger, code(n))
    assert (state.status, state.successor) == (status, PRODUCT)


@then(parsers.parse('the product is "{status}" and names pack {n:d} as its origin'))
def origin(ledger: Ledger, status: str, n: int) -> None:
    state = state_of(ledger, PRODUCT)
    assert (state.status, state.origins) == (status, (code(n),))


@then(parsers.parse('the product was bound to storage site "{site}" for one interval'))
def site_interval(ledger: Ledger, site: str) -> None:
    (binding,) = state_of(ledger, PRODUCT).bindings
    assert (binding.kind, binding.target) == ("site", site) and binding.end is not None


@then(parsers.parse('pack {n:d} was bound to vehicle "{first}" and then to "{second}"'))
def two_intervals(ledger: Ledger, n: int, first: str, second: str) -> None:
    a, b = state_of(ledger, code(n)).bindings
    assert (a.kind, a.target, b.kind, b.target) == ("vin", first, "vin", second)
    assert a.end is not None and a.end <= b.start and b.end is None


def _installation(ledger: Ledger, actors: dict[str, Actor], n: int) -> Any:
    import json

    entry = json.loads(ledger.pack_entries(code(n))[-1][2])
    claim = entry["claim"]
    return lateness(
        claim["type"], actors[claim["actor"]].org, from_rfc3339(claim["at"]), from_rfc3339(entry["recorded_at"])
    )


@then(parsers.parse('the installation of pack {n:d} is late under rule "{rule}"'))
def late_under(ledger: Ledger, actors: dict[str, Actor], n: int, rule: str) -> None:
    late = _installation(ledger, actors, n)
    assert late is not None and late.rule == rule


@then(parsers.parse("it was due on {due} and is {days:d} working days late"))
def due_and_days(ledger: Ledger, actors: dict[str, Actor], due: str, days: int) -> None:
    late = _installation(ledger, actors, 6)
    assert (late.due.isoformat(), late.working_days_late) == (due, days)
