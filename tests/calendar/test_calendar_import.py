"""`packtrace calendar import` and `show` (docs/calendar.md): an import is a registry entry the log verifies,
the report tables count again with it, a late report through a year without data is `provisional` in the
JSON, the CSV and the compliance page, and the overview warns while next year's calendar is missing."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from events.errors import AuthorisationError, ConflictError, InputError
from events.orgs import Role
from events.registry import Registry, new_registry_claim
from ledger.log import Ledger
from ledger.usecases import calendar as calendars
from ledger.usecases.access import ADMIN
from ledger.usecases.heads import commit_heads
from ledger.usecases.reports.compliance import compliance
from ledger.usecases.workspace import overview
from tests.api.conftest import write_log_key
from tests.api.parties import VIN, Party
from tests.api.scenario import PRODUCED, code, post
from tests.events.events_world import exact
from tests.support import Clock, platform_database, regulator_caller
from tests.web.login import session_cookie

FIXTURE_2027 = Path(__file__).resolve().parent.parent / "data" / "calendar-2027-test.json"
RECORDED = datetime(2027, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 on 2 March 2027, China time
runner = CliRunner()


def installed_late(client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]) -> None:
    """A pack installed at 10:00 on 1 February 2027 (China time) and recorded on 2 March 2027."""
    ledger.clock = Clock(RECORDED)
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    pack, at = code(1), datetime(2027, 2, 1, 1, 0, tzinfo=UTC)
    post(client, maker, maker.claim(pack, "produced", PRODUCED, at=at - timedelta(days=3)))
    post(client, maker, maker.claim(pack, "shipped", {"to": automaker.id}, at=at - timedelta(days=2)))
    post(client, automaker, automaker.claim(pack, "received", {"from": maker.id}, at=at - timedelta(days=1)))
    post(client, automaker, automaker.claim(pack, "installed", {"vin": VIN}, at=at + timedelta(hours=1)))


def late_rows(client: httpx.Client, regulator: Party) -> list[dict[str, str]]:
    response = client.get("/v1/reports/compliance", params={"format": "csv", "section": "late"}, headers=regulator.auth)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_an_import_recounts_the_reports_and_the_log_verifies(
    ledger: Ledger, client: httpx.Client, parties: dict[Role, Party], database_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    installed_late(client, ledger, parties)
    regulator = parties[Role.REGULATOR]
    before = compliance(ledger, regulator_caller())
    assert [(e.type, str(e.due), e.working_days_late, e.provisional) for e in before.late] == [
        ("installed", "2027-02-22", 6, True)  # Monday to Friday: 2027 has no data
    ]
    assert [(r["due"], r["working_days_late"], r["provisional"]) for r in late_rows(client, regulator)] == [
        ("2027-02-22", "6", "true")
    ]

    view = calendars.import_calendar(ledger, ADMIN, FIXTURE_2027.read_bytes())

    assert view.origin == "imported" and view.index == ledger.size() - 1
    after = compliance(ledger, regulator_caller())
    assert [(e.type, str(e.due), e.working_days_late, e.provisional) for e in after.late] == [
        ("installed", "2027-03-01", 1, False)  # the fixture's Spring Festival, 5–13 February, does not count
    ]
    assert [(r["due"], r["working_days_late"], r["provisional"]) for r in late_rows(client, regulator)] == [
        ("2027-03-01", "1", "false")
    ]
    committed = commit_heads(ledger)  # the log's head commitment covers the calendar's chain like any other
    assert committed is not None and committed.size == ledger.size() - 1
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    write_log_key(ledger, tmp_path / "log.key")
    result = runner.invoke(cli, ["verify"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"OK: {ledger.size()} entries, 1 packs, ")


def test_the_compliance_page_and_the_overview_show_what_is_provisional_and_missing(
    ledger: Ledger, client: httpx.Client, parties: dict[Role, Party]
) -> None:
    installed_late(client, ledger, parties)
    cookie = session_cookie(ledger, parties[Role.REGULATOR].token)
    page = client.get("/regulator/compliance", headers=cookie).text
    assert 'class="badge late provisional"' in page and ">暂定</span>" in page
    assert overview(ledger, regulator_caller()).calendar_missing == [2027, 2028]  # today is 2 March 2027
    home = client.get("/regulator", headers=cookie).text
    assert '<p class="alert" id="calendar-missing" role="alert">工作日历缺少 2027、2028 年的节假日安排' in home
    english = client.get("/regulator?lang=en", headers=cookie).text
    assert "The working-day calendar has no holidays for 2027、2028: deadlines in that year" in english

    calendars.import_calendar(ledger, ADMIN, FIXTURE_2027.read_bytes())

    page = client.get("/regulator/compliance", headers=cookie).text
    assert "provisional" not in page.split("late-entries")[1]
    assert overview(ledger, regulator_caller()).calendar_missing == [2028]
    assert "工作日历缺少 2028 年的节假日安排" in client.get("/regulator", headers=cookie).text


def test_the_same_file_again_is_refused_and_only_the_administrator_imports(
    ledger: Ledger, parties: dict[Role, Party]
) -> None:
    content = FIXTURE_2027.read_bytes()
    calendars.import_calendar(ledger, ADMIN, content)
    size = ledger.size()
    with pytest.raises(ConflictError, match=exact(
        "the 2027 calendar in force already has these dates from this source: nothing to import"
        "（2027 年现行日历已有同一来源的相同日期，无需导入）"
    )):  # fmt: skip
        calendars.import_calendar(ledger, ADMIN, content)
    with pytest.raises(AuthorisationError, match="only the platform administrator may import a working-day calendar"):
        calendars.import_calendar(ledger, regulator_caller(), content)
    assert ledger.size() == size


def test_the_registry_admits_a_calendar_import_by_the_administrator_alone() -> None:
    data = json.loads(FIXTURE_2027.read_text(encoding="utf-8"))
    at = datetime(2026, 12, 4, tzinfo=UTC)
    registry = Registry()
    assert registry.apply(5, at, new_registry_claim(subject="calendar", type="calendar_imported", by="admin",
                                                    data=data, at=at)) == ""  # fmt: skip
    by_log = new_registry_claim(subject="calendar", type="calendar_imported", by="log", data=data, at=at)
    with pytest.raises(AuthorisationError, match=exact(
        "calendar_imported of calendar may not be authorised by log: only by admin（仅限：平台管理员）"
    )):  # fmt: skip
        registry.apply(6, at, by_log)
    wrong = new_registry_claim(subject="log", type="calendar_imported", by="admin", data=data, at=at)
    with pytest.raises(InputError, match=exact(
        "calendar_imported is about the calendar: its subject is 'calendar', not 'log'"
    )):  # fmt: skip
        registry.apply(6, at, wrong)
    bad = new_registry_claim(subject="calendar", type="calendar_imported", by="admin",
                             data={**data, "workdays": ["2027-02-08"]}, at=at)  # fmt: skip
    with pytest.raises(InputError, match=exact(
        "calendar_imported data: make-up working day 2027-02-08 is a Monday: a make-up working day is a Saturday or "
        "Sunday（调休上班日 2027-02-08 是星期一：调休上班日只能是周六或周日）"
    )):  # fmt: skip
        registry.apply(6, at, bad)


# -- the commands ---------------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", "cli.test/log")
    platform_database()  # the commands work on a platform's database: they never create one
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_calendar_import_and_show(env: Path) -> None:
    exit_code, out, _ = run("calendar", "show", "2027")
    assert (exit_code, out) == (0, "2027: no calendar data — deadlines are counted Monday to Friday and marked "
                                   "provisional（2027 年无节假日安排：按周一至周五计算，标为暂定）\n")  # fmt: skip
    exit_code, out, err = run("calendar", "import", str(FIXTURE_2027))
    assert exit_code == 0, err
    assert err.startswith("imported the 2027 calendar as entry ")
    lines = out.splitlines()
    assert lines[0].startswith("2027: imported by entry ")
    assert lines[1] == "source（来源）: TEST DATA — not a State Council notice（测试数据，并非国务院办公厅通知）"
    assert "holidays（法定节假日）: 12" in lines and "  2027-02-06 周六 春节" in lines
    assert lines[-2:] == ["make-up working days（调休上班日）: 1", "  2027-02-20 周六"]
    exit_code, out, _ = run("calendar", "show", "2026")
    assert exit_code == 0 and out.splitlines()[:2] == [
        "2026: shipped with the platform（随平台发布）",
        "source（来源）: 国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号，2025年11月4日）",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "invalid_calendar: the calendar file is not JSON: line 1 column 2: Expecting property name enclosed in "
              "double quotes（日历文件不是 JSON：第 1 行第 2 列：Expecting property name enclosed in double quotes）"),
        ('{"year": 2027, "source": "x", "holidays": {"2027-01-01": "元旦"}, "workdays": ["2027-01-04"]}',
         "invalid_calendar: make-up working day 2027-01-04 is a Monday: a make-up working day is a Saturday or "
         "Sunday（调休上班日 2027-01-04 是星期一：调休上班日只能是周六或周日）"),
        (None, "invalid_calendar: cannot read {file}: No such file or directory（无法读取文件）"),
    ],
)  # fmt: skip
def test_calendar_import_refusals(env: Path, content: str | None, message: str) -> None:
    file = env / "calendar-2027.json"
    if content is not None:
        file.write_text(content, encoding="utf-8")
    exit_code, out, err = run("calendar", "import", str(file))
    assert (exit_code, out) == (1, "")
    assert err == message.format(file=file) + "\n"


def test_the_overview_warns_from_today_while_next_year_has_no_data(ledger: Ledger) -> None:
    assert calendars.missing_years(ledger, date(2026, 12, 4)) == [2027]  # the day this was written
    assert calendars.missing_years(ledger, date(2025, 12, 4)) == []
    assert calendars.missing_years(ledger, date(2027, 1, 4)) == [2027, 2028]
    calendars.import_calendar(ledger, ADMIN, FIXTURE_2027.read_bytes())
    assert calendars.missing_years(ledger, date(2026, 12, 4)) == []
