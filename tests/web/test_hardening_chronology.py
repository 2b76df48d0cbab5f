"""Issue 11, item 10 (first bullet) over HTTP: the per-pack chronology answers 422 with a code per rule,
and the compliance report no longer counts an event of year 1 as "528,252 working days late"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from events.orgs import Role
from ledger.format.claims import sign_claim
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.api.scenario import code, post, produced
from tests.support import T0

INCIDENT = {"kind": "fire", "severity": "low", "description": "smoke"}


def test_item10_an_event_of_year_one_is_422_at_before_2000(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker = parties[Role.MANUFACTURER]
    produced(client, parties, 1)
    body = maker.claim(code(1), "incident", INCIDENT)
    body["claim"]["at"] = "0001-01-01T00:00:00Z"  # as an attacker writes it (strftime would drop the zeros)
    body["sig"] = sign_claim(body["claim"], maker.private)
    assert_problem(
        client.post("/v1/events", json=body, headers=maker.auth),
        422,
        "at_before_2000",
        "event time 0001-01-01T00:00:00Z is before 2000-01-01T00:00:00Z: no event of a pack in the record is that old",
    )
    report = client.get("/v1/reports/compliance", headers=parties[Role.REGULATOR].auth).json()
    assert report["late"] == []


def test_item10_before_production_and_out_of_order_are_422_with_their_codes(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    produced(client, parties, 2)  # made 2026-01-15, produced at T0 (2026-03-02)
    before_made = maker.claim(code(2), "incident", INCIDENT, at=datetime(2026, 1, 14, 12, 0, tzinfo=UTC))
    response = client.post("/v1/events", json=before_made, headers=maker.auth)
    assert_problem(response, 422, "at_before_production")
    post(client, maker, maker.claim(code(2), "shipped", {"to": automaker.id}, at=T0 + timedelta(hours=2)))
    early = automaker.claim(code(2), "received", {"from": maker.id}, at=T0 + timedelta(hours=1))
    assert_problem(client.post("/v1/events", json=early, headers=automaker.auth), 422, "at_out_of_order")
    # a flag may be reported for an earlier moment, after production
    post(client, maker, maker.claim(code(2), "incident", INCIDENT, at=T0 - timedelta(days=30)))
