"""Every figure of every report equals an independent recount from the raw log (tests/web/recount.py, which
reads GET /v1/log/entries and never ledger/usecases/reports/), on a province built through the ledger; and the
CSV of each report holds the same rows as its JSON."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from events.deadlines import DEFAULT_RULESET
from ledger.usecases import workspace
from tests.support import regulator_caller
from tests.web.conftest import World
from tests.web.recount import Recount, fetch_log

REGULATOR = "fj-miit"


@pytest.fixture(scope="module")
def recount(world: World, web_client: httpx.Client) -> Recount:
    return Recount(world.province.orgs, fetch_log(web_client, world.province.token(REGULATOR)))


def get(client: httpx.Client, world: World, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=world.auth(REGULATOR))
    assert response.status_code == 200, response.text
    return response.json() if params.get("format") != "csv" else response


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_province_has_what_the_reports_are_about(world: World, recount: Recount) -> None:
    """Guard against a vacuous pass: late reports under several rules, 流向不明 of every reason the test
    province can show (idle in stock takes a year: the demo province has it, tests/web/test_unaccounted.py),
    recycling with rates on both sides of the thresholds, and packs in many states."""
    rules = {rule for _, rule in recount.late_by}
    assert len(rules) >= 6, rules
    reasons = {p["reason"] for p in recount.unaccounted(world.province.now)}
    assert reasons == {"held-by-unauthorised", "scrapped-not-handed-on", "retired-not-collected",
                       "shipped-not-received", "idle-at-collector", "displaced-in-vehicle"}  # fmt: skip
    recovery = recount.recovery()
    assert any(row["events_below"] for row in recovery.values())
    assert any(not row["below"] for row in recovery.values() if row["threshold"] is not None)
    assert len(recount.by_status()) >= 8
    assert len(recount.events) > 500


def test_compliance_late_entries_equal_the_recount(world: World, web_client: httpx.Client, recount: Recount) -> None:
    report = get(web_client, world, "/v1/reports/compliance")
    assert report["log_size"] == len(recount.entries)
    fields = ["index", "org", "rule", "type", "pack", "occurred_at", "recorded_at", "due", "working_days_late"]
    assert [{k: row[k] for k in fields} for row in report["late"]] == recount.late
    assert report["late_total"] == len(recount.late) and not report["truncated"]
    texts = {rule.id: rule.text for rule in DEFAULT_RULESET.rules}
    assert all(row["rule_text"] == texts[row["rule"]] for row in report["late"])
    assert all(row["org_name"] == world.province.orgs[row["org"]].name for row in report["late"])


def test_compliance_counts_per_organisation_and_rule_equal_the_recount(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    report = get(web_client, world, "/v1/reports/compliance")
    by_org = {row["org"]: row for row in report["by_org"]}
    assert set(by_org) == {org for org, n in recount.timed.items() if n}
    for org, row in by_org.items():
        expected_rules = {rule: n for (who, rule), n in recount.late_by.items() if who == org}
        late = sum(expected_rules.values())
        assert (row["timed"], row["late"], row["by_rule"]) == (recount.timed[org], late, expected_rules), org
        assert row["late_pct"] == round(late / recount.timed[org] * 100, 2)
    by_rule = {row["rule"]: row["late"] for row in report["by_rule"]}
    assert by_rule == {rule.id: sum(n for (_, r), n in recount.late_by.items() if r == rule.id)
                       for rule in DEFAULT_RULESET.rules}  # fmt: skip


def test_unaccounted_packs_equal_the_recount(world: World, web_client: httpx.Client, recount: Recount) -> None:
    report = get(web_client, world, "/v1/reports/compliance")
    now = datetime.fromisoformat(report["as_of"])
    fields = [
        "pack", "status", "reason", "since", "days", "limit_days", "limit_unit", "custodian", "receiver", "owner",
        "answerable",
    ]  # fmt: skip
    assert [{k: row[k] for k in fields} for row in report["unaccounted"]] == recount.unaccounted(now)
    lost_paths = world.province.paths["in_transit_unknown"] + world.province.paths["retired_unknown"]
    assert set(lost_paths) <= {row["pack"] for row in report["unaccounted"]}


RECALLS: list[dict[str, Any]] = [
    {"manufacturer": "001"},
    {"manufacturer": "calb"},
    {"manufacturer": "0RJ", "chemistry": "NCM"},
    {"produced_from": date(2026, 1, 20), "produced_to": date(2026, 2, 28)},
    {"manufacturer": "001", "spec": "34", "produced_to": date(2026, 3, 1)},
    {"chemistry": "LFP", "spec": "12"},
    {"manufacturer": "S2L"},
]


@pytest.mark.parametrize("where", RECALLS, ids=lambda w: ",".join(f"{k}={v}" for k, v in w.items()))
def test_recall_trace_equals_the_recount(
    world: World, web_client: httpx.Client, recount: Recount, where: dict[str, Any]
) -> None:
    report = get(web_client, world, "/v1/reports/recall", **where)
    expected = recount.recall(
        maker=where.get("manufacturer"),
        produced_from=where.get("produced_from"),
        produced_to=where.get("produced_to"),
        chemistry=where.get("chemistry"),
        spec=where.get("spec"),
    )
    assert expected, "a recall that matches nothing proves little"
    fields = ["code", "status", "custodian", "vin", "site", "receiver", "production_date", "chemistry"]
    assert [{k: row[k] for k in fields} for row in report["packs"]] == expected
    assert report["count"] == len(expected)
    assert sum(report["by_status"].values()) == len(expected)

    rows = csv_rows(get(web_client, world, "/v1/reports/recall", format="csv", **where))
    assert [(r["code"], r["status"], r["custodian"], r["vin"], r["production_date"]) for r in rows] == [
        (e["code"], e["status"], e["custodian"], e["vin"] or "", e["production_date"] or "") for e in expected
    ]


def test_recovery_rates_equal_the_recount(world: World, web_client: httpx.Client, recount: Recount) -> None:
    report = get(web_client, world, "/v1/reports/recovery")
    expected = recount.recovery()
    got = {(row["recycler"], row["element"]): row for row in report["rows"]}
    assert set(got) == set(expected)
    for key, row in got.items():
        want = expected[key]
        assert row["events"] == want["events"] and row["events_below"] == want["events_below"], key
        assert row["content_kg"] == pytest.approx(want["content"], rel=1e-12)
        assert row["recovered_kg"] == pytest.approx(want["recovered"], rel=1e-12)
        assert row["rate"] == pytest.approx(want["rate"], rel=1e-12)
        assert (row["threshold"], row["below"]) == (want["threshold"], want["below"]), key
        assert row["whitelisted"] == world.province.orgs[key[0]].whitelisted
    assert any(row["below"] for row in report["rows"]), "the province has a recycler below a threshold"
    assert report["implausible"] == []  # every mass of the province is plausible: nothing left out

    rows = csv_rows(get(web_client, world, "/v1/reports/recovery", format="csv"))
    assert [(r["recycler"], r["element"], int(r["events"]), r["below"]) for r in rows] == [
        (row["recycler"], row["element"], row["events"], "true" if row["below"] else "false") for row in report["rows"]
    ]


def test_organisation_statistics_equal_the_recount(world: World, web_client: httpx.Client, recount: Recount) -> None:
    report = get(web_client, world, "/v1/reports/organisations")
    now = datetime.fromisoformat(report["as_of"])
    lost_by_custodian: dict[str, int] = {}
    lost_by_owner: dict[str, int] = {}
    for pack in recount.unaccounted(now):
        lost_by_custodian[pack["custodian"]] = lost_by_custodian.get(pack["custodian"], 0) + 1
        lost_by_owner[pack["owner"]] = lost_by_owner.get(pack["owner"], 0) + 1
    custody = recount.custody()
    assert [row["org"] for row in report["orgs"]] == sorted(world.province.orgs)
    for row in report["orgs"]:
        org = row["org"]
        late = sum(n for (who, _), n in recount.late_by.items() if who == org)
        recycled = sum(1 for who, _, _ in recount.recycled if who == org)
        assert (row["entries"], row["timed"], row["late"]) == (recount.posted[org], recount.timed[org], late), org
        assert (row["custody"], row["unaccounted"]) == (custody[org], lost_by_custodian.get(org, 0)), org
        assert row["owned_unaccounted"] == lost_by_owner.get(org, 0), org
        assert (row["recycled"], row["recycled_below"]) == (recycled, recount.recycled_below(org)), org
    assert sum(row["entries"] for row in report["orgs"]) == len(recount.events)

    rows = csv_rows(get(web_client, world, "/v1/reports/organisations", format="csv"))
    assert [(r["org"], int(r["entries"]), int(r["late"])) for r in rows] == [
        (row["org"], row["entries"], row["late"]) for row in report["orgs"]
    ]


@pytest.mark.parametrize("section", ["late", "unaccounted", "by_org", "by_rule"])
def test_compliance_csv_sections_hold_the_json_rows(world: World, web_client: httpx.Client, section: str) -> None:
    report = get(web_client, world, "/v1/reports/compliance")
    rows = csv_rows(get(web_client, world, "/v1/reports/compliance", format="csv", section=section))
    key = {"late": "index", "unaccounted": "pack", "by_org": "org", "by_rule": "rule"}[section]
    assert [row[key] for row in rows] == [str(item[key]) for item in report[section]]
    assert len(rows) > 0


def test_compliance_filters_by_organisation_and_rule(world: World, web_client: httpx.Client, recount: Recount) -> None:
    (org, rule), count = recount.late_by.most_common(1)[0]
    report = get(web_client, world, "/v1/reports/compliance", org=org, rule=rule)
    assert [row["index"] for row in report["late"]] == [
        row["index"] for row in recount.late if row["org"] == org and row["rule"] == rule
    ]
    assert report["late_total"] == count
    assert {row["org"] for row in report["by_org"]} == {org}
    limited = get(web_client, world, "/v1/reports/compliance", limit=2)
    assert len(limited["late"]) == 2 and limited["truncated"] and limited["late_total"] == len(recount.late)


def test_overview_figures_equal_the_recount(world: World, recount: Recount) -> None:
    overview = workspace.overview(world.ledger, regulator_caller())
    assert {row.status: row.count for row in overview.by_status} == dict(recount.by_status())
    assert overview.packs == len(recount.packs)
    assert overview.log_size == len(recount.entries)
    assert overview.late_total == len(recount.late)
    assert overview.unaccounted_total == len(recount.unaccounted(overview.as_of))
    assert len(overview.per_day) == 30
    for day in overview.per_day:
        assert (day.entries, day.late) == (recount.per_day[day.day], recount.late_per_day[day.day]), day.day
    assert sum(day.entries for day in overview.per_day) > 0, "the last 30 days saw events"
