"""Places and scope under attack (issue 15, acceptance 7; found by a review of the first version): a city's
regulator may not widen its scope by writing, reach other cities through the registry, the scan page, labels,
a filter or a campaign's definition; a regulator of another province sees none of Fujian; the per-city
figures are the same in every view. The module builds its own province: some tests write to it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from api.client import Signer
from events.orgs import Org, Role
from events.warnings import DEFAULT_RULES
from ledger.format.claims import make_signed_claim
from ledger.usecases import orgkeys, workspace
from ledger.usecases.access import ADMIN, Caller
from ledger.usecases.reports.warnings import warnings
from tests.web import province as prov
from tests.web.conftest import World
from tests.web.login import session_cookie
from tests.web.recount import Recount, fetch_log
from tests.web.test_regions import located, touching

PROVINCE, CITY = "fj-miit", "xm-miit"
INCIDENT = {"kind": "other", "severity": "low", "description": "巡检 inspection"}


@pytest.fixture(scope="module")
def recount(world: World, web_client: httpx.Client) -> Recount:
    return Recount(world.province.orgs, fetch_log(web_client, world.province.token(PROVINCE)))


@pytest.fixture(scope="module")
def outside(world: World, recount: Recount) -> str:
    """A pack in a vehicle that never touched Xiamen."""
    xiamen = touching(recount, located(world, "3502"))
    return min(c for c in set(recount.packs) - xiamen if recount.packs[c].status == "in_vehicle")


@pytest.fixture(scope="module")
def inside(world: World, recount: Recount) -> str:
    xiamen = touching(recount, located(world, "3502"))
    return min(c for c in xiamen if recount.packs[c].status == "in_vehicle")


def signer(world: World, org: str) -> Signer:
    return Signer(org, f"{org}/1", world.province.keys[org])


def refusal(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["detail"]


def test_a_city_regulator_posts_only_on_its_citys_packs(
    world: World, web_client: httpx.Client, outside: str, inside: str
) -> None:
    body = signer(world, CITY).sign(outside, "incident", INCIDENT, at=prov.NOW - timedelta(minutes=5))
    assert refusal(web_client.post("/v1/events", json=body, headers=world.auth(CITY))) == (
        403,
        "out_of_jurisdiction",
        f"a regulator of 350200 (Xiamen) posts on the packs of its region only; {outside} never touched it",
    )
    batch = {"events": [body]}
    assert web_client.post("/v1/events/batch", json=batch, headers=world.auth(CITY)).status_code == 403
    assert web_client.get(f"/v1/packs/{outside}", headers=world.auth(CITY)).json()["tier"] == "legitimate_interest"
    ok = signer(world, CITY).sign(inside, "incident", INCIDENT, at=prov.NOW - timedelta(minutes=5))
    assert web_client.post("/v1/events", json=ok, headers=world.auth(CITY)).status_code == 201


def test_a_regulators_own_entries_do_not_make_a_pack_its_own(world: World, web_client: httpx.Client) -> None:
    """An entry a city's regulator recorded on another city's pack (one recorded before the refusal above, or
    by a regulator whose region changed since) does not open the pack to it."""
    state = world.ledger.pack_state(
        min(c for c, p in fetch_packs(web_client, world).items() if p == "in_vehicle")
    )  # any pack of the province that Xiamen does not touch, read fresh
    assert state is not None
    code = state.code
    claim, sig = make_signed_claim(
        world.province.keys[CITY], pack=code, type="incident", actor=CITY, key=f"{CITY}/1", data=INCIDENT,
        at=prov.NOW - timedelta(minutes=4),
    )  # fmt: skip
    world.ledger.append_one(claim, sig)  # straight into the ledger: the API would refuse it
    assert web_client.get(f"/v1/packs/{code}", headers=world.auth(CITY)).json()["tier"] == "legitimate_interest"


def fetch_packs(client: httpx.Client, world: World) -> dict[str, str]:
    """Status of every pack the province's regulator lists that Xiamen's does not."""

    def codes(org: str) -> dict[str, str]:
        found: dict[str, str] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/packs", params=params, headers=world.auth(org)).json()
            found.update({p["code"]: p["status"] for p in page["packs"]})
            cursor = page["next"]
            if cursor is None:
                return found

    city = codes(CITY)
    return {code: status for code, status in codes(PROVINCE).items() if code not in city}


def test_a_city_regulator_changes_the_registry_of_its_city_only(world: World, web_client: httpx.Client) -> None:
    off = signer(world, CITY).whitelist_changed(
        "brunp", listed=False, effective=date(2026, 8, 3), reference="厦门市公告", at=prov.NOW
    )
    assert refusal(web_client.post("/v1/registry", json=off, headers=world.auth(CITY))) == (
        403,
        "out_of_jurisdiction",
        "'xm-miit' is a regulator of 350200 (Xiamen); org:brunp is located in 350900, outside its jurisdiction",
    )
    revoke = signer(world, CITY).key_revoked("gem/1", at=prov.NOW)
    assert refusal(web_client.post("/v1/registry", json=revoke, headers=world.auth(CITY)))[:2] == (
        403,
        "out_of_jurisdiction",
    )
    assert world.ledger.org("brunp").whitelisted  # type: ignore[union-attr]


def test_scanning_a_pack_outside_the_city_shows_the_ordinary_view(
    world: World, web_client: httpx.Client, outside: str, inside: str
) -> None:
    scanned = web_client.post("/v1/scan", json={"text": outside}, headers=world.auth(CITY)).json()["pack"]
    assert (scanned["tier"], scanned["vin"]) == ("legitimate_interest", None)
    assert web_client.post("/v1/scan", json={"text": inside}, headers=world.auth(CITY)).json()["pack"]["tier"] == (
        "authority"
    )


def test_a_city_regulator_prints_the_labels_of_its_citys_packs_only(
    world: World, web_client: httpx.Client, outside: str, inside: str
) -> None:
    refused = web_client.get(f"/v1/packs/{outside}/label.svg", headers=world.auth(CITY))
    assert refusal(refused) == (
        403,
        "out_of_jurisdiction",
        f"a regulator of 350200 (Xiamen) prints the labels of its region's packs only; {outside} never touched it",
    )
    assert web_client.get(f"/v1/packs/{inside}/label.svg", headers=world.auth(CITY)).status_code == 200


def test_naming_an_organisation_outside_the_city_is_refused(world: World, web_client: httpx.Client) -> None:
    response = web_client.get("/v1/reports/compliance", params={"org": "fz-service"}, headers=world.auth(CITY))
    assert refusal(response) == (
        403,
        "out_of_jurisdiction",
        "organisation 'fz-service' is not located in your jurisdiction, 350200 (Xiamen)",
    )


def test_a_regulator_of_another_province_sees_none_of_fujian(world: World, web_client: httpx.Client) -> None:
    guangdong = Org("gd-miit", "广东省工信厅", frozenset({Role.REGULATOR}), region="440000")
    token = orgkeys.register_many(world.ledger, ADMIN, [(guangdong, [])])["gd-miit"]
    auth = {"Authorization": f"Bearer {token}"}
    assert web_client.get("/v1/packs", headers=auth).json()["packs"] == []
    assert refusal(web_client.get("/v1/packs", params={"region": "350100"}, headers=auth))[:2] == (
        403,
        "out_of_jurisdiction",
    )
    assert web_client.get("/v1/reports/compliance", headers=auth).json()["unaccounted"] == []


def test_every_city_has_the_same_figures_in_every_view(world: World) -> None:
    province = workspace.overview(world.ledger, Caller(org=world.province.orgs[PROVINCE]))
    assert len(province.cities) >= 5
    for row in province.cities:
        assert row.region is not None
        if row.region.endswith("0000"):  # the province's own regulator, located at province level
            continue
        alone = workspace.overview(world.ledger, Caller(org=world.province.orgs[PROVINCE]), region=row.region)
        assert alone.cities == [row]
    city = workspace.overview(world.ledger, Caller(org=world.province.orgs[CITY]))
    assert city.cities == [row for row in province.cities if row.region == "350200"]


def test_a_district_view_has_the_districts_row(world: World) -> None:
    haicang = workspace.overview(world.ledger, Caller(org=world.province.orgs[CITY]), region="350205")
    assert [(c.region, c.name_zh, c.orgs) for c in haicang.cities] == [
        ("350205", "厦门市海沧区", len(located(world, "350205")))
    ]


def test_an_alarms_trace_covers_the_region_of_the_report(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    """Thermal events on three packs of Fuzhou, thresholds that make every group with an incident alarm, and
    the province's regulator reading Fuzhou's warnings: each alarm's trace is Fuzhou's, and lists as many packs
    as the alarm says."""
    fuzhou = touching(recount, located(world, "3501"))
    burnt = sorted(c for c in fuzhou if recount.packs[c].status == "in_vehicle")[:3]
    for code in burnt:
        claim, sig = make_signed_claim(
            world.province.keys[PROVINCE], pack=code, type="incident", actor=PROVINCE, key=f"{PROVINCE}/1",
            data={"kind": "thermal_event", "severity": "high", "description": "热失控"},
            at=prov.NOW - timedelta(minutes=2),
        )  # fmt: skip
        world.ledger.append_one(claim, sig)
    loose = DEFAULT_RULES.__class__(**{**vars(DEFAULT_RULES), "alpha": 1.0, "min_incidents": 1})
    report = warnings(world.ledger, Caller(org=world.province.orgs[PROVINCE]), rules=loose, region="350100")
    assert report.alarms
    for alarm in report.alarms:
        assert alarm.trace.endswith("&region=350100") and alarm.trace_api.endswith("&region=350100")
        traced = web_client.get(alarm.trace_api, headers=world.auth(PROVINCE)).json()
        assert (traced["region"], traced["count"]) == ("350100", alarm.trace_packs)


def test_a_campaigns_explicit_list_shows_a_city_its_packs_only(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    xiamen = touching(recount, located(world, "3502"))
    live = [c for c, p in sorted(recount.packs.items()) if p.status == "in_vehicle"]
    codes = [c for c in live if c in xiamen][:2] + [c for c in live if c not in xiamen][:3]
    auth = world.auth(PROVINCE)
    body = {"id": "FJ-R1", "reason": "电芯批次缺陷", "scope": {"codes": codes}}
    planned = web_client.post("/v1/recalls/scope", json=body, headers=auth)
    assert planned.status_code == 200, planned.text
    plan = planned.json()
    claims = []
    for code in plan["codes"]:
        claim, sig = make_signed_claim(
            world.province.keys[PROVINCE], pack=code, type="recalled", actor=PROVINCE, key=f"{PROVINCE}/1",
            data=plan["data"], at=prov.NOW - timedelta(minutes=3),
        )  # fmt: skip
        claims.append({"claim": claim, "sig": sig})
    created = web_client.post("/v1/recalls", json={**body, "claims": claims}, headers=auth)
    assert created.status_code == 201, created.text
    seen = web_client.get("/v1/recalls/FJ-R1", headers=world.auth(CITY)).json()
    assert seen["scope"]["codes"] == codes[:2]
    assert [p["code"] for p in seen["scope_packs"]] == codes[:2]
    assert web_client.get("/v1/recalls/FJ-R1", headers=auth).json()["scope"]["codes"] == codes


def test_a_city_regulator_reads_no_handover_document_of_a_pack_outside_its_city(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    """A pack exported from outside Xiamen: its handover document holds the full bundle (VINs, counterparties),
    the authority tier's; Xiamen's regulator reads that pack as any organisation, so it is refused."""
    xiamen = touching(recount, located(world, "3502"))
    exported = sorted(c for c in set(recount.packs) - xiamen if recount.packs[c].status == "exported")
    assert exported
    for code in exported:
        answer = web_client.get(f"/v1/packs/{code}/handover", headers=world.auth(CITY))
        assert refusal(answer)[:2] == (403, "forbidden"), answer.text
        assert "only a regulator" in refusal(answer)[2]
        whole = web_client.get(f"/v1/packs/{code}/handover", headers=world.auth(PROVINCE))
        assert whole.status_code == 200 and whole.json()["bundle"]["format"] == "packtrace-bundle/3"


def test_a_city_regulator_learns_no_pack_code_from_an_entry_index_outside_its_city(
    world: World, web_client: httpx.Client, outside: str, inside: str
) -> None:
    """/regulator/entries/{index} leads to the dossier holding the entry; for a pack outside the city it must
    not redirect (the redirect would name the pack the dossier then refuses)."""
    session = session_cookie(world.ledger, world.province.token(CITY))
    index = world.ledger.pack_entries(outside)[0][0]
    answer = web_client.get(f"/regulator/entries/{index}", headers=session, follow_redirects=False)
    assert answer.status_code == 403 and outside not in answer.text and "location" not in answer.headers
    own = world.ledger.pack_entries(inside)[0][0]
    ok = web_client.get(f"/regulator/entries/{own}", headers=session, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].startswith(f"/regulator/packs/{inside}")
