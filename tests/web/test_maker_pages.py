"""The regulator's pages find makers as the API does (issue 15, acceptance 5): the recall trace and the packs
page read a maker by id, code or registered name in any case, offer the makers in a list, and show a
value naming no maker as a 422 naming it; the packs page filters by flag and batch."""

from __future__ import annotations

import re

import httpx
import pytest
from markupsafe import escape

from events.orgs import Role
from ledger.log import Ledger
from tests.api.parties import Party
from tests.api.scenario import code
from tests.api.test_makers import ENGLISH_NAMED, SAME_MAKER, UNKNOWN, build_makers, lg_code
from tests.web.login import session_cookie

ROW = re.compile(r'<tr><td><a class="code" href="/regulator/packs/([0-9A-Z]+)"')


@pytest.fixture
def makers(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party], admin: dict[str, str]
) -> dict[str, list[str]]:
    return build_makers(client, ledger, parties, admin)


@pytest.fixture
def cookie(ledger: Ledger, parties: dict[Role, Party]) -> dict[str, str]:
    return session_cookie(ledger, parties[Role.REGULATOR].token)


def page(client: httpx.Client, cookie: dict[str, str], path: str, **params: str) -> httpx.Response:
    return client.get(path, params=params, headers=cookie)


@pytest.mark.parametrize("value", SAME_MAKER)
def test_the_recall_page_finds_the_maker_by_id_code_name_and_lower_case(
    client: httpx.Client, cookie: dict[str, str], makers: dict[str, list[str]], value: str
) -> None:
    response = page(client, cookie, "/regulator/recall", manufacturer=value)
    assert response.status_code == 200
    assert ROW.findall(response.text) == makers["manufacturer"]
    assert '<p id="recall-maker">生产企业：宁德时代新能源科技（manufacturer）</p>' in response.text
    csv = page(client, cookie, "/regulator/recall.csv", manufacturer=value)
    assert [line.split(",")[0] for line in csv.content.decode("utf-8-sig").splitlines()[1:]] == makers["manufacturer"]
    packs = page(client, cookie, "/regulator/packs", manufacturer=value)
    assert ROW.findall(packs.text) == makers["manufacturer"]


@pytest.mark.parametrize("value", ENGLISH_NAMED)
def test_an_english_name_finds_its_maker_on_both_pages(
    client: httpx.Client, cookie: dict[str, str], makers: dict[str, list[str]], value: str
) -> None:
    recall = page(client, cookie, "/regulator/recall", manufacturer=value, lang="en")
    assert ROW.findall(recall.text) == makers["lg-es"]
    assert '<p id="recall-maker">Maker: LG Energy Solution (lg-es)</p>' in recall.text
    assert ROW.findall(page(client, cookie, "/regulator/packs", manufacturer=value).text) == makers["lg-es"]


def test_both_pages_offer_every_maker_with_its_name_and_codes(
    client: httpx.Client, cookie: dict[str, str], makers: dict[str, list[str]]
) -> None:
    options = [
        '<option value="fd-battery" label="弗迪电池 · fd-battery · 03U">弗迪电池</option>',
        '<option value="importer" label="The importer · importer · 0XM">The importer</option>',  # imports under 0XM
        '<option value="lg-es" label="LG Energy Solution · lg-es · 0LG">LG Energy Solution</option>',
        '<option value="manufacturer" label="宁德时代新能源科技 · manufacturer · 001, 0RJ">宁德时代新能源科技</option>',
        '<option value="second-life" label="The second_life · second-life · S2L">The second_life</option>',
    ]
    for path in ("/regulator/recall", "/regulator/packs"):
        text = page(client, cookie, path).text
        assert '<input id="manufacturer" name="manufacturer" value="" list="makers"' in text
        assert f'<datalist id="makers">{"".join(options)}</datalist>' in text  # makers only, by id
        assert "可选择，或输入企业标识、厂商代码或登记名称" in text
    english = page(client, cookie, "/regulator/packs", lang="en").text
    assert "Pick one, or type its org id, maker code or registered name (any case)" in english


@pytest.mark.parametrize("path", ["/regulator/recall", "/regulator/packs"])
def test_a_value_naming_no_maker_is_a_422_page_naming_it(
    client: httpx.Client, cookie: dict[str, str], makers: dict[str, list[str]], path: str
) -> None:
    response = page(client, cookie, path, manufacturer="CATL")
    assert response.status_code == 422
    assert "没有与“CATL”相符的生产企业（企业标识、厂商代码或登记名称）。" in response.text
    english = page(client, cookie, path, manufacturer="CATL", lang="en")
    assert english.status_code == 422 and escape(UNKNOWN.format("CATL")) in english.text
    assert ROW.findall(response.text) == []
    assert '<input id="manufacturer" name="manufacturer" value="CATL"' in response.text  # kept, to correct


def test_the_recall_csv_of_an_unknown_maker_is_a_422(
    client: httpx.Client, cookie: dict[str, str], makers: dict[str, list[str]]
) -> None:
    response = page(client, cookie, "/regulator/recall.csv", manufacturer="比亚迪")
    assert response.status_code == 422
    assert "没有与“比亚迪”相符的生产企业（企业标识、厂商代码或登记名称）。" in response.text  # nothing holds it
    english = page(client, cookie, "/regulator/recall.csv", manufacturer="比亚迪", lang="en")
    assert english.status_code == 422 and escape(UNKNOWN.format("比亚迪")) in english.text


def test_the_packs_page_filters_by_flag_and_batch(
    client: httpx.Client, cookie: dict[str, str], makers: dict[str, list[str]]
) -> None:
    assert ROW.findall(page(client, cookie, "/regulator/packs", flag="incident").text) == [code(1)]
    both = page(client, cookie, "/regulator/packs", batch="B1", manufacturer="宁德时代")
    assert ROW.findall(both.text) == [code(1), code(3)]
    assert "<td>事故 </td>" in both.text and "<td>召回 </td>" in both.text  # the flags, named
    assert ROW.findall(page(client, cookie, "/regulator/packs", batch="B1").text) == [code(1), code(3), lg_code(1)]
    recalled = page(client, cookie, "/regulator/packs", flag="recalled").text
    assert '<option value="recalled" selected>召回</option>' in recalled
    assert "没有找到匹配的电池。" in page(client, cookie, "/regulator/packs", batch="B9").text
    refused = page(client, cookie, "/regulator/packs", flag="lost")
    assert refused.status_code == 422
    chinese = "没有“lost”这种标记；可选标记：已更正、事故、召回。"
    assert f'<p class="alert" role="alert" id="filter-error">{chinese}</p>' in refused.text
    refused = page(client, cookie, "/regulator/packs", flag="lost", lang="en")
    detail = "unknown flag 'lost'; flags are: corrected, incident, recalled ('lost' is a status: status=lost)"
    assert f'<p class="alert" role="alert" id="filter-error">{escape(detail)}</p>' in refused.text


def test_the_packs_page_is_for_regulators_only(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party], makers: dict[str, list[str]]
) -> None:
    maker = session_cookie(ledger, parties[Role.MANUFACTURER].token)
    assert page(client, maker, "/regulator/packs", manufacturer="宁德时代").status_code == 403


@pytest.mark.parametrize("query", ["MANUFACTURER", "001", "0rj", "宁德时代", "宁德时代新能源科技", " 0RJ "])
def test_the_search_box_reads_a_makers_code_and_name_as_its_packs(
    client: httpx.Client, cookie: dict[str, str], makers: dict[str, list[str]], query: str
) -> None:
    """A code finds all of its maker's packs, as the maker field does (001 and 0RJ are both the maker's)."""
    response = page(client, cookie, "/regulator/packs", q=query)
    assert response.status_code == 200
    assert ROW.findall(response.text) == makers["manufacturer"]


def test_the_search_box_keeps_its_other_readings(
    client: httpx.Client, cookie: dict[str, str], makers: dict[str, list[str]]
) -> None:
    assert ROW.findall(page(client, cookie, "/regulator/packs", q="lg energy solution").text) == makers["lg-es"]
    assert ROW.findall(page(client, cookie, "/regulator/packs", q="001PB").text) == makers["manufacturer"]  # prefix
    assert "没有找到匹配的电池。" in page(client, cookie, "/regulator/packs", q="ZZZ").text  # a code of no maker
    refused = page(client, cookie, "/regulator/packs", q="比亚迪")
    assert refused.status_code == 422
    assert "“比亚迪”不是电池编码、车辆识别代号、厂商代码、企业标识或生产企业名称。" in refused.text
    refused = page(client, cookie, "/regulator/packs", q="比亚迪", lang="en")
    assert str(escape("'比亚迪' is not a code, VIN, maker code, organisation id or maker's name")) in refused.text
