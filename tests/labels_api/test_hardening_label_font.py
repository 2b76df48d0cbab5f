"""Issue 11 item 13: the label font (Debian's fonts-wqy-microhei) missing, as after a plain `pip install`.
Every label request answers 503 `label_font_missing` naming the package and the paths looked at, never a
500; /healthz says the service is not ready; start-up logs it; `packtrace label` says so without a
traceback. The font lookup is pointed at a path that does not exist: the system font stays installed."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.bootstrap import build_ledger
from api.cli import app as cli
from api.settings import Settings
from events.errors import UnavailableError
from events.orgs import Role
from labels import fonts
from labels.render import LabelInfo, render_png, render_svg
from labels.sheet import render_sheet
from ledger.log import Ledger
from tests.api.parties import ADMIN_TOKEN, Party, make_party
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code
from tests.labels_api.images import read_qr
from tests.labels_api.world import PUBLIC_URL, shipped, url_of

MAKER, RECYCLER = Role.MANUFACTURER, Role.RECYCLER
INSTALLED = fonts.FONT_PATHS


def missing_detail(path: Path) -> str:
    return (
        "the label font WenQuanYi Micro Hei is not installed: install the Debian package fonts-wqy-microhei "
        f"(looked for {path})"
    )


@pytest.fixture
def absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The font lookup pointed at a path where no font is."""
    path = tmp_path / "fonts" / "wqy-microhei.ttc"
    monkeypatch.setattr(fonts, "FONT_PATHS", (path,))
    return path


def test_item13_drawing_a_label_without_the_font_names_the_package(absent: Path, tmp_path: Path) -> None:
    info = LabelInfo(code(1), "宁德时代", "LFP", 60.0, None)
    for draw in (
        lambda: render_png(info, url_of(code(1))),
        lambda: render_svg(info, url_of(code(1))),
        lambda: render_sheet([(info, url_of(code(1)))]),
    ):
        with pytest.raises(UnavailableError) as raised:
            draw()
        assert raised.value.code == "label_font_missing"
        assert str(raised.value) == missing_detail(absent)
    # once installed (here: a copy at the looked-for path), labels are drawn again: nothing stale was kept
    absent.parent.mkdir()
    shutil.copy(next(path for path in INSTALLED if path.is_file()), absent)
    assert read_qr(render_png(info, url_of(code(1)))) == [url_of(code(1))]


def test_item13_label_requests_answer_503_label_font_missing_not_500(
    client: httpx.Client, parties: dict[Role, Party], absent: Path
) -> None:
    pack = shipped(client, parties, 1, RECYCLER)
    auth = parties[MAKER].auth
    detail = missing_detail(absent)
    assert_problem(client.get(f"/v1/packs/{pack}/label.png", headers=auth), 503, "label_font_missing", detail)
    assert_problem(client.get(f"/v1/packs/{pack}/label.svg", headers=auth), 503, "label_font_missing", detail)
    sheet = client.post("/v1/labels", json={"codes": [pack]}, headers=auth)
    assert_problem(sheet, 503, "label_font_missing", detail)
    scanned = client.post("/v1/scan", json={"text": pack}, headers=parties[RECYCLER].auth)
    assert scanned.status_code == 200, "scanning draws no label: it goes on without the font"


def test_item13_healthz_is_not_ready_without_the_font(client: httpx.Client, absent: Path) -> None:
    assert_problem(client.get("/healthz"), 503, "label_font_missing", missing_detail(absent))


def test_item13_healthz_is_ready_with_the_font(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "log_size": 0, "witnesses": []}


def test_item13_start_up_logs_the_missing_font(ledger: Ledger, absent: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="packtrace"):
        create_app(ledger, settings=Settings(admin_token=ADMIN_TOKEN))
    assert [record.getMessage() for record in caplog.records] == [f"not ready: {missing_detail(absent)}"]


@pytest.fixture
def recorded(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A produced pack in the database the CLI's settings name."""
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", PUBLIC_URL)
    ledger = build_ledger(Settings())
    try:
        maker = make_party(ledger, MAKER)
        body = maker.claim(code(1), "produced", PRODUCED)
        ledger.append([(body["claim"], body["sig"])])
        yield code(1)
    finally:
        ledger.close()
        ledger.engine.dispose()


def test_item13_packtrace_label_says_the_font_is_missing_without_a_traceback(
    recorded: str, absent: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["label", recorded, "--pdf", str(out / "sheet.pdf"), "--png", str(out)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip() == f"label_font_missing: {missing_detail(absent)}"
    assert "Traceback" not in result.output and not out.exists()
