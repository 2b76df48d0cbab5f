"""Issue 19: every page the app serves works on an intranet with no way out. Each HTML page (the public pack
page, login, the scan page, every regulator page, /docs and its OAuth2 redirect page) and each stylesheet they
link is fetched, and none names another host: no src, href, action, srcset, url(…) or @import to
http(s)://host or //host. The pages are found from the app's routes, so a new page is checked too (a page
whose path parameters this test cannot fill fails it). The browser side: tests/web/test_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from ledger.format.claims import make_signed_claim
from tests.web import province as prov
from tests.web.conftest import World
from tests.web.login import session_cookie
from tests.web.offline import ATTRIBUTE, BROWSER, CSS_URL, elsewhere, page_paths

REGULATOR = "fj-miit"
SCANNER = "xm-collect"
CAMPAIGN = "R-OFFLINE-1"


@pytest.fixture(scope="module")
def campaign(world: World, web_client: httpx.Client) -> Iterator[str]:
    """A recall campaign over maker 0RJ's packs, so the campaign pages have one to show."""
    auth = world.auth(REGULATOR)
    body = {"id": CAMPAIGN, "reason": "电芯批次缺陷", "due": "2026-07-31", "scope": {"maker": "0RJ"}}
    plan = web_client.post("/v1/recalls/scope", json=body, headers=auth).json()
    key = world.province.keys[REGULATOR]
    claims = []
    for code in plan["codes"]:
        claim, sig = make_signed_claim(key, pack=code, type="recalled", actor=REGULATOR, key=f"{REGULATOR}/1",
                                       data=plan["data"], at=prov.NOW - timedelta(hours=1))  # fmt: skip
        claims.append({"claim": claim, "sig": sig})
    created = web_client.post("/v1/recalls", json={**body, "claims": claims}, headers=auth)
    assert created.status_code == 201, created.text
    yield CAMPAIGN


def filled(path: str, values: dict[str, str]) -> str:
    names = re.findall(r"{(\w+)}", path)
    unknown = [name for name in names if name not in values]
    assert not unknown, f"{path}: add a value for {unknown} to this test, so the new page is checked too"
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def test_no_page_names_another_host(world: World, web_client: httpx.Client, campaign: str) -> None:
    pack = world.province.paths["second_life"][0]
    values = {
        "code": pack,
        "index": str(world.ledger.size() - 1),
        "campaign_id": campaign,
        "org": "nio-swap",
        "name": "app.css",
    }
    sessions: dict[str, dict[str, Any]] = {
        "regulator": session_cookie(world.ledger, world.province.token(REGULATOR)),
        "scanner": session_cookie(world.ledger, world.province.token(SCANNER)),
        "anonymous": {},
    }
    own = str(web_client.base_url).rstrip("/")
    pages = seen = 0
    stylesheets: set[str] = set()
    problems: dict[str, list[str]] = {}
    for path in page_paths():
        url = filled(path, values)
        who = "regulator" if url.startswith("/regulator") else "scanner" if url.startswith("/scan") else "anonymous"
        response = web_client.get(url, headers={**BROWSER, **sessions[who]}, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        kind = response.headers["content-type"].split(";")[0]
        seen += 1
        if kind == "text/html":
            pages += 1
            assert "<html" in response.text.lower(), url
            if found := elsewhere(response.text, ATTRIBUTE, own) + elsewhere(response.text, CSS_URL, own):
                problems[url] = found
            for link in re.findall(r"""<link[^>]+rel=["']?stylesheet[^>]*>""", response.text, re.I):
                stylesheets.update(m.group(1) for m in ATTRIBUTE.finditer(link) if "href" in m.group(0).lower())
        elif kind == "text/css":
            stylesheets.add(url)
    for sheet in sorted(stylesheets):
        response = web_client.get(sheet)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/css"), sheet
        if found := elsewhere(response.text, CSS_URL, own):
            problems[sheet] = found
    assert problems == {}
    # the pages themselves: the public pack page, login, scan, the regulator's pages, /docs and its redirect
    assert pages >= 16 and seen == len(page_paths())
    assert {"/static-offline-docs/swagger-ui.css", "/static/app.css"} <= stylesheets


def test_the_check_finds_a_reference_to_another_host() -> None:
    """The patterns this test relies on catch every form a page could use to reach out, and nothing local."""
    own = "http://testserver"
    html = (
        '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>'
        "<link rel=stylesheet href=//fonts.googleapis.com/css>"
        '<img srcset="http://img.example/a.png 2x"><form action="https://collect.example/post"></form>'
        '<a href="/regulator">local</a><a href="http://testserver/p/X">own</a><img src="data:image/png;base64,AA">'
        "<div style=\"background: url('https://img.example/b.png')\"></div>"
    )
    assert elsewhere(html, ATTRIBUTE, own) == [
        "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js",
        "//fonts.googleapis.com/css",
        "http://img.example/a.png",
        "https://collect.example/post",
    ]
    css = (
        '@import "https://fonts.example/x.css"; a { background: url(//img.example/c.svg) } b { background: url(x.svg) }'
    )
    assert elsewhere(html, CSS_URL, own) == ["https://img.example/b.png"]
    assert elsewhere(css, CSS_URL, own) == ["https://fonts.example/x.css", "//img.example/c.svg"]
