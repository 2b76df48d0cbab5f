"""The Chinese UI's parts without a browser (issue 19): how English is found in a page's text, a payload as a
person reads it, the pages' CSVs, errors in the page's language, the scan page's forms, the HTML 404 page."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from pydantic import BaseModel

from api.web import actions
from api.web.csvpage import page_csv
from api.web.fields import number, shown
from api.web.i18n import Words
from api.web.scan import typed_code
from events.errors import InputError
from ledger.usecases import directory
from ledger.usecases.access import Caller
from tests.web.conftest import World
from tests.web.english import english_words
from tests.web.login import session_cookie

ZH, EN = Words("zh"), Words("en")
NAMES = {"brunp": "邦普循环", "gem": "格林美"}


def name_of(org: str) -> str:
    return NAMES.get(org, org)


# -- finding English ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "电池编码 001PB12ABCDEFGHIJ0000001",  # a code
        "额定容量 60 kWh · Li 12.5 kg · Ni 3 kg",  # units and element symbols
        "电池类型 LFP · NiMH · VIN LSVJCGYN1R3998222",  # codes in capitals and a chemistry code
        "哈希 67e64c49877f",  # a hash
        "packtrace · 动力电池溯源管理平台",  # the product's name
        "请平台管理员执行 packtrace calendar import 导入。",  # a command, an allowed phrase
        "等级 A",  # one letter
    ],
)
def test_codes_units_symbols_and_names_are_no_english(text: str) -> None:
    assert english_words([text]) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("欧盟电池护照状态 waste", ["waste"]),
        ("持有单位 fd-battery", ["fd-battery"]),
        ("Not Found", ["Not", "Found"]),
        ("原因 vehicle_scrapped", ["vehicle_scrapped"]),
        ("{'Al': 16, 'Co': 2}", []),  # symbols alone say nothing; the test of the dossier says no dict is shown
        ("as_of: 'July' is not a date", ["as_of", "July", "is", "not", "date"]),
    ],
)
def test_english_words_are_found(text: str, words: list[str]) -> None:
    assert english_words([text]) == words


def test_an_english_organisation_name_is_allowed_when_given() -> None:
    assert english_words(["收货单位 LG Energy Solution"]) == ["Energy", "Solution"]
    assert english_words(["收货单位 LG Energy Solution"], names=["LG Energy Solution"]) == []


# -- a payload as a person reads it ----------------------------------------------------------------------


def test_a_recycling_payload_reads_as_masses_in_kg_without_float_noise() -> None:
    data = {"feed_mass_kg": 1798.5679999999993, "content_kg": {"Li": 12.0, "electrode_powder": 210.25},
            "recovered_kg": {"Li": 11.4}}  # fmt: skip
    assert [(f.label, f.text, f.typed) for f in shown(data, ZH, name_of)] == [
        ("投料重量", "1,798.57 kg", False),
        ("含量", "Li 12 kg · 电极粉料 210.25 kg", False),
        ("回收量", "Li 11.4 kg", False),
    ]
    assert [(f.label, f.text) for f in shown(data, EN, name_of)][1] == (
        "content",
        "Li 12 kg · electrode powder 210.25 kg",
    )


def test_organisations_are_named_closed_values_translated_and_typed_text_marked() -> None:
    shipped = {"to": "brunp", "waybill": "SF1234567890"}
    assert [(f.label, f.text, f.typed) for f in shown(shipped, ZH, name_of)] == [
        ("收货单位", "邦普循环", False),
        ("运单号", "SF1234567890", True),
    ]
    retired = {"reason": "vehicle_scrapped", "scrap_certificate": None}
    assert [(f.label, f.text) for f in shown(retired, ZH, name_of)] == [("原因", "车辆报废")]
    dismantled = {"outputs": [{"kind": "material", "name": "黑粉 black mass", "mass_kg": 210.0}]}
    assert [(f.label, f.text, f.typed) for f in shown(dismantled, ZH, name_of)] == [
        ("产出物", "材料 黑粉 black mass 210 kg", True)  # a person's words, shown as typed
    ]


def test_numbers_for_people() -> None:
    assert [number(v) for v in (1798.5679999999993, 60.0, 62.5, 3, 0.12345)] == ["1,798.57", "60", "62.5", "3", "0.12"]


# -- the pages' CSVs -------------------------------------------------------------------------------------


class Row(BaseModel):
    code: str
    status: str
    rate: float
    below: bool


ROWS = [Row(code="001PB12A", status="in_stock", rate=1798.5679999999993, below=True)]


def test_a_chinese_csv_has_chinese_headers_names_and_rounded_numbers() -> None:
    rows = list(csv.reader(io.StringIO(page_csv(Row, ROWS, ZH).removeprefix("\ufeff"))))
    assert rows == [["电池编码", "状态", "比率", "低于门槛"], ["001PB12A", "在库", "1798.57", "是"]]


def test_an_english_csv_keeps_the_field_names_and_rounds_numbers() -> None:
    rows = list(csv.reader(io.StringIO(page_csv(Row, ROWS, EN).removeprefix("\ufeff"))))
    assert rows == [["code", "status", "rate", "below"], ["001PB12A", "in_stock", "1798.57", "true"]]


# -- errors in the page's language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message", "status", "chinese"),
    [
        ("invalid_filter", "produced_from: '2026-13-01' is not a date (YYYY-MM-DD)", 422,
         "“2026-13-01”不是有效日期（格式为 YYYY-MM-DD）。"),
        ("forbidden", "org 'nio-swap' (swap_operator) may not post 'swapped': requires custody", 403,
         "您当前的身份不能对此电池进行“换电”操作。"),
        ("unknown_pack", "unknown pack 001PB12ABC", 404, "没有编码为 001PB12ABC 的电池。"),
        ("illegal_transition", "a pack in_stock cannot be recycled", 409, "电池当前状态不允许此操作。"),
        ("claim_id_reused", "claim id x was used for another claim", 409, "操作与当前记录冲突，请刷新后重试。"),
        ("whatever", "something odd", 418, "请求有误，请检查输入后重试。"),
        ("internal_error", "internal error", 500, "服务器出错，请稍后再试。"),
    ],
)  # fmt: skip
def test_an_error_is_said_in_chinese_and_kept_in_english(code: str, message: str, status: int, chinese: str) -> None:
    assert ZH.error(code, message, status) == chinese
    assert EN.error(code, message, status) == message


# -- the scan page's forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read"), [(" 001pb12abc\r\n", "001PB12ABC"), ("http://h/p/001pb", "http://h/p/001pb")]
)
def test_a_typed_code_is_read_in_capitals_a_url_as_it_is(typed: str, read: str) -> None:
    assert typed_code(typed) == read


def test_the_actions_come_most_likely_first() -> None:
    offered = actions.forms_for(["exported", "lost", "incident", "shipped", "received"], "in_transit")
    assert [action for action, _ in offered] == ["received", "shipped", "incident", "lost", "exported"]


@pytest.mark.parametrize(
    ("form", "chinese", "english"),
    [
        ({}, "请填写“收货单位”。", "Receiving organisation is required"),
        ({"to": "  "}, "请填写“收货单位”。", "Receiving organisation is required"),
    ],
)
def test_a_blank_receiver_is_said_in_both_languages(form: dict[str, str], chinese: str, english: str) -> None:
    with pytest.raises(InputError) as caught:
        actions.payload("shipped", form)
    assert getattr(caught.value, "localized", None) == (chinese, english) and caught.value.message == english


def test_a_mass_that_is_no_number_is_said_in_both_languages() -> None:
    with pytest.raises(InputError) as caught:
        actions.payload("recycled", {"feed_mass_kg": "很多"})
    assert getattr(caught.value, "localized", None) == (
        "“投料重量 (kg)”须为数字：很多",
        "Feed mass (kg): '很多' is not a number",
    )


def test_the_receivers_are_every_holder_but_the_caller_by_name(world: World) -> None:
    me = world.ledger.org("xm-collect")
    listed = directory.receivers(world.ledger, Caller(org=me))
    assert [o.name for o in listed] == sorted(o.name for o in listed)
    assert {o.id for o in listed} == {
        o.id
        for o in world.province.orgs.values()
        if o.id != "xm-collect" and o.id not in ("fj-miit", "xm-miit", "platform")
    }


def test_the_scan_page_offers_receivers_by_name_and_chinese_options(world: World, web_client: httpx.Client) -> None:
    pack = world.province.paths["in_stock"][0]
    holder = world.ledger.pack_state(pack)
    assert holder is not None and holder.custodian is not None
    page = web_client.get(
        f"/scan?code={pack.lower()}", headers=session_cookie(world.ledger, world.province.token(holder.custodian))
    )
    assert page.status_code == 200 and f'<p class="code" id="pack-code">{pack}</p>' in page.text  # any case
    assert '<option value="brunp">邦普循环</option>' in page.text and 'name="to"' in page.text
    assert '<option value="vehicle_scrapped">车辆报废</option>' in page.text
    assert page.text.index('data-action="shipped"') < page.text.index('data-action="exported"')


# -- the 404 page ----------------------------------------------------------------------------------------


def test_an_unknown_address_is_a_page_for_a_browser_and_a_problem_for_the_api(web_client: httpx.Client) -> None:
    page = web_client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "<h1>未找到</h1>" in page.text and "未找到所请求的内容。" in page.text
    english = web_client.get("/no-such-page?lang=en", headers={"Accept": "text/html"})
    assert english.status_code == 404 and "<h1>Not found</h1>" in english.text
    api = web_client.get("/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
