"""The world of the label and scan tests: the app with a public URL of its own, and packs in the states the
tests need, made over HTTP by the parties of tests.api."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings
from events.codes import make_second_life_code
from events.orgs import Role
from ledger.log import Ledger
from tests.api.parties import ADMIN_TOKEN, Party
from tests.api.scenario import PRODUCED, code, post, produced

PUBLIC_URL = "https://trace.fj.example.gov.cn"
SEALING_KEY = bytes(range(32))
MAKER_NAME = "The manufacturer"  # tests.api.parties names each party "The <role>"


def labels_app(ledger: Ledger, tmp_path: Path, database_url: str) -> FastAPI:
    """The API over `ledger`, with this module's public URL, the test admin token and a 4 MiB body limit."""
    settings = Settings(
        database_url=database_url,
        public_url=PUBLIC_URL,
        log_key_file=tmp_path / "log.key",
        admin_token=ADMIN_TOKEN,
        max_body_bytes=4 * 1024 * 1024,
    )
    return create_app(ledger, settings=settings)


def url_of(pack: str) -> str:
    return f"{PUBLIC_URL}/p/{pack}"


def shipped(client: httpx.Client, parties: dict[Role, Party], serial: int, to: Role) -> str:
    """A pack the maker produced and shipped to the party of role `to` (in transit, not yet received)."""
    maker, receiver = parties[Role.MANUFACTURER], parties[to]
    pack = code(serial)
    produced(client, parties, serial)
    post(client, maker, maker.claim(pack, "shipped", {"to": receiver.id}))
    return pack


def handed_over(client: httpx.Client, parties: dict[Role, Party], pack: str, frm: Role, to: Role) -> None:
    sender, receiver = parties[frm], parties[to]
    post(client, sender, sender.claim(pack, "shipped", {"to": receiver.id}))
    post(client, receiver, receiver.claim(pack, "received", {"from": sender.id}))


def second_life(client: httpx.Client, parties: dict[Role, Party], serials: list[int]) -> tuple[str, list[str]]:
    """Packs retired by the automaker and repurposed by the second-life company into one new product."""
    automaker, s2l = parties[Role.AUTOMAKER], parties[Role.SECOND_LIFE]
    originals = []
    for serial in serials:
        pack = code(serial)
        produced(client, parties, serial)
        handed_over(client, parties, pack, Role.MANUFACTURER, Role.AUTOMAKER)
        post(client, automaker, automaker.claim(pack, "retired", {"reason": "end_of_life"}))
        handed_over(client, parties, pack, Role.AUTOMAKER, Role.SECOND_LIFE)
        originals.append(pack)
    product = make_second_life_code("S2L", "pack", "B", "A1", date(2026, 2, 1), serials[0])
    events = [s2l.claim(pack, "repurposed", {"into": product}) for pack in originals]
    events.append(s2l.claim(product, "produced", {**PRODUCED, "rated_capacity_kwh": 40.0, "from": originals}))
    response = client.post("/v1/events/batch", json={"events": events}, headers=s2l.auth)
    assert response.status_code == 201, response.text
    return product, originals
