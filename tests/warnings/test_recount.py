"""The warning report over the province of the web tests (tests/web/province.py: vehicles, stock, repairs,
recycling, losses, exports, second life), with incidents of every weight added by the regulator: its
packs, exposure and incidents, and every alarm's figures, equal a recount from GET /v1/log/entries
(tests/web/recount.py folds the statuses; exposure is counted here from the codes' production dates)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from events.warnings import ENDED, KIND_WEIGHTS
from ledger.format.claims import make_signed_claim
from tests.api.inprocess import in_process_client
from tests.web import province as prov
from tests.web.conftest import World, make_world, module_database_url  # noqa: F401 -- a fixture
from tests.web.recount import Recount, fetch_log

REGULATOR = "fj-miit"
AS_OF = date(2026, 8, 3)  # prov.NOW in China time
# five incidents on CATL's packs in vehicles or in stock (four of them thermal), one flood on a CALB pack
CATL_KINDS = ("fire", "thermal_event", "thermal_event", "thermal_event", "collision")


@pytest.fixture(scope="module")
def burning(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:  # noqa: F811
    world, close = make_world(module_database_url, tmp_path_factory.mktemp("burning"))
    at = prov.NOW - timedelta(days=2)
    key = f"{REGULATOR}/{prov.SCENARIO.key_name}"
    standing = [*world.province.paths["in_vehicle"], *world.province.paths["in_stock"]]
    catl = [code for code in standing if code.startswith("001")]
    calb = [code for code in standing if code.startswith("0RJ")]
    placed = [*zip(catl, CATL_KINDS, strict=False), (calb[0], "flood")]
    claims = [
        make_signed_claim(
            world.province.keys[REGULATOR],
            pack=pack,
            type="incident",
            actor=REGULATOR,
            key=key,
            data={"kind": kind, "severity": "high", "description": "事故"},
            at=at,
            claim_id=str(uuid.UUID(int=i + 1)),
        )
        for i, (pack, kind) in enumerate(placed)
    ]
    world.ledger.append(claims)
    yield world
    close()


@pytest.fixture(scope="module")
def client(burning: World) -> Iterator[httpx.Client]:
    with in_process_client(burning.app) as http:
        yield http


def _exposure(made: date, status: str, since: str) -> int:
    end = min(AS_OF, date.fromisoformat(since[:10])) if status in ENDED else AS_OF
    return max(0, (end - made).days + 1)


def _members(recount: Recount, produced: dict[str, dict[str, Any]], group: dict[str, str]) -> list[str]:
    def value(code: str, name: str) -> str | None:
        pack = recount.packs[code]
        made = pack.production_date
        return {
            "maker": pack.manufacturer, "batch": produced[code].get("batch"), "plant": produced[code].get("plant"),
            "spec": pack.spec, "chemistry": pack.chemistry, "month": made.strftime("%Y-%m") if made else None,
        }[name]  # fmt: skip

    return [code for code in produced if all(value(code, name) == wanted for name, wanted in group.items())]


def test_the_report_equals_a_recount_of_the_log(burning: World, client: httpx.Client) -> None:
    entries = fetch_log(client, burning.province.token(REGULATOR))
    recount = Recount(burning.province.orgs, entries)
    produced = {e["pack"]: e["claim"]["data"] for e in recount.events if e["claim"]["type"] == "produced"}
    incidents = [e for e in recount.events if e["claim"]["type"] == "incident"]
    assert len(incidents) == len(CATL_KINDS) + 1
    exposure = {
        code: _exposure(pack.production_date, pack.status, pack.since)
        for code, pack in recount.packs.items()
        if pack.production_date is not None and pack.production_date <= AS_OF
    }
    report = client.get("/v1/reports/warnings", headers=burning.auth(REGULATOR)).json()
    kinds = Counter(e["claim"]["data"]["kind"] for e in incidents)
    assert (report["packs"], report["exposure_pack_days"]) == (len(exposure), sum(exposure.values()))
    assert (report["incidents"], report["weighted_incidents"]) == (
        6,
        sum(KIND_WEIGHTS[k] * n for k, n in kinds.items()),
    )
    assert report["weighted_incidents"] == 3 * 4 + 2
    # CATL's only plant is CATL: the same packs are tested once
    assert [alarm["group"] for alarm in report["alarms"]] == [{"maker": "catl"}]
    for alarm in report["alarms"]:
        members = _members(recount, produced, alarm["group"])
        mine = [e for e in incidents if e["pack"] in members]
        assert alarm["packs"] == len(members), alarm["group"]
        assert alarm["exposure_pack_days"] == sum(exposure[code] for code in members)
        assert alarm["incidents"] == len(mine)
        assert alarm["weighted_incidents"] == sum(KIND_WEIGHTS[e["claim"]["data"]["kind"]] for e in mine)
        assert alarm["thermal_incidents"] == sum(e["claim"]["data"]["kind"] in ("fire", "thermal_event") for e in mine)
        assert alarm["rate"] == pytest.approx(alarm["weighted_incidents"] / alarm["exposure_pack_days"] * 365_000)
        trace = client.get(alarm["trace_api"], headers=burning.auth(REGULATOR)).json()
        assert set(members) <= {pack["code"] for pack in trace["packs"]}
        assert (trace["count"] == len(members)) == alarm["trace_exact"]
