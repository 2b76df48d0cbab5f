"""Packs in known states, made over HTTP."""

from __future__ import annotations

from datetime import date

import httpx

from events.codes import make_code
from events.orgs import Role
from tests.api.parties import VIN, Party

PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}
NCM = {"chemistry": "NCM", "rated_capacity_kwh": 75.0, "nominal_voltage_v": 400.0, "mass_kg": 420.0}


def code(serial: int, *, chemistry: str = "B", day: date = date(2026, 1, 15)) -> str:
    return make_code("001", "pack", chemistry, "12", "ABCDEFG", day, serial)


def post(client: httpx.Client, party: Party, body: dict[str, object]) -> str:
    """Post one event that must be accepted; answer its entry hash."""
    response = client.post("/v1/events", json=body, headers=party.auth)
    assert response.status_code == 201, response.text
    digest: str = response.json()["hash"]
    return digest


def produced(client: httpx.Client, parties: dict[Role, Party], serial: int, data: dict[str, object] = PRODUCED) -> str:
    maker = parties[Role.MANUFACTURER]
    return post(client, maker, maker.claim(code(serial, chemistry="E" if data is NCM else "B"), "produced", data))


def in_vehicle(client: httpx.Client, parties: dict[Role, Party], serial: int, vin: str = VIN) -> list[str]:
    """produced → shipped to the automaker → received → installed in `vin`: the four entry hashes."""
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    pack = code(serial)
    return [
        produced(client, parties, serial),
        post(client, maker, maker.claim(pack, "shipped", {"to": automaker.id, "waybill": "SF123"})),
        post(client, automaker, automaker.claim(pack, "received", {"from": maker.id})),
        post(client, automaker, automaker.claim(pack, "installed", {"vin": vin})),
    ]


def in_a_recovered_lot(
    client: httpx.Client, parties: dict[Role, Party], lot: str, black_mass: dict[str, object]
) -> list[str]:
    """Two NCM packs retired at the recycler, put into `lot` (opened with `black_mass`), whose recovery is
    reported: the packs' codes."""
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    packs = [code(n, chemistry="E") for n in (1, 2)]
    for pack in packs:
        post(client, maker, maker.claim(pack, "produced", NCM))
        post(client, maker, maker.claim(pack, "shipped", {"to": recycler.id}))
        post(client, recycler, recycler.claim(pack, "received", {"from": maker.id}))
        post(client, recycler, recycler.claim(pack, "retired", {"reason": "end_of_life"}))
    post(client, recycler, recycler.claim(lot, "lot_opened", {"black_mass": [black_mass]}))
    for pack in packs:
        post(client, recycler, recycler.claim(pack, "lotted", {"lot": lot}))
    report = {"packs": packs, "content_kg": {"Ni": 150.0}, "recovered_kg": {"Ni": 148.5}}
    post(client, recycler, recycler.claim(lot, "lot_recovered", report))
    return packs
