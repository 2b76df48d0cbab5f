"""Issue 17, federation: B's reports see an arrived pack's maker and batch on the origin (docs/federation.md
§7). On B the pack's `manufacturer` is its receiver, like an importer's pack is its importer's; the origin's
producer goes where an imported pack's foreign manufacturer goes (the recall trace, the warnings' alarms),
the origin's `produced.batch` and plant where a pack's own go (the warnings' groups, `GET /v1/packs?batch=`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events.orgs import Role
from tests.api.platforms import ORIGIN_A, PRODUCED, Federation, two_platforms
from tests.support import code

pytestmark = pytest.mark.served

A_ROLES = [Role.MANUFACTURER, Role.AUTOMAKER, Role.IMPORTER, Role.REGULATOR]
B_ROLES = [Role.MANUFACTURER, Role.RECYCLER, Role.REGULATOR]
ARRIVED = [code(serial) for serial in range(1711, 1717)]
PLANT = {pack: "FJ-P1" if n < 3 else "FJ-P2" for n, pack in enumerate(ARRIVED)}  # one batch, two plants
ORIGIN_MAKER = f"manufacturer ({ORIGIN_A})"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    with two_platforms(tmp_path, A_ROLES, B_ROLES) as platforms:
        for pack in ARRIVED:
            platforms.transfer(pack, {**PRODUCED, "batch": "FJ-B7", "plant": PLANT[pack]})
            assert platforms.arrive(platforms.arrival(platforms.fetch(pack))).status_code == 201
        yield platforms


def test_the_recall_trace_names_the_origins_producer_beside_the_receiver(fed: Federation) -> None:
    regulator, maker = fed.b.parties[Role.REGULATOR], fed.b.parties[Role.MANUFACTURER]
    assert fed.b.post(maker, code(10), "produced", PRODUCED, 0).status_code == 201
    trace = fed.b.http.get("/v1/reports/recall", params={"chemistry": "LFP"}, headers=regulator.auth)
    assert trace.status_code == 200, trace.text
    assert [(p["code"], p["manufacturer"], p["foreign_manufacturer"]) for p in trace.json()["packs"]] == [
        (code(10), "manufacturer", None),
        *((pack, "recycler", ORIGIN_MAKER) for pack in ARRIVED),
    ]
    csv = fed.b.http.get("/v1/reports/recall", params={"chemistry": "LFP", "format": "csv"}, headers=regulator.auth)
    header, made_here, arrived = csv.text.splitlines()[:3]
    assert header.split(",")[-1] == "foreign_manufacturer"
    assert made_here.endswith(",") and arrived.endswith(f",{ORIGIN_MAKER}")


def test_a_pack_imported_on_the_origin_names_its_foreign_manufacturer(fed: Federation) -> None:
    """Imported on A by A's importer, handed over to B: the trace names the maker abroad, not the importer."""
    importer, regulator = fed.a.parties[Role.IMPORTER], fed.b.parties[Role.REGULATOR]
    pack = code(1731, maker="0XM")
    imported = {
        "foreign_manufacturer": {"name": "LG Energy Solution", "country": "KR"},
        "customs_declaration": "370120261000004711",
        "import_date": "2026-01-20",
    }
    assert fed.a.post(importer, pack, "produced", {**PRODUCED, "imported": imported}, 0).status_code == 201
    transfer = {"platform": fed.b.ledger.signer.origin, "to": "recycler"}
    assert fed.a.post(importer, pack, "transferred", transfer, 1).status_code == 201
    assert fed.arrive(fed.arrival(fed.fetch(pack))).status_code == 201
    trace = fed.b.http.get("/v1/reports/recall", params={"chemistry": "LFP"}, headers=regulator.auth).json()
    assert [(p["code"], p["manufacturer"], p["foreign_manufacturer"]) for p in trace["packs"]] == [
        *((arrived, "recycler", ORIGIN_MAKER) for arrived in ARRIVED),
        (pack, "recycler", "LG Energy Solution (KR)"),
    ]


def test_the_batch_filter_finds_the_origins_batch(fed: Federation) -> None:
    regulator = fed.b.parties[Role.REGULATOR]
    found = fed.b.http.get("/v1/packs", params={"batch": "FJ-B7"}, headers=regulator.auth)
    assert found.status_code == 200, found.text
    assert [p["code"] for p in found.json()["packs"]] == ARRIVED
    assert fed.b.http.get("/v1/packs", params={"batch": "B7"}, headers=regulator.auth).json()["packs"] == []


def test_a_quality_warning_on_arrived_packs_names_the_origins_producer_batch_and_plant(fed: Federation) -> None:
    """Three arrived packs of plant FJ-P1 with three thermal events each, three of FJ-P2 without, all of batch
    FJ-B7, beside forty made in B with one incident in all."""
    regulator, maker = fed.b.parties[Role.REGULATOR], fed.b.parties[Role.MANUFACTURER]
    thermal = {"kind": "thermal_event", "severity": "high", "description": "热失控 thermal runaway"}
    for pack in ARRIVED[:3]:
        for hours in (20, 21, 22):
            assert fed.b.post(regulator, pack, "incident", thermal, hours).status_code == 201
    for serial in range(10, 50):
        assert fed.b.post(maker, code(serial), "produced", PRODUCED, 0).status_code == 201
    assert fed.b.post(regulator, code(10), "incident", {**thermal, "kind": "collision"}, 1).status_code == 201
    report = fed.b.http.get("/v1/reports/warnings", headers=regulator.auth)
    assert report.status_code == 200, report.text
    alarms = {(a["dimension"], tuple(sorted(a["group"].items()))): a for a in report.json()["alarms"]}
    assert list(alarms) == [("maker+batch", (("batch", "FJ-B7"), ("maker", "recycler")))]
    [alarm] = alarms.values()
    assert (alarm["packs"], alarm["incidents"], alarm["weighted_incidents"], alarm["foreign_manufacturers"]) == (
        6, 9, 27, [ORIGIN_MAKER]
    )  # fmt: skip
    # the alarm's trace names the receiver, the arrived packs' manufacturer of record (no maker): it answers
    trace = fed.b.http.get(alarm["trace_api"], headers=regulator.auth)
    assert trace.status_code == 200, trace.text
    assert sorted(p["code"] for p in trace.json()["packs"]) == sorted(ARRIVED)
    assert alarm["trace_packs"] == len(ARRIVED)


def test_a_quality_warning_on_an_origin_plant(fed: Federation) -> None:
    """Four more arrived packs, each of its own batch, of plant FJ-P3, with two thermal events each (a
    batch of two incidents is not tested): the plant's group alarms, the maker's too."""
    regulator, maker = fed.b.parties[Role.REGULATOR], fed.b.parties[Role.MANUFACTURER]
    thermal = {"kind": "thermal_event", "severity": "high", "description": "热失控 thermal runaway"}
    for n, pack in enumerate(code(serial) for serial in range(1721, 1725)):
        fed.transfer(pack, {**PRODUCED, "batch": f"FJ-C{n}", "plant": "FJ-P3"})
        assert fed.arrive(fed.arrival(fed.fetch(pack))).status_code == 201
        for hours in (20, 21):
            assert fed.b.post(regulator, pack, "incident", thermal, hours).status_code == 201
    for serial in range(10, 50):
        assert fed.b.post(maker, code(serial), "produced", PRODUCED, 0).status_code == 201
    assert fed.b.post(regulator, code(10), "incident", {**thermal, "kind": "collision"}, 1).status_code == 201
    report = fed.b.http.get("/v1/reports/warnings", headers=regulator.auth)
    assert report.status_code == 200, report.text
    alarms = {(a["dimension"], tuple(sorted(a["group"].items()))): a for a in report.json()["alarms"]}
    assert {group: (a["packs"], a["incidents"], a["foreign_manufacturers"]) for group, a in alarms.items()} == {
        ("maker+plant", (("maker", "recycler"), ("plant", "FJ-P3"))): (4, 8, [ORIGIN_MAKER]),
        ("maker", (("maker", "recycler"),)): (10, 8, [ORIGIN_MAKER]),
    }


@pytest.mark.parametrize("scope", [{"batch": "FJ-B7"}, {"batch": "FJ-B7", "chemistry": "LFP"}])
def test_a_recall_campaigns_batch_scope_holds_the_arrived_packs(fed: Federation, scope: dict[str, str]) -> None:
    """A batch alone (the codes whose first entry names it) and a batch with other fields (the packs those
    find, kept by their batch): the arrived packs of the origin's batch, and no pack made in B."""
    regulator, maker = fed.b.parties[Role.REGULATOR], fed.b.parties[Role.MANUFACTURER]
    assert fed.b.post(maker, code(10), "produced", {**PRODUCED, "batch": "B7"}, 0).status_code == 201
    body = {"id": "R-FED-1", "reason": "电芯批次缺陷 / cell batch defect", "scope": scope}
    planned = fed.b.http.post("/v1/recalls/scope", json=body, headers=regulator.auth)
    assert planned.status_code == 200, planned.text
    assert planned.json()["codes"] == ARRIVED
