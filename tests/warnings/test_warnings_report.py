"""Acceptance 3: in a generated province where one batch has six thermal events and the rest two, the
warning report flags that batch and no other group, with its rate, exposure and test statistic computed
independently (tests.warnings.expected); the alarm's link opens the recall trace of exactly that batch."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.api.problem import assert_problem
from tests.warnings.conftest import Generated, generated
from tests.warnings.expected import AS_OF, batch_alarm
from tests.web.login import session_cookie

REGULATOR = "fj-miit"
SCALED_THERMAL = {"B1": 6, "B12": 1, "B25": 1}


def check_batch_alarm(world: Generated, size: int, thermal: dict[str, int], groups_tested: int) -> dict[str, Any]:
    response = world.client.get("/v1/reports/warnings", headers=world.auth(REGULATOR))
    assert response.status_code == 200, response.text
    report = response.json()
    want = batch_alarm(world.made.made, size, "B1", thermal)
    packs = size * len(world.made.batches)
    assert (report["as_of"], report["packs"], report["incidents"], report["weighted_incidents"]) == (
        AS_OF.isoformat(), packs, 8, 24,
    )  # fmt: skip
    assert report["exposure_pack_days"] == want.exposure + want.rest_exposure
    assert report["groups_tested"] == groups_tested
    assert report["p_threshold"] == pytest.approx(0.01 / groups_tested, rel=1e-15)
    [alarm] = report["alarms"]  # that batch and no other group
    made = world.made.made["B1"].isoformat()
    query = f"manufacturer=catl&produced_from={made}&produced_to={made}&chemistry=LFP&spec=12"
    assert {
        k: v for k, v in alarm.items() if k not in ("rate", "baseline_rate", "expected", "statistic", "p_value")
    } == {
        "dimension": "maker+batch",
        "group": {"maker": "catl", "batch": "B1"},
        "packs": size,
        "incidents": 6,
        "thermal_incidents": 6,
        "weighted_incidents": 18,
        "exposure_pack_days": want.exposure,
        "produced_from": made,
        "produced_to": made,
        "trace": f"/regulator/recall?{query}",
        "trace_api": f"/v1/reports/recall?{query}",
        "trace_exact": True,
        "trace_packs": size,
        "corrected_packs": 0,
        "corrected_incidents": 0,
        "foreign_manufacturers": [],  # no imported pack in this province
    }
    assert alarm["rate"] == pytest.approx(want.rate, rel=1e-12)
    assert alarm["baseline_rate"] == pytest.approx(want.baseline_rate, rel=1e-12)
    assert alarm["expected"] == pytest.approx(want.expected, rel=1e-12)
    assert alarm["statistic"] == pytest.approx(want.statistic, rel=1e-12)
    assert alarm["p_value"] == pytest.approx(want.p_value, rel=1e-9)
    assert alarm["p_value"] < report["p_threshold"]
    # the link opens the recall trace of exactly that batch
    trace = world.client.get(alarm["trace_api"], headers=world.auth(REGULATOR)).json()
    assert sorted(pack["code"] for pack in trace["packs"]) == sorted(world.made.batches["B1"])
    return alarm


def test_the_burning_batch_alarms_and_no_other_group(scaled: Generated) -> None:
    # batches, makers, specs (two per maker), months; each maker's only plant is the maker, tested once
    alarm = check_batch_alarm(scaled, 100, SCALED_THERMAL, groups_tested=31 + 2 + 4 + 2)
    assert alarm["p_value"] == pytest.approx(1.9971e-10, rel=1e-4)


def test_the_alarm_links_the_recall_page_of_the_batch(scaled: Generated) -> None:
    alarm = scaled.client.get("/v1/reports/warnings", headers=scaled.auth(REGULATOR)).json()["alarms"][0]
    cookie = session_cookie(scaled.ledger, scaled.made.actors[REGULATOR].token)
    page = scaled.client.get("/regulator/warnings", headers=cookie).text
    assert f'href="{alarm["trace"].replace("&", "&amp;")}"' in page
    maker = scaled.ledger.org("catl")
    assert maker is not None and f"企业 {maker.name} · 批次 B1" in page and "追溯 100 块电池" in page
    recall = scaled.client.get(alarm["trace"], headers=cookie).text
    assert '<h2 id="recall-count">共 100 块电池</h2>' in recall
    english = scaled.client.get("/regulator/warnings?lang=en", headers=cookie).text
    assert "Quality early warning" in english and "1 alarms" in english and "Trace 100 packs" in english
    assert f"<td>maker {scaled.ledger.org('catl').name} · batch B1</td>" in english  # type: ignore[union-attr]


def test_the_csv_holds_the_alarms(scaled: Generated) -> None:
    report = scaled.client.get("/v1/reports/warnings", headers=scaled.auth(REGULATOR)).json()
    response = scaled.client.get("/v1/reports/warnings?format=csv", headers=scaled.auth(REGULATOR))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))
    alarm = report["alarms"][0]
    assert [
        (row["dimension"], row["group"], row["incidents"], row["exposure_pack_days"], row["trace"]) for row in rows
    ] == [("maker+batch", "maker=catl;batch=B1", "6", str(alarm["exposure_pack_days"]), alarm["trace"])]
    cookie = session_cookie(scaled.ledger, scaled.made.actors[REGULATOR].token)
    english = scaled.client.get("/regulator/warnings.csv?lang=en", headers=cookie).text.removeprefix("\ufeff")
    page_rows = list(csv.reader(io.StringIO(english)))
    api_rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert page_rows[0] == api_rows[0] and len(page_rows) == len(api_rows)  # the field names, in English
    for page_row, api_row in zip(page_rows[1:], api_rows[1:], strict=True):
        for shown, exact in zip(page_row, api_row, strict=True):  # floats to six significant digits, for people
            assert shown == exact or (float(shown) == pytest.approx(float(exact), rel=1e-5) and len(shown) <= 12)
    assert "371.186" in english and "371.1864406779661" not in english
    chinese = scaled.client.get("/regulator/warnings.csv", headers=cookie).text
    assert chinese.startswith("\ufeff分组维度,组别,电池数,事故数,")


def test_before_the_fires_nothing_alarms(scaled: Generated) -> None:
    report = scaled.client.get("/v1/reports/warnings?as_of=2026-05-31", headers=scaled.auth(REGULATOR)).json()
    assert (report["as_of"], report["incidents"], report["alarms"]) == ("2026-05-31", 0, [])
    # the fires happened on 2026-06-01 at 11:00 China time: the day counts them
    report = scaled.client.get("/v1/reports/warnings?as_of=2026-06-01", headers=scaled.auth(REGULATOR)).json()
    assert (report["incidents"], [a["group"] for a in report["alarms"]]) == (8, [{"maker": "catl", "batch": "B1"}])


def test_only_regulators_read_the_warnings(scaled: Generated) -> None:
    assert_problem(scaled.client.get("/v1/reports/warnings"), 401, "unauthenticated")
    refused = scaled.client.get("/v1/reports/warnings", headers=scaled.auth("catl"))
    assert_problem(refused, 403, "forbidden")
    cookie = session_cookie(scaled.ledger, scaled.made.actors["catl"].token)
    assert scaled.client.get("/regulator/warnings", headers=cookie).status_code == 403


def test_bad_report_days_are_refused(scaled: Generated) -> None:
    later = scaled.client.get("/v1/reports/warnings?as_of=2026-07-01", headers=scaled.auth(REGULATOR))
    assert_problem(
        later, 422, "invalid_filter", "as_of 2026-07-01 is after today (2026-06-30): exposure is counted up to it"
    )
    assert scaled.client.get("/v1/reports/warnings?as_of=July", headers=scaled.auth(REGULATOR)).status_code == 422
    unknown = scaled.client.get("/v1/reports/warnings?batch=B1", headers=scaled.auth(REGULATOR))
    assert unknown.status_code == 422
    cookie = session_cookie(scaled.ledger, scaled.made.actors[REGULATOR].token)
    page = scaled.client.get("/regulator/warnings?as_of=July", headers=cookie)
    assert page.status_code == 422 and "“July”不是有效日期（格式为 YYYY-MM-DD）。" in page.text
    page = scaled.client.get("/regulator/warnings?as_of=July&lang=en", headers=cookie)
    assert page.status_code == 422 and "as_of: &#39;July&#39; is not a date (YYYY-MM-DD)" in page.text


@pytest.mark.slow
def test_acceptance_at_full_size(tmp_path: Path) -> None:
    """Six thermal events in 300 packs, two in the other 30,000 (~25 s to append on SQLite)."""
    thermal = {"B1": 6, "B40": 1, "B77": 1}
    with generated(tmp_path, batches=101, size=300, thermal=thermal) as world:
        alarm = check_batch_alarm(world, 300, thermal, groups_tested=101 + 2 + 4 + 4)
        assert alarm["p_value"] == pytest.approx(6.8026e-13, rel=1e-4)
