"""Every report and every regulator page × every role (one organisation per role), the admin token and
nobody: only regulators get through. The API answers 401 without a token and 403 to others; pages send
nobody to the login page and answer others 403. And nobody logged in is shown a link to a page that
refuses them."""

from __future__ import annotations

import re

import httpx
import pytest

from events.orgs import Org, Role
from ledger.log import Ledger
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from tests.api.parties import ADMIN_TOKEN, Party
from tests.api.scenario import code, in_vehicle
from tests.web.login import login_cookie

ANONYMOUS, ADMIN_TOKEN_CALLER, CITY_REGULATOR = "anonymous", "admin-token", "city-regulator"
CALLERS = [str(role) for role in Role] + [ANONYMOUS, ADMIN_TOKEN_CALLER, CITY_REGULATOR]
# DESIGN §5, §7: not the platform administrator either; a regulator scoped to a city (issue 15) reads the
# reports and pages of its city
AUTHORITIES = {"regulator", CITY_REGULATOR}

REPORTS = [
    "/v1/reports/recall?manufacturer=001",
    "/v1/reports/recall?manufacturer=001&format=csv",
    "/v1/reports/compliance",
    "/v1/reports/compliance?format=csv&section=unaccounted",
    "/v1/reports/recovery",
    "/v1/reports/recovery?format=csv",
    "/v1/reports/organisations",
    "/v1/reports/organisations?format=csv",
    "/v1/reports/warnings",
    "/v1/reports/warnings?format=csv",
]
PAGES = [
    "/regulator",
    "/regulator/packs",
    "/regulator/packs?q=001",
    f"/regulator/packs/{code(1)}",
    "/regulator/recall",
    "/regulator/recall?manufacturer=001",
    "/regulator/recall.csv?manufacturer=001",
    "/regulator/compliance",
    "/regulator/compliance.csv?section=late",
    "/regulator/recovery",
    "/regulator/recovery.csv",
    "/regulator/organisations",
    "/regulator/organisations.csv",
    "/regulator/warnings",
    "/regulator/warnings.csv",
]


def tokens(parties: dict[Role, Party], city: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {str(role): party.token for role, party in parties.items()}
    return {**found, ANONYMOUS: None, ADMIN_TOKEN_CALLER: ADMIN_TOKEN, CITY_REGULATOR: city}


@pytest.fixture
def callers(client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]) -> dict[str, str | None]:
    """Every role, nobody, the admin token, and a regulator scoped to Xiamen (350200), where pack 1, made and
    held by organisations with no region, has never been."""
    in_vehicle(client, parties, 1)
    city = Org(CITY_REGULATOR, "厦门市工信局", frozenset({Role.REGULATOR}), region="350200")
    token = orgkeys.register_many(ledger, ADMIN, [(city, [])])[CITY_REGULATOR]
    return tokens(parties, token)


@pytest.mark.parametrize("path", REPORTS)
def test_reports_answer_only_regulators(client: httpx.Client, callers: dict[str, str | None], path: str) -> None:
    actual = {}
    for name, token in callers.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.get(path, headers=headers)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        actual[name] = response.status_code
    expected = {name: 200 if name in AUTHORITIES else 403 for name in CALLERS} | {ANONYMOUS: 401}
    assert actual == expected


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_only_regulators(client: httpx.Client, callers: dict[str, str | None], path: str) -> None:
    actual = {}
    for name, token in callers.items():
        headers = login_cookie(client, token) if token else {}
        response = client.get(path, headers=headers)
        actual[name] = response.status_code
        if response.status_code == 303:
            assert response.headers["location"].startswith("/login?next=")
        if response.status_code == 403:
            assert "text/html" in response.headers["content-type"]
            refusal = "该内容超出您的辖区" if name == CITY_REGULATOR else "仅对监管部门开放"
            assert refusal in response.text
    expected = {name: 200 if name in AUTHORITIES else 403 for name in CALLERS} | {ANONYMOUS: 303}
    if path.startswith("/regulator/packs/"):  # a pack outside the city: not the city regulator's dossier
        expected[CITY_REGULATOR] = 403
    assert actual == expected


def test_the_logs_entries_answer_regulators_of_the_whole_platform(
    client: httpx.Client, callers: dict[str, str | None]
) -> None:
    actual = {}
    for name, token in callers.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        actual[name] = client.get("/v1/log/entries", headers=headers).status_code
    authorities = {"regulator", "admin", ADMIN_TOKEN_CALLER}
    expected = {name: 200 if name in authorities else 403 for name in CALLERS} | {ANONYMOUS: 401}
    assert actual == expected


def test_a_bearer_token_does_not_open_pages(client: httpx.Client, callers: dict[str, str | None]) -> None:
    """Pages read the session cookie only: a stolen API call cannot render the workspace, nor can a
    cookie with a made-up token."""
    response = client.get("/regulator", headers={"Authorization": f"Bearer {callers['regulator']}"})
    assert response.status_code == 303
    response = client.get("/regulator", headers={"Cookie": "packtrace_session=pt_nobody_madeup"})
    assert response.status_code == 303


def test_the_scan_page_needs_a_login_and_takes_every_organisation(
    client: httpx.Client, callers: dict[str, str | None]
) -> None:
    actual = {}
    for name, token in callers.items():
        headers = login_cookie(client, token) if token else {}
        actual[name] = client.get("/scan", headers=headers).status_code
    assert actual == {name: 200 for name in CALLERS} | {ANONYMOUS: 303}


def test_the_public_pack_page_is_public(client: httpx.Client, callers: dict[str, str | None]) -> None:
    for token in callers.values():
        headers = login_cookie(client, token) if token else {}
        response = client.get(f"/p/{code(1)}", headers={"Accept": "text/html", **headers})
        assert response.status_code == 200
        assert code(1) in response.text
        assert "LSVAU" not in response.text  # the VIN is not public, whoever is logged in


def _header_links(page: str) -> list[str]:
    header = page.split('<header class="top">')[1].split("</header>")[0]
    return [href for href in re.findall(r'href="(/[^"?]*)', header) if not href.startswith("/static/")]


def test_the_navigation_shows_no_page_its_reader_may_not_open(
    client: httpx.Client, callers: dict[str, str | None]
) -> None:
    """Whoever logs in (the admin token and an organisation with the admin role included) lands on a page
    they may open, and every link of its header, and the way home from an error page, opens too."""
    refused = {}
    for name, token in callers.items():
        if token is None:
            continue
        headers = login_cookie(client, token)
        home = client.get("/", headers=headers).headers["location"]
        landing = client.get(home, headers=headers)
        error = client.get("/p/NOT-A-CODE", headers={"Accept": "text/html", **headers})
        back = re.findall(r'href="(/[^"]*)">[^<]*</a></p>\s*</section>', error.text)
        assert error.status_code == 422 and len(back) == 1, error.text
        links = {home, *_header_links(landing.text), *back}
        answers = {link: client.get(link, headers=headers).status_code for link in sorted(links)}
        refused[name] = {link: status for link, status in answers.items() if status != 200}
    assert refused == {name: {} for name, token in callers.items() if token is not None}


def test_an_entry_link_opens_the_dossier_for_regulators_only(
    client: httpx.Client, callers: dict[str, str | None]
) -> None:
    regulator = {"Authorization": f"Bearer {callers['regulator']}"}
    first = client.get(f"/v1/packs/{code(1)}/events", headers=regulator).json()["events"][0]["index"]
    actual, places = {}, set()
    for name, token in callers.items():
        headers = login_cookie(client, token) if token else {}
        response = client.get(f"/regulator/entries/{first}", headers=headers)
        actual[name] = response.status_code
        if response.status_code == 303:
            places.add(response.headers["location"])
        if response.status_code == 403:
            refusal = "该内容超出您的辖区" if name == CITY_REGULATOR else "仅对监管部门开放"
            assert refusal in response.text and code(1) not in response.text
    expected = {name: 303 if name in AUTHORITIES else 403 for name in CALLERS} | {ANONYMOUS: 303}
    expected[CITY_REGULATOR] = 403  # pack 1 never touched Xiamen: no redirect that names it
    assert actual == expected
    assert places == {f"/regulator/packs/{code(1)}#e{first}", f"/login?next=%2Fregulator%2Fentries%2F{first}"}
    unknown = client.get("/regulator/entries/999999", headers=login_cookie(client, callers["regulator"]))
    assert unknown.status_code == 404 and "日志中没有序号为 999999 的电池记录。" in unknown.text
