"""The web pages in-process: the public pack page, login, language, the regulator's workspace (with the
verification badge, also on a tampered record) and the scan page's photo → pack → one-tap flow."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import httpx
import pytest
from PIL import Image
from sqlalchemy import text

from events.orgs import Role
from labels.payload import label_url
from labels.render import LabelInfo, render_png
from ledger.log import Ledger
from ledger.store import registry
from tests.api.parties import ADMIN_TOKEN, VIN, Party
from tests.api.scenario import code, in_vehicle
from tests.web.conftest import World
from tests.web.login import login_cookie, session_cookie
from tests.web.province import MAKERS

REGULATOR = "fj-miit"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def session(world: World, org: str) -> dict[str, str]:
    return session_cookie(world.ledger, world.province.token(org))


def label_photo(world: World, pack: str) -> bytes:
    info = LabelInfo(pack, "宁德时代", "LFP", 60.0, date(2026, 7, 20))
    return render_png(info, label_url(world.settings.public_url, pack))


def a_pack(world: World, path: str) -> str:
    return world.province.paths[path][0]


def maker_of(pack: str) -> str:
    return next(org for org, prefix in MAKERS.items() if pack.startswith(prefix))


# -- the public page ------------------------------------------------------------------------------------


def test_the_qr_target_shows_the_public_tier_in_chinese(world: World, web_client: httpx.Client) -> None:
    pack = a_pack(world, "in_vehicle")
    response = web_client.get(f"/p/{pack}", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="zh-CN">' in page and "动力电池信息" in page and pack in page
    assert "使用中" in page  # the coarse status, not "in_vehicle"
    assert world.province.orgs[maker_of(pack)].name in page
    assert "kWh" in page and "LSV" not in page  # no VIN on the public tier
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_the_qr_target_answers_json_with_the_callers_view(world: World, web_client: httpx.Client) -> None:
    pack = a_pack(world, "in_vehicle")
    public = web_client.get(f"/p/{pack}", headers={"Accept": "application/json"}).json()
    assert public["tier"] == "public" and public["status"] == "in_use" and public["vin"] is None
    assert web_client.get(f"/p/{pack}").json() == public  # no Accept (curl, a scanner app): JSON too
    headers = {"Accept": "application/json", **world.auth(REGULATOR)}
    authority = web_client.get(f"/p/{pack}", headers=headers).json()
    assert authority["tier"] == "authority" and authority["status"] == "in_vehicle"
    assert authority["vin"].startswith("LSV")
    assert authority == web_client.get(f"/v1/packs/{pack}", headers=world.auth(REGULATOR)).json()


def test_unknown_and_malformed_codes_on_the_public_page(world: World, web_client: httpx.Client) -> None:
    unknown = "001PB12ABCDEFGG1F9999999"
    assert web_client.get(f"/p/{unknown}", headers=BROWSER).status_code == 404
    assert "未找到" in web_client.get(f"/p/{unknown}", headers=BROWSER).text
    problem = web_client.get("/p/NOTACODE", headers={"Accept": "application/json"})
    assert problem.status_code == 422 and problem.headers["content-type"] == "application/problem+json"
    assert web_client.get("/p/NOTACODE", headers=BROWSER).status_code == 422


def test_english_switch_is_remembered(world: World, web_client: httpx.Client) -> None:
    pack = a_pack(world, "in_vehicle")
    english = web_client.get(f"/p/{pack}?lang=en", headers=BROWSER)
    assert '<html lang="en">' in english.text and "Battery pack" in english.text and "in use" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    again = web_client.get(f"/p/{pack}", headers={"Cookie": "lang=en", **BROWSER})
    assert "Battery pack" in again.text
    assert "动力电池信息" in web_client.get(f"/p/{pack}?lang=zh", headers=BROWSER).text
    assert 'href="/p/' + pack + '?lang=en"' in web_client.get(f"/p/{pack}?lang=zh", headers=BROWSER).text


def test_the_stylesheet_is_served_and_nothing_else(web_client: httpx.Client) -> None:
    css = web_client.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "svg.chart" in css.text
    assert web_client.get("/static/..%2Fi18n.py").status_code == 404
    assert web_client.get("/static/render.py").status_code == 404


# -- login ----------------------------------------------------------------------------------------------


def test_login_keeps_the_token_in_a_strict_httponly_cookie(world: World, web_client: httpx.Client) -> None:
    token = world.province.token(REGULATOR)
    response = web_client.post("/login", data={"token": token, "next": "/regulator/recovery"})
    assert response.status_code == 303 and response.headers["location"] == "/regulator/recovery"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("packtrace_session=") and token not in cookie  # a session's own secret (item 8)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    web_client.cookies.clear()


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_login_does_not_redirect_off_site(world: World, web_client: httpx.Client, target: str) -> None:
    response = web_client.post("/login", data={"token": world.province.token(REGULATOR), "next": target})
    assert response.headers["location"] == "/regulator"
    response = web_client.post("/login", data={"token": world.province.token("gem"), "next": ""})
    assert response.headers["location"] == "/scan"
    web_client.cookies.clear()


def test_a_wrong_token_is_said_so(web_client: httpx.Client) -> None:
    response = web_client.post("/login", data={"token": "pt_nobody_x", "next": "/regulator"})
    assert response.status_code == 401 and "令牌无效" in response.text and "set-cookie" not in response.headers


def test_a_form_posted_from_another_site_is_refused(world: World, web_client: httpx.Client) -> None:
    response = web_client.post(
        "/login", data={"token": world.province.token(REGULATOR)}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403 and "set-cookie" not in response.headers
    response = web_client.post(
        "/scan/act",
        data={"code": a_pack(world, "for_scan"), "action": "received"},
        headers={"Origin": "https://evil.example", **session(world, "xm-collect")},
    )
    assert response.status_code == 403


def test_logout_clears_the_session(world: World, web_client: httpx.Client) -> None:
    response = web_client.post("/logout", headers=session(world, REGULATOR))
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert 'packtrace_session=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]


def test_nobody_logged_in_is_sent_to_login_and_back(web_client: httpx.Client) -> None:
    response = web_client.get("/regulator/recall?manufacturer=001")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fregulator%2Frecall%3Fmanufacturer%3D001"
    login = web_client.get(response.headers["location"])
    assert 'value="/regulator/recall?manufacturer=001"' in login.text


# -- the regulator's workspace --------------------------------------------------------------------------


def test_overview_draws_its_charts_inline(world: World, web_client: httpx.Client) -> None:
    page = web_client.get("/regulator", headers=session(world, REGULATOR)).text
    assert page.count('<svg class="chart"') == 4
    for title in ("按状态分布", "近 30 天每日事件", "各企业上报及时性", "再生利用回收率"):
        assert title in page
    report = web_client.get("/v1/reports/compliance", headers=world.auth(REGULATOR)).json()
    assert f'id="stat-late">{report["late_total"]:,}<' in page
    assert f'id="stat-unaccounted">{len(report["unaccounted"]):,}<' in page
    assert "<script" not in page and not re.search(r'(?:src|href)="(?:https?:)?//', page)  # nothing external


def test_search_by_code_opens_the_record(world: World, web_client: httpx.Client) -> None:
    pack = a_pack(world, "repair")
    response = web_client.get(f"/regulator/packs?q={pack.lower()}", headers=session(world, REGULATOR))
    assert response.status_code == 303 and response.headers["location"] == f"/regulator/packs/{pack}"


@pytest.mark.parametrize("kind", ["prefix", "maker_code", "vin", "custodian"])
def test_search_finds_packs(world: World, web_client: httpx.Client, kind: str) -> None:
    pack = a_pack(world, "in_vehicle")
    state = world.ledger.pack_state(pack)
    assert state is not None and state.binding is not None
    query = {"prefix": pack[:10], "maker_code": pack[:3], "vin": state.binding.target, "custodian": state.custodian}[
        kind
    ]
    page = web_client.get("/regulator/packs", params={"q": query}, headers=session(world, REGULATOR)).text
    assert f'href="/regulator/packs/{pack}"' in page
    rows = re.findall(r'<a class="code" href="/regulator/packs/([0-9A-Z]+)"', page)
    assert rows == sorted(rows) and len(rows) <= 50


def test_search_says_when_nothing_matches(world: World, web_client: httpx.Client) -> None:
    page = web_client.get("/regulator/packs", params={"q": "ZZZ"}, headers=session(world, REGULATOR)).text
    assert "没有找到匹配的电池" in page
    bad = web_client.get("/regulator/packs", params={"q": "a b!"}, headers=session(world, REGULATOR))
    assert bad.status_code == 422


def test_the_record_shows_a_verified_badge_vehicles_and_custody(world: World, web_client: httpx.Client) -> None:
    pack = a_pack(world, "repair")
    page = web_client.get(f"/regulator/packs/{pack}", headers=session(world, REGULATOR)).text
    assert 'class="verify ok"' in page and "已验证" in page
    entries = len(web_client.get(f"/v1/packs/{pack}/events", headers=world.auth(REGULATOR)).json()["events"])
    assert f"全部 {entries} 条记录" in page
    # complete by the log's head commitment, made for this page (the latest entry of subject `heads`)
    commitment = json.loads(world.ledger.pack_entries("heads", 0)[-1].body)["index"]
    assert (
        f'<p id="complete">记录完整：日志第 {commitment} 条的头部承诺表明本电池的最后一条记录为序号 {entries - 1}，'
        "无记录被截去。</p>"
    ) in page
    assert page.count("<li") >= entries
    assert re.search(r'<table id="bindings">.*LSV.*</table>', page, re.S)
    custody = re.search(r'<table id="custody">(.*?)</table>', page, re.S)
    assert custody is not None and "福州维修" in custody.group(1)


def test_the_record_of_a_late_entry_says_how_late(world: World, web_client: httpx.Client) -> None:
    report = web_client.get("/v1/reports/compliance", headers=world.auth(REGULATOR)).json()
    late = report["late"][0]
    page = web_client.get(f"/regulator/packs/{late['pack']}", headers=session(world, REGULATOR)).text
    assert f"迟报 {late['working_days_late']} 个工作日" in page


def test_recall_page_lists_the_trace_and_links_its_csv(world: World, web_client: httpx.Client) -> None:
    params = {"manufacturer": "0RJ", "chemistry": "NCM"}
    page = web_client.get("/regulator/recall", params=params, headers=session(world, REGULATOR)).text
    report = web_client.get("/v1/reports/recall", params=params, headers=world.auth(REGULATOR)).json()
    rows = re.findall(r'<tr><td><a class="code" href="/regulator/packs/([0-9A-Z]+)"', page)
    assert rows == [p["code"] for p in report["packs"]] and rows
    assert f"共 {report['count']} 块电池" in page
    assert 'href="/regulator/recall.csv?manufacturer=0RJ&amp;chemistry=NCM"' in page
    chinese = web_client.get("/regulator/recall.csv", params=params, headers=session(world, REGULATOR))
    header, first = chinese.content.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("电池编码,状态,持有单位标识,持有单位,") and ",装车使用中," in first  # the page's language
    csv_text = web_client.get(
        "/regulator/recall.csv", params={**params, "lang": "en"}, headers=session(world, REGULATOR)
    )
    assert csv_text.content.decode("utf-8-sig").splitlines()[1:] == [
        line for line in web_client.get("/v1/reports/recall", params={**params, "format": "csv"},
                                        headers=world.auth(REGULATOR)).content.decode("utf-8-sig").splitlines()[1:]
    ]  # fmt: skip


def test_recall_form_errors_are_shown(world: World, web_client: httpx.Client) -> None:
    response = web_client.get(
        "/regulator/recall", params={"produced_from": "2026-13-01"}, headers=session(world, REGULATOR)
    )
    assert response.status_code == 422 and "“2026-13-01”不是有效日期（格式为 YYYY-MM-DD）。" in response.text
    english = web_client.get(
        "/regulator/recall", params={"produced_from": "2026-13-01", "lang": "en"}, headers=session(world, REGULATOR)
    )
    assert english.status_code == 422 and "produced_from: &#39;2026-13-01&#39; is not a date" in english.text
    empty = web_client.get("/regulator/recall", headers=session(world, REGULATOR))
    assert empty.status_code == 200 and 'id="recall-results"' not in empty.text


def test_compliance_page_lists_late_reporters_and_unaccounted_packs(world: World, web_client: httpx.Client) -> None:
    report = web_client.get("/v1/reports/compliance", headers=world.auth(REGULATOR)).json()
    page = web_client.get("/regulator/compliance", headers=session(world, REGULATOR)).text
    for org in report["by_org"]:
        assert f'data-org="{org["org"]}"' in page
    table = re.search(r'<table id="unaccounted-packs">(.*?)</table>', page, re.S)
    assert table is not None
    assert re.findall(r'href="/regulator/packs/([0-9A-Z]+)"', table.group(1)) == [
        u["pack"] for u in report["unaccounted"]
    ]
    assert "退役后未被回收网点" in page and "已发货未被接收" in page


def test_recovery_and_organisation_pages(world: World, web_client: httpx.Client) -> None:
    recovery = web_client.get("/regulator/recovery", headers=session(world, REGULATOR)).text
    assert "格林美" in recovery and 'class="below"' in recovery and '<svg class="chart"' in recovery
    orgs = web_client.get("/regulator/organisations?lang=en", headers=session(world, REGULATOR)).text
    for org in world.province.orgs.values():
        assert org.name in orgs
    assert "Organisations" in orgs


# -- the verification badge on a damaged record ---------------------------------------------------------


def test_a_tampered_record_fails_verification_on_its_page(
    client: httpx.Client, parties: dict[Role, Party], ledger: Ledger
) -> None:
    in_vehicle(client, parties, 1)
    regulator = session_cookie(ledger, parties[Role.REGULATOR].token)
    assert "已验证" in client.get(f"/regulator/packs/{code(1)}", headers=regulator).text
    with ledger.engine.begin() as conn:  # an insider changes the installed vehicle in the stored entry
        row = conn.execute(text("SELECT idx, body FROM entry WHERE pack = :p AND type = 'installed'"), {"p": code(1)})
        idx, body = row.one()
        forged = bytes(body).replace(VIN.encode(), b"LFV2A21K0G3000001")
        conn.execute(text("UPDATE entry SET body = :b WHERE idx = :i"), {"b": forged, "i": idx})
    page = client.get(f"/regulator/packs/{code(1)}", headers=regulator).text
    assert 'class="verify bad"' in page and "验证失败" in page and "已验证" not in page


# -- scanning -------------------------------------------------------------------------------------------


def test_scan_a_label_photo_then_acknowledge_receipt(world: World, web_client: httpx.Client) -> None:
    pack = world.province.paths["for_scan"][1]
    collector = session(world, "xm-collect")
    page = web_client.post("/scan", files={"image": ("label.png", label_photo(world, pack), "image/png")},
                           headers=collector)  # fmt: skip
    assert page.status_code == 303 and page.headers["location"] == f"/scan?code={pack}"  # POST-redirect-GET
    page = web_client.get(page.headers["location"], headers=collector)
    assert page.status_code == 200, page.text
    assert f'<p class="code" id="pack-code">{pack}</p>' in page.text
    assert page.text.index('data-action="received"') < page.text.index('id="scan-form"')  # the tap first
    assert "运输中" in page.text and 'data-action="received"' in page.text and "确认接收" in page.text
    head = re.search(r'name="prev" value="([0-9a-f]{64})"', page.text)
    assert head is not None

    done = web_client.post(
        "/scan/act", data={"code": pack, "action": "received", "prev": head.group(1)}, headers=collector
    )
    assert done.status_code == 303 and done.headers["location"] == f"/scan?code={pack}&done=received"
    after = web_client.get(done.headers["location"], headers=collector).text
    assert 'id="pack-status">在库<' in after and "已上报: 入库/接收" in after

    history = web_client.get(f"/v1/packs/{pack}/events", headers=world.auth(REGULATOR)).json()["events"]
    last = history[-1]["entry"]["claim"]
    assert (last["type"], last["actor"], last["data"]) == ("received", "xm-collect", {"from": maker_of(pack)})
    with world.ledger.engine.connect() as conn:
        key = registry.get_keys(conn, [last["key"]])[last["key"]]
    assert key.platform_held and key.org == "xm-collect"


def test_a_stale_page_cannot_post(world: World, web_client: httpx.Client) -> None:
    pack = world.province.paths["for_scan"][2]
    collector = session(world, "xm-collect")
    response = web_client.post(
        "/scan/act", data={"code": pack, "action": "received", "prev": "0" * 64}, headers=collector
    )
    assert response.status_code == 409 and "电池记录已在别处更新，请刷新页面后重试。" in response.text
    english = web_client.post(
        "/scan/act?lang=en", data={"code": pack, "action": "received", "prev": "0" * 64}, headers=collector
    )
    assert english.status_code == 409 and "stale prev" in english.text
    assert 'id="pack-status">运输中<' in response.text


def test_actions_that_need_details_ask_for_them(world: World, web_client: httpx.Client) -> None:
    pack = world.province.paths["in_stock"][0]
    holder = world.ledger.pack_state(pack)
    assert holder is not None
    page = web_client.get(f"/scan?code={pack}", headers=session(world, holder.custodian)).text
    assert 'data-action="shipped"' in page and 'name="to"' in page and 'data-action="retired"' in page
    missing = web_client.post(
        "/scan/act", data={"code": pack, "action": "shipped"}, headers=session(world, holder.custodian)
    )
    assert missing.status_code == 422 and "请填写“收货单位”。" in missing.text


def test_an_organisation_without_a_platform_key_is_told(world: World, web_client: httpx.Client) -> None:
    pack = world.province.paths["in_stock"][1]
    holder = world.ledger.pack_state(pack)
    assert holder is not None and holder.custodian not in ("xm-collect", "brunp")
    response = web_client.post(
        "/scan/act",
        data={"code": pack, "action": "retired", "reason": "damaged"},
        headers=session(world, holder.custodian),
    )
    assert response.status_code == 403 and "贵单位尚无平台托管的签名密钥，不能在网页上报事件。" in response.text


def test_a_photo_without_a_code_is_said_on_the_page(world: World, web_client: httpx.Client) -> None:
    out = io.BytesIO()
    Image.new("L", (400, 300), 255).save(out, format="PNG")
    response = web_client.post("/scan", files={"image": ("blank.png", out.getvalue(), "image/png")},
                               headers=session(world, "xm-collect"))  # fmt: skip
    assert response.status_code == 422 and 'id="scan-error"' in response.text
    assert "照片中未找到二维码或条码，请重拍或直接输入编码。" in response.text


def test_the_admin_token_can_scan_but_not_post(world: World, web_client: httpx.Client) -> None:
    pack = a_pack(world, "in_vehicle")
    page = web_client.get(
        f"/scan?code={pack}", headers=session_cookie(world.ledger, ADMIN_TOKEN, admin_token=ADMIN_TOKEN)
    )
    assert page.status_code == 200 and "平台管理员令牌不代表任何企业" in page.text and "/scan/act" not in page.text


def test_without_a_sealing_secret_the_page_says_posting_is_not_set_up(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    in_vehicle(client, parties, 1)
    automaker = login_cookie(client, parties[Role.AUTOMAKER].token)
    page = client.get(f"/scan?code={code(1)}", headers=automaker)
    assert page.status_code == 200 and 'data-action="removed"' in page.text
    response = client.post(
        "/scan/act", data={"code": code(1), "action": "removed", "reason": "repair"}, headers=automaker
    )
    assert response.status_code == 503 and "此服务器未配置平台托管密钥，暂不能上报事件。" in response.text
