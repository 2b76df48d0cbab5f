"""Recall campaigns (issue 15, acceptance 4): a campaign over 1,000 packs, its completion as packs are
serviced with its id, the overdue ones, its CSV; the refusals."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.settings import Settings
from events.codes import make_code
from events.orgs import Org, Role
from ledger.append.rules import DOMAIN
from ledger.log import Ledger
from ledger.store import recallrows
from ledger.store.db import write_connection
from ledger.store.recallrows import CampaignRow
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from ledger.usecases.verify import verify_database
from tests.api.parties import Party, raw_public
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED
from tests.web.login import login_cookie

PACKS = 1_000
REASON = "电芯批次缺陷 / cell batch defect"


def pack_code(serial: int, *, maker: str = "001", spec: str = "12") -> str:
    return make_code(maker, "pack", "B", spec, "ABCDEFG", date(2026, 1, 15), serial)


def post_batch(client: httpx.Client, party: Party, events: list[dict[str, Any]]) -> None:
    response = client.post("/v1/events/batch", json={"events": events}, headers=party.auth)
    assert response.status_code == 201, response.text[:500]


def produce(client: httpx.Client, maker: Party, serials: range, *, code_maker: str = "001", batch: str = "B1") -> None:
    events = [maker.claim(pack_code(n, maker=code_maker), "produced", {**PRODUCED, "batch": batch}) for n in serials]
    post_batch(client, maker, events)


def draft(campaign: str, scope: dict[str, Any], *, due: str | None = "2026-03-02") -> dict[str, Any]:
    body: dict[str, Any] = {"id": campaign, "reason": REASON, "scope": scope}
    if due is not None:
        body["due"] = due
    return body


def create(client: httpx.Client, party: Party, body: dict[str, Any]) -> httpx.Response:
    """Resolve the scope, sign one `recalled` claim per pack with the party's key, post the campaign."""
    scope = client.post("/v1/recalls/scope", json=body, headers=party.auth)
    assert scope.status_code == 200, scope.text
    plan = scope.json()
    claims = [party.claim(code, "recalled", plan["data"]) for code in plan["codes"]]
    return client.post("/v1/recalls", json={**body, "claims": claims}, headers=party.auth)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A thousand signed claims in one body: the production limit (16 MiB), not the API tests' 256 KiB."""
    return settings.model_copy(update={"max_body_bytes": 4 * 1024 * 1024})


@pytest.fixture
def other_maker(ledger: Ledger) -> Party:
    """A second manufacturer, maker code 002."""
    key = Ed25519PrivateKey.generate()
    org = Org("maker-two", "The other maker", frozenset({Role.MANUFACTURER}), frozenset({"002"}))
    tokens = orgkeys.register_many(ledger, ADMIN, [(org, [("maker-two/1", raw_public(key))])])
    return Party("maker-two", tokens["maker-two"], "maker-two/1", key)


def test_campaign_over_1000_packs_completes_as_packs_are_serviced(
    client: httpx.Client, parties: dict[Role, Party], ledger: Ledger
) -> None:
    maker, regulator = parties[Role.MANUFACTURER], parties[Role.REGULATOR]
    produce(client, maker, range(1, PACKS + 1))
    created = create(client, regulator, draft("R-2026-01", {"maker": "manufacturer", "batch": "B1"}))
    assert created.status_code == 201, created.text
    assert created.json()["packs"] == PACKS
    assert len(created.json()["results"]) == PACKS

    report = client.get("/v1/recalls/R-2026-01", headers=regulator.auth).json()
    assert (report["packs"], report["remedied"], report["completion"], report["overdue"]) == (PACKS, 0, 0.0, PACKS)
    assert report["scope"] == {"maker": "manufacturer", "batch": "B1"}
    assert report["created_by"] == regulator.id
    assert all(p["recalled_at"] == "2026-03-02T01:00:00Z" for p in report["scope_packs"])

    # 400 serviced with the campaign id, 1 retired: remedied; 1 serviced without, 1 under another id: not
    fixed = [maker.claim(pack_code(n), "serviced", {"description": "换电芯", "campaign": "R-2026-01"})
             for n in range(1, 401)]  # fmt: skip
    fixed.append(maker.claim(pack_code(401), "retired", {"reason": "recall"}))
    fixed.append(maker.claim(pack_code(402), "serviced", {"description": "保养"}))
    fixed.append(maker.claim(pack_code(403), "serviced", {"description": "x", "campaign": "R-OTHER"}))
    post_batch(client, maker, fixed)

    report = client.get("/v1/recalls/R-2026-01", headers=regulator.auth).json()
    assert (report["packs"], report["remedied"], report["completion"]) == (PACKS, 401, 0.401)
    assert report["overdue"] == PACKS - 401
    assert report["overdue_packs"] == [pack_code(n) for n in range(402, PACKS + 1)]
    by_code = {p["code"]: p for p in report["scope_packs"]}
    assert by_code[pack_code(1)]["remedy"] == "serviced" and by_code[pack_code(1)]["remedied"] is True
    assert by_code[pack_code(401)]["remedy"] == "retired" and by_code[pack_code(401)]["status"] == "retired"
    assert by_code[pack_code(402)]["remedied"] is False and by_code[pack_code(403)]["remedied"] is False

    listed = client.get("/v1/recalls", headers=regulator.auth).json()["campaigns"]
    assert [(c["id"], c["packs"], c["remedied"], c["completion"]) for c in listed] == [("R-2026-01", PACKS, 401, 0.401)]

    response = client.get("/v1/recalls/R-2026-01?format=csv", headers=regulator.auth)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == PACKS
    assert sum(row["remedied"] == "true" for row in rows) == 401
    assert [row["code"] for row in rows if row["overdue"] == "true"] == report["overdue_packs"]

    # the page shows the same figures and the same rows as its CSV, in Chinese and in English
    cookie = login_cookie(client, regulator.token)
    page = client.get("/regulator/campaigns/R-2026-01", headers=cookie)
    assert page.status_code == 200
    html = page.text
    assert '<span id="campaign-packs">1000</span>' in html
    assert '<span id="campaign-remedied">401</span>' in html
    assert '<span id="campaign-overdue">599</span>' in html
    assert '<span id="campaign-completion">40.1%</span>' in html
    shown = re.findall(r'data-code="([^"]+)" data-remedied="(true|false)" data-overdue="(true|false)"', html)
    assert shown == [(row["code"], row["remedied"], row["overdue"]) for row in rows]
    assert "完成率" in html and "逾期未处置的电池" in html
    assert html.count('<li><a href="/regulator/packs/') == 200 and "另有 399 块逾期电池，见下表及 CSV。" in html
    english = client.get("/regulator/campaigns/R-2026-01?lang=en", headers=cookie).text
    assert "Completion" in english and "Overdue packs" in english
    page_csv = client.get("/regulator/campaigns/R-2026-01.csv?lang=en", headers=cookie)
    assert page_csv.text == response.text  # in English, the API's CSV (no float to round)
    chinese = client.get("/regulator/campaigns/R-2026-01.csv", headers=cookie).text
    assert chinese.startswith("\ufeff电池编码,状态,持有单位标识,持有单位,召回时间,已整改,整改方式,整改时间,逾期\r\n")
    listing = client.get("/regulator/campaigns", headers=cookie).text
    assert '<a class="code" href="/regulator/campaigns/R-2026-01">R-2026-01</a>' in listing
    assert client.get("/regulator/campaigns", headers=login_cookie(client, maker.token)).status_code == 403

    # the log with the campaign's entries verifies (packtrace verify), by today's admission rules too
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []
    assert verify_database(ledger.engine, ledger.signer.verifier_key, validator=DOMAIN).problems == []


def test_a_manufacturer_recalls_its_own_packs_only(
    client: httpx.Client, parties: dict[Role, Party], other_maker: Party
) -> None:
    maker = parties[Role.MANUFACTURER]
    produce(client, maker, range(1, 4))
    produce(client, other_maker, range(1, 3), code_maker="002")
    body = draft("M-1", {"batch": "B1"})
    response = client.post("/v1/recalls/scope", json=body, headers=maker.auth)
    assert_problem(
        response, 403, "not_own_packs",
        "org 'manufacturer' (manufacturer) may recall only its own packs: 2 of the 5 packs in scope were made "
        "by 'maker-two'",
    )  # fmt: skip
    own = create(client, maker, draft("M-1", {"maker": "001"}, due=None))
    assert own.status_code == 201, own.text
    assert own.json()["packs"] == 3
    # the manufacturer follows its own campaign; the other one sees no campaign of its own
    assert client.get("/v1/recalls/M-1", headers=maker.auth).json()["completion"] == 0.0
    assert client.get("/v1/recalls", headers=other_maker.auth).json() == {"campaigns": []}
    assert_problem(
        client.get("/v1/recalls/M-1", headers=other_maker.auth), 403, "forbidden",
        "only a regulator may follow a recall campaign; you are org 'maker-two' (manufacturer)",
    )  # fmt: skip


def test_refusals(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker, regulator = parties[Role.MANUFACTURER], parties[Role.REGULATOR]
    produce(client, maker, range(1, 3))
    auth = regulator.auth
    assert_problem(
        client.post("/v1/recalls/scope", json=draft("X", {}), headers=auth), 422, "empty_scope",
        "a campaign's scope needs at least one of maker, batch, spec, produced_from, produced_to, chemistry, codes",
    )  # fmt: skip
    assert_problem(
        client.post("/v1/recalls/scope", json=draft("X", {"batch": "NOPE"}), headers=auth), 422, "empty_scope",
        "the scope matches no pack that can be recalled",
    )  # fmt: skip
    assert_problem(
        client.post("/v1/recalls/scope", json=draft("X", {"maker": "ZZZ"}), headers=auth), 422,
        "unknown_manufacturer",
        "unknown manufacturer 'ZZZ': no maker's organisation id, manufacturer code or registered name matches it",
    )  # fmt: skip
    missing = pack_code(99)
    assert_problem(
        client.post("/v1/recalls/scope", json=draft("X", {"codes": [missing]}), headers=auth), 422, "unknown_pack",
        f"codes: 1 pack(s) not in the log: {missing}",
    )  # fmt: skip
    assert create(client, regulator, draft("DUP", {"maker": "001"})).status_code == 201
    assert_problem(
        client.post("/v1/recalls/scope", json=draft("DUP", {"maker": "001"}), headers=auth), 409, "campaign_exists",
        "a recall campaign 'DUP' exists already",
    )  # fmt: skip
    # claims that are not exactly the scope's: refused, and no campaign is left behind
    one = regulator.claim(pack_code(1), "recalled", {"campaign": "PART", "reason": REASON, "due": "2026-03-02"})
    assert_problem(
        client.post("/v1/recalls", json={**draft("PART", {"maker": "001"}), "claims": [one]}, headers=auth), 422,
        "claims_do_not_match_scope",
        f"the claims do not match the campaign's scope: 1 pack(s) in scope have no claim: {pack_code(2)}",
    )  # fmt: skip
    assert_problem(client.get("/v1/recalls/PART", headers=auth), 404, "unknown_campaign", "no recall campaign 'PART'")
    assert_problem(
        client.post("/v1/recalls/scope", json=draft("X", {"maker": "001"}), headers=parties[Role.RECYCLER].auth),
        403, "forbidden",
        "only a regulator or a manufacturer may create a recall campaign; you are org 'recycler' (recycler)",
    )  # fmt: skip


def test_the_primary_key_decides_a_race_for_a_campaign_id(ledger: Ledger) -> None:
    """Two requests that both found the id free: the second reservation writes nothing and says so."""
    first = CampaignRow("RACE", "why", {"batch": "B1"}, None, "regulator", datetime(2026, 3, 3, tzinfo=UTC), {}, 1)
    second = first._replace(reason="another", created_by="manufacturer")
    with write_connection(ledger.engine) as conn, conn.begin():
        assert recallrows.reserve(conn, first, ["A"]) is True
    with write_connection(ledger.engine) as conn, conn.begin():
        assert recallrows.reserve(conn, second, ["B"]) is False
    with ledger.engine.connect() as conn:
        found = recallrows.campaign(conn, "RACE")
        assert found is not None and (found.reason, found.created_by, found.packs) == ("why", "regulator", 1)
    with write_connection(ledger.engine) as conn, conn.begin():
        recallrows.release(conn, "RACE")
    with ledger.engine.connect() as conn:
        assert recallrows.campaign(conn, "RACE") is None


def test_a_scope_names_its_maker_by_id_code_or_registered_name_in_any_case(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    """The scope's maker is resolved like every maker filter (ledger.usecases.makers): the same packs."""
    maker, regulator = parties[Role.MANUFACTURER], parties[Role.REGULATOR]
    produce(client, maker, range(1, 4))
    found = [
        client.post("/v1/recalls/scope", json=draft("X", {"maker": name}), headers=regulator.auth).json()["codes"]
        for name in ("manufacturer", "001", "The manufacturer", "the MANUFACTURER", " MANUFACTURER ")
    ]
    assert found == [[pack_code(n) for n in range(1, 4)]] * 5
