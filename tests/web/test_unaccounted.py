"""Issue 15, acceptance 1: on the demo province (api/demo.py, as `packtrace demo` builds it) every 流向不明
reason appears at least once, and every figure of it -- the report's rows, its counts per reason, the CSV, the
page, the overview's total, the per-organisation counts -- equals an independent recount from the raw log
(tests/web/recount.py reads GET /v1/log/entries and imports nothing of the reports or of events.whereabouts)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api import demo
from api.app import create_app
from api.settings import Settings
from events.whereabouts import DEFAULT_WHEREABOUTS, WHEREABOUTS
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.usecases import workspace
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN
from tests.support import Clock, regulator_caller
from tests.web import recount as rc
from tests.web.conftest import World, module_database_url  # noqa: F401 -- a fixture
from tests.web.login import session_cookie

pytestmark = pytest.mark.slow

REGULATOR = "fj-miit"
REASONS = {  # code: (Chinese, English), as the report, the CSV and the page say them
    "held-by-unauthorised": (
        "退役电池由无资质企业持有（未列入规范条件或无回收角色）",
        "Retired pack held by an organisation not allowed to hold it",
    ),
    "scrapped-not-handed-on": ("车辆报废后电池未按期移交", "Vehicle scrapped, pack not handed on in time"),
    "retired-not-collected": ("退役后未被回收网点、梯次或再生利用企业接收", "Retired, not collected since"),
    "shipped-not-received": ("已发货未被接收", "Shipped, not received"),
    "idle-in-stock": ("库存闲置超期", "Idle in stock beyond the dwell time"),
    "idle-at-collector": ("回收网点滞留超期", "Held at a collection point beyond the dwell time"),
    "displaced-in-vehicle": (
        "车辆已装入其他电池，本电池拆卸未上报",
        "Another pack was installed in its vehicle; its removal was never reported",
    ),
}


@pytest.fixture(scope="module")
def demo_world(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:  # noqa: F811
    engine = make_engine(module_database_url)
    ledger = Ledger(engine, LogSigner("packtrace.test/demo", Ed25519PrivateKey.generate()), clock=Clock())
    ledger.init()
    built = demo.build(ledger)
    ledger.clock = Clock(demo.DEMO.end)
    tmp: Path = tmp_path_factory.mktemp("demo")
    config = Settings(database_url=module_database_url, log_key_file=tmp / "log.key", admin_token=ADMIN_TOKEN)
    yield World(ledger, built, create_app(ledger, settings=config), config)
    ledger.close()
    engine.dispose()


@pytest.fixture(scope="module")
def client(demo_world: World) -> Iterator[httpx.Client]:
    with in_process_client(demo_world.app) as http:
        yield http


@pytest.fixture(scope="module")
def recount(demo_world: World, client: httpx.Client) -> rc.Recount:
    return rc.Recount(demo_world.province.orgs, rc.fetch_log(client, demo_world.province.token(REGULATOR)))


@pytest.fixture(scope="module")
def report(demo_world: World, client: httpx.Client) -> dict[str, object]:
    response = client.get("/v1/reports/compliance", headers=demo_world.auth(REGULATOR))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_the_recount_uses_the_rule_values_in_force() -> None:
    """The recount writes the 2018 values out; they are the values of the default version."""
    assert set(WHEREABOUTS) == {"2018-interim"}
    rules = DEFAULT_WHEREABOUTS
    assert (rules.unaccounted_days, rules.scrapped_working_days) == (rc.LIMIT.days, rc.SCRAPPED_WORKING_DAYS)
    assert (rules.idle_in_stock_days, rules.idle_at_collector_days) == (365, 90)
    assert rules.displaced_working_days == rc.DISPLACED_WORKING_DAYS
    assert set(rules.keepers) == rc.KEEPERS and set(rules.listed_roles) == rc.MUST_BE_LISTED


def test_every_reason_occurs_on_the_demo_province(
    demo_world: World, recount: rc.Recount, report: dict[str, object]
) -> None:
    by_reason = report["unaccounted_by_reason"]
    assert isinstance(by_reason, dict) and list(by_reason) == list(REASONS)
    assert all(n >= 1 for n in by_reason.values()), by_reason
    rows = report["unaccounted"]
    assert isinstance(rows, list)
    for row in rows:
        assert (row["reason_zh"], row["reason_en"]) == REASONS[row["reason"]]
    paths = demo_world.province.paths
    reason_of = {row["pack"]: row["reason"] for row in rows}
    for path in ("backyard", "dealer_retired"):  # every pack the simulation has handed over by now
        handed = [p for p in paths[path] if recount.packs[p].taken]
        assert handed and {reason_of.get(p) for p in handed} == {"held-by-unauthorised"}, path
    for path, reason in (("scrapped_kept", "scrapped-not-handed-on"), ("displaced", "displaced-in-vehicle")):
        listed = [p for p in paths[path] if p in reason_of]
        assert listed and {reason_of[p] for p in listed} == {reason}, path


def test_a_recycler_counts_by_its_whitelist_status_on_the_day_it_received_a_pack(
    demo_world: World, recount: rc.Recount, report: dict[str, object]
) -> None:
    """sm-recycle is listed from 2026-03-01: what it received before is listed, what it received after is
    not, though the report is made when it is listed."""
    rows = report["unaccounted"]
    assert isinstance(rows, list)
    listed = {row["pack"] for row in rows}
    received = {p: recount.packs[p].taken for p in demo_world.province.paths["late_listed"]}
    before = [p for p, taken in received.items() if taken and taken[1] < "2026-02-28T16:00:00Z"]  # China midnight
    after = [p for p, taken in received.items() if taken and taken[1] >= "2026-02-28T16:00:00Z"]
    assert before and after
    assert set(before) <= listed and not set(after) & listed


def test_every_unaccounted_figure_equals_the_recount(
    demo_world: World, client: httpx.Client, recount: rc.Recount, report: dict[str, object]
) -> None:
    now = datetime.fromisoformat(str(report["as_of"]))
    expected = recount.unaccounted(now)
    fields = [
        "pack", "status", "reason", "since", "days", "limit_days", "limit_unit", "custodian", "receiver", "owner",
        "answerable",
    ]  # fmt: skip
    rows = report["unaccounted"]
    assert isinstance(rows, list)
    assert [{k: row[k] for k in fields} for row in rows] == expected
    counts = Counter(p["reason"] for p in expected)
    assert report["unaccounted_by_reason"] == {reason: counts[reason] for reason in REASONS}

    overview = workspace.overview(demo_world.ledger, regulator_caller())
    assert overview.unaccounted_total == len(recount.unaccounted(overview.as_of))

    orgs = client.get("/v1/reports/organisations", headers=demo_world.auth(REGULATOR)).json()
    per_custodian = Counter(p["custodian"] for p in recount.unaccounted(datetime.fromisoformat(orgs["as_of"])))
    assert {row["org"]: row["unaccounted"] for row in orgs["orgs"]} == {
        org: per_custodian.get(org, 0) for org in demo_world.province.orgs
    }


def test_the_csv_and_the_page_list_the_same_packs_with_their_reasons(
    demo_world: World, client: httpx.Client, report: dict[str, object]
) -> None:
    rows = report["unaccounted"]
    assert isinstance(rows, list)
    response = client.get(
        "/v1/reports/compliance", params={"format": "csv", "section": "unaccounted"}, headers=demo_world.auth(REGULATOR)
    )
    assert response.status_code == 200
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["pack"], r["reason"], r["reason_zh"], r["reason_en"], r["limit_unit"]) for r in table] == [
        (u["pack"], u["reason"], *REASONS[u["reason"]], u["limit_unit"]) for u in rows
    ]

    cookie = session_cookie(demo_world.ledger, demo_world.province.token(REGULATOR))
    for lang, column in (("zh", 0), ("en", 1)):
        page = client.get("/regulator/compliance", params={"lang": lang}, headers=cookie).text
        found = re.search(r'<table id="unaccounted-packs">(.*?)</table>', page, re.S)
        assert found is not None
        row = r'<tr data-reason="([a-z-]+)"><td><a class="code" href="/regulator/packs/([0-9A-Z]+)">.*?</a></td>'
        listed = re.findall(row + r"<td>(.*?)(?: → [^<]+)?</td>", found.group(1))  # → the receiver's name
        assert listed == [(u["reason"], u["pack"], REASONS[u["reason"]][column]) for u in rows]
        summary = re.search(r'<p id="unaccounted-by-reason".*?</p>', page, re.S)
        assert summary is not None
        for reason, n in report["unaccounted_by_reason"].items():  # type: ignore[attr-defined]
            assert f'<span data-reason="{reason}">{REASONS[reason][column]}: {n:,}</span>' in summary.group(0)
        assert ("即时" if lang == "zh" else "at once") in found.group(1)
        assert ("15 个工作日" if lang == "zh" else "15 working days") in found.group(1)
