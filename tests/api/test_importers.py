"""Importers over HTTP (issue 16): an importer registers an imported pack with `produced` and `imported`
under its own maker code; the foreign manufacturer and the import date show from the legitimate-interest tier
up, the 报关单号 on the authority tier only (the view, the `technical` payload and the history)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from events.codes import make_code
from events.orgs import Role
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code, post, produced

PACK = make_code("0XM", "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), 1)
CUSTOMS = "370120261000004711"
IMPORTED = {
    "foreign_manufacturer": {"name": "LG Energy Solution", "country": "KR"},
    "customs_declaration": CUSTOMS,
    "import_date": "2026-02-20",
}


@pytest.fixture
def importer(client: httpx.Client, parties: dict[Role, Party]) -> Party:
    """PACK imported by the importer and shipped to the automaker."""
    importer, automaker = parties[Role.IMPORTER], parties[Role.AUTOMAKER]
    post(client, importer, importer.claim(PACK, "produced", {**PRODUCED, "imported": IMPORTED}))
    post(client, importer, importer.claim(PACK, "shipped", {"to": automaker.id}))
    post(client, automaker, automaker.claim(PACK, "received", {"from": importer.id}))
    return importer


def test_the_regulator_sees_the_foreign_manufacturer_and_the_customs_declaration(
    client: httpx.Client, parties: dict[Role, Party], importer: Party
) -> None:
    view = client.get(f"/v1/packs/{PACK}", headers=parties[Role.REGULATOR].auth).json()
    assert (view["manufacturer"], view["maker_code"], view["custodian"]) == ("importer", "0XM", "automaker")
    assert view["foreign_manufacturer"] == {"name": "LG Energy Solution", "country": "KR"}
    assert (view["import_date"], view["customs_declaration"]) == ("2026-02-20", CUSTOMS)
    assert view["technical"]["imported"] == IMPORTED


def test_below_the_authority_tier_the_customs_declaration_is_withheld(
    client: httpx.Client, parties: dict[Role, Party], importer: Party
) -> None:
    automaker = parties[Role.AUTOMAKER]
    view = client.get(f"/v1/packs/{PACK}", headers=automaker.auth).json()
    assert view["tier"] == "legitimate_interest"
    assert view["foreign_manufacturer"] == {"name": "LG Energy Solution", "country": "KR"}
    assert (view["import_date"], view["customs_declaration"]) == ("2026-02-20", None)
    assert view["technical"]["imported"] == {k: v for k, v in IMPORTED.items() if k != "customs_declaration"}
    history = client.get(f"/v1/packs/{PACK}/events", headers=parties[Role.RECYCLER].auth).json()["events"]
    # the history's redaction withholds the 报关单号 by its name; here it withholds `foreign_manufacturer` too,
    # because this test province has an organisation whose id is the word "manufacturer" (redaction's rule 3
    # over-redacts on purpose: ledger.format.redaction)
    assert history[0]["redacted"] == ["data.imported.customs_declaration", "data.imported.foreign_manufacturer"]
    assert CUSTOMS not in str(history) and CUSTOMS not in str(view)
    public = client.get(f"/v1/packs/{PACK}").json()
    assert (public["foreign_manufacturer"], public["import_date"], public["customs_declaration"]) == (None, None, None)


def test_an_importer_without_the_import_is_refused(client: httpx.Client, parties: dict[Role, Party]) -> None:
    importer = parties[Role.IMPORTER]
    response = client.post("/v1/events", json=importer.claim(PACK, "produced", PRODUCED), headers=importer.auth)
    assert_problem(
        response, 403, "forbidden",
        "org 'importer' (importer) may not post 'produced': requires the manufacturer role and ownership of the "
        "maker prefix '0XM'",
    )  # fmt: skip


def test_the_importer_is_a_maker_filter(client: httpx.Client, parties: dict[Role, Party], importer: Party) -> None:
    page = client.get("/v1/packs", params={"manufacturer": "0xm"}, headers=parties[Role.REGULATOR].auth).json()
    assert [pack["code"] for pack in page["packs"]] == [PACK]


def imported_code(serial: int) -> str:
    return make_code("0XM", "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), serial)


def test_the_recall_trace_names_the_foreign_manufacturer_beside_the_importer(
    client: httpx.Client, parties: dict[Role, Party], importer: Party
) -> None:
    regulator = parties[Role.REGULATOR]
    produced(client, parties, 2)
    made_here = code(2)
    trace = client.get("/v1/reports/recall", params={"manufacturer": "0XM"}, headers=regulator.auth).json()
    assert [(p["code"], p["manufacturer"], p["foreign_manufacturer"]) for p in trace["packs"]] == [
        (PACK, "importer", "LG Energy Solution (KR)")
    ]
    ours = client.get("/v1/reports/recall", params={"manufacturer": "001"}, headers=regulator.auth).json()["packs"]
    assert [(p["code"], p["foreign_manufacturer"]) for p in ours] == [(made_here, None)]
    csv = client.get("/v1/reports/recall", params={"manufacturer": "0XM", "format": "csv"}, headers=regulator.auth)
    header, row = csv.text.splitlines()[:2]
    assert header.split(",")[-1] == "foreign_manufacturer" and row.endswith(",LG Energy Solution (KR)")


def test_a_quality_warning_on_imported_packs_names_their_foreign_manufacturer(
    client: httpx.Client, parties: dict[Role, Party], importer: Party
) -> None:
    """Six imported packs with two thermal events each beside forty made here with one incident in all: the
    importer's group alarms, and names the foreign manufacturer; the maker's own groups name none."""
    regulator, maker = parties[Role.REGULATOR], parties[Role.IMPORTER]
    thermal = {"kind": "thermal_event", "severity": "high", "description": "热失控 thermal runaway"}
    imported = [PACK]
    for serial in range(2, 7):
        imported.append(imported_code(serial))
        post(client, maker, maker.claim(imported[-1], "produced", {**PRODUCED, "imported": IMPORTED}))
    for pack in imported:
        for _ in range(2):
            post(client, regulator, regulator.claim(pack, "incident", thermal))
    for serial in range(10, 50):
        produced(client, parties, serial)
    post(client, regulator, regulator.claim(code(10), "incident", {**thermal, "kind": "collision"}))
    report = client.get("/v1/reports/warnings", headers=regulator.auth).json()
    alarms = {(a["dimension"], tuple(sorted(a["group"].items()))): a["foreign_manufacturers"] for a in report["alarms"]}
    assert alarms[("maker", (("maker", "importer"),))] == ["LG Energy Solution (KR)"]
    assert all(
        names == ["LG Energy Solution (KR)"] for (_, group), names in alarms.items() if ("maker", "importer") in group
    )
    assert all(names == [] for (_, group), names in alarms.items() if ("maker", "importer") not in group)
