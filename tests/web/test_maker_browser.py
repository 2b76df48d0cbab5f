"""The maker pickers in a real headless Chromium at 375 px and 1440 px: a regulator types a maker's name (not
its id or code) into the recall and packs pages' maker field and gets that maker's packs; both pages fit."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser

from tests.web.test_browser import REGULATOR, WIDTHS, Live, browser, fits, live, log_in, new_page, shoot  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", WIDTHS)
def test_a_regulator_picks_a_maker_by_its_name(browser: Browser, live: Live, width: int) -> None:  # noqa: F811
    token = live.world.province.token(REGULATOR)
    expected = httpx.get(
        live.url("/v1/packs"),
        params={"manufacturer": "catl", "limit": 50},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["packs"]
    page = new_page(browser, width)
    log_in(page, live, REGULATOR, "/regulator/recall")
    offered = page.eval_on_selector_all("#makers option", "options => options.map(o => [o.value, o.label])")
    assert offered == [
        ["calb", "中创新航 · calb · 0RJ"],
        ["catl", "宁德时代 · catl · 001"],
        ["fj-s2l", "福建梯次储能 · fj-s2l · S2L"],
    ]
    page.fill("#manufacturer", "宁德时代")
    page.click("#recall-form button[type=submit]")
    page.wait_for_selector("#recall-results")
    assert page.locator("#recall-maker").inner_text() == "生产企业：宁德时代（catl）"
    assert fits(page), f"the recall page is wider than {width} px"
    shoot(page, "recall-maker")

    page.goto(live.url("/regulator/packs"))
    page.fill("#pack-filter #manufacturer", "CATL")
    page.click("#pack-filter button[type=submit]")
    page.wait_for_selector("#filter-results")
    shown = page.locator("#filter-results tbody tr").all_inner_texts()
    assert [row.split()[0] for row in shown] == [p["code"] for p in expected] and expected
    assert fits(page), f"the packs page is wider than {width} px"
    shoot(page, "packs-filter")
    page.context.close()
