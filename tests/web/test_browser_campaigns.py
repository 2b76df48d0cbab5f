"""The recall campaign pages in a real headless Chromium at 375 px and 1440 px: a regulator opens the list,
then a campaign, reads the same figures as the API, and downloads a CSV holding the table's rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from ledger.format.claims import make_signed_claim
from tests.web import province as prov
from tests.web.test_browser import REGULATOR, WIDTHS, Live, browser, fits, live, log_in, new_page, shoot

pytestmark = pytest.mark.browser
__all__ = ["browser", "live"]  # fixtures, imported to be used here
CAMPAIGN = "R-0RJ-2026"


@pytest.fixture(scope="module")
def campaign(live: Live) -> Iterator[dict[str, Any]]:
    """A campaign over maker 0RJ's packs, each `recalled` claim signed with the regulator's key."""
    auth = {"Authorization": f"Bearer {live.world.province.token(REGULATOR)}"}
    body = {"id": CAMPAIGN, "reason": "电芯批次缺陷", "due": "2026-07-31", "scope": {"maker": "0RJ"}}
    plan = httpx.post(live.url("/v1/recalls/scope"), json=body, headers=auth).json()
    at = prov.NOW - timedelta(hours=1)
    key = live.world.province.keys[REGULATOR]
    claims = []
    for code in plan["codes"]:
        claim, sig = make_signed_claim(key, pack=code, type="recalled", actor=REGULATOR, key=f"{REGULATOR}/1",
                                       data=plan["data"], at=at)  # fmt: skip
        claims.append({"claim": claim, "sig": sig})
    created = httpx.post(live.url("/v1/recalls"), json={**body, "claims": claims}, headers=auth, timeout=60)
    assert created.status_code == 201, created.text
    report: dict[str, Any] = httpx.get(live.url(f"/v1/recalls/{CAMPAIGN}"), headers=auth).json()
    yield report


@pytest.mark.parametrize("width", WIDTHS)
def test_a_regulator_follows_a_campaign(browser: Browser, live: Live, campaign: dict[str, Any], width: int) -> None:
    page = new_page(browser, width)
    log_in(page, live, REGULATOR, "/regulator/campaigns")
    assert page.locator("h1").inner_text() == "召回活动"
    assert fits(page), f"the campaign list is wider than {width} px"
    shoot(page, "campaigns")
    page.click(f"text={CAMPAIGN}")
    page.wait_for_url(live.url(f"/regulator/campaigns/{CAMPAIGN}"))
    assert page.locator("#campaign-packs").inner_text() == str(campaign["packs"])
    assert page.locator("#campaign-overdue").inner_text() == str(campaign["overdue"])
    assert campaign["packs"] > 0 and campaign["overdue"] == campaign["packs"] - campaign["remedied"]
    assert fits(page), f"the campaign page is wider than {width} px"
    shoot(page, "campaign")
    shown = page.locator("#campaign-packs-table tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.code, r.dataset.remedied, r.dataset.overdue])"
    )
    with page.expect_download() as download:
        page.click("#campaign-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    yes_no = {"是": "true", "否": "false"}  # the page is in Chinese, and so is its CSV
    rows = [[r["电池编码"], yes_no[r["已整改"]], yes_no[r["逾期"]]] for r in csv.DictReader(io.StringIO(text))]
    assert download.value.suggested_filename == f"campaign-{CAMPAIGN}.csv"
    assert shown == rows and len(rows) == campaign["packs"]
    page.click("a.lang")
    expect(page.locator("h1")).to_have_text(f"Campaign {CAMPAIGN}")
    page.context.close()
