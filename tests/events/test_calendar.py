"""The working-day calendar as data (events.calendar, docs/calendar.md): the shipped years, deadlines across
the 2026 Spring Festival (shipped) and the 2027 one (the test fixture), `provisional` without 2027 data, and
every refusal of a calendar file."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from chinese_calendar import constants

from events.calendar import Calendar, read_year_file, shipped
from events.deadlines import Late, lateness
from events.errors import InputError
from events.orgs import Org, Role
from tests.events.events_world import exact

FIXTURE_2027 = Path(__file__).resolve().parent.parent / "data" / "calendar-2027-test.json"
AUTOMAKER = Org("byd-auto", "比亚迪汽车", frozenset({Role.AUTOMAKER}))


def d(text: str) -> date:
    return date.fromisoformat(text)


def china(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


def with_2027() -> Calendar:
    return shipped().with_year(read_year_file(FIXTURE_2027.read_bytes()))


def test_the_platform_ships_2024_to_2026_each_citing_its_notice() -> None:
    assert shipped().years == [2024, 2025, 2026]
    sources = {year: shipped().year(year).source for year in shipped().years}  # type: ignore[union-attr]
    assert sources == {
        2024: "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号，2023年10月25日）",
        2025: "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024年11月12日）",
        2026: "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号，2025年11月4日）",
    }


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_shipped_years_hold_the_dates_chinese_calendar_knows(year: int) -> None:
    data = shipped().year(year)
    assert data is not None
    assert set(data.holidays) == {day for day in constants.holidays if day.year == year}
    assert data.workdays == {day for day in constants.workdays if day.year == year}


def test_the_fixture_says_it_is_test_data() -> None:
    data = json.loads(FIXTURE_2027.read_text(encoding="utf-8"))
    assert data["source"].startswith("TEST DATA")
    assert "Never import it into a real log" in data["note"]


# -- deadlines across the Spring Festivals --------------------------------------------------------------


def test_a_deadline_across_the_2026_spring_festival_is_exact() -> None:
    # installed Tuesday 10 February 2026: 15 working days skip 15–23 February and count the make-up Saturdays
    # 14 and 28 February
    assert shipped().add_working_days(d("2026-02-10"), 15) == d("2026-03-09")
    late = lateness("installed", AUTOMAKER, china("2026-02-10T10:00:00"), china("2026-03-10T09:00:00"))
    assert late == Late("installation-15wd", "vehicle certificate / installation: within 15 working days",
                        d("2026-03-09"), 1, provisional=False)  # fmt: skip
    assert lateness("installed", AUTOMAKER, china("2026-02-10T10:00:00"), china("2026-03-09T23:00:00")) is None


def test_a_deadline_across_the_2027_spring_festival_is_exact_with_the_2027_calendar() -> None:
    # the fixture: 5–13 February 2027 off, Saturday 20 February a make-up working day
    calendar = with_2027()
    assert calendar.add_working_days(d("2027-02-01"), 15) == d("2027-03-01")
    late = lateness("installed", AUTOMAKER, china("2027-02-01T10:00:00"), china("2027-03-02T09:00:00"),
                    calendar=calendar)  # fmt: skip
    assert late == Late("installation-15wd", "vehicle certificate / installation: within 15 working days",
                        d("2027-03-01"), 1, provisional=False)  # fmt: skip


def test_without_2027_data_the_same_deadline_is_monday_to_friday_and_provisional() -> None:
    assert shipped().add_working_days(d("2027-02-01"), 15) == d("2027-02-22")
    late = lateness("installed", AUTOMAKER, china("2027-02-01T10:00:00"), china("2027-03-02T09:00:00"))
    assert late == Late("installation-15wd", "vehicle certificate / installation: within 15 working days",
                        d("2027-02-22"), 6, provisional=True)  # fmt: skip


def test_a_count_from_2026_into_2027_is_provisional_until_2027_is_known() -> None:
    occurred, recorded = china("2026-12-20T10:00:00"), china("2027-01-20T10:00:00")
    before = lateness("installed", AUTOMAKER, occurred, recorded)
    after = lateness("installed", AUTOMAKER, occurred, recorded, calendar=with_2027())
    assert before is not None and before.provisional and before.due == d("2027-01-08")
    # 1–3 January 2027 off in the fixture: Friday the 1st no longer counts
    assert after is not None and not after.provisional and after.due == d("2027-01-11")


def test_provisional_names_every_year_the_count_passes_through() -> None:
    assert not shipped().provisional(d("2024-01-01"), d("2026-12-31"))
    assert shipped().provisional(d("2026-12-31"), d("2027-01-01"))
    assert shipped().provisional(d("2023-12-31"), d("2024-01-02"))
    assert not with_2027().provisional(d("2026-12-31"), d("2027-01-01"))


def test_an_import_replaces_the_year_it_is_for_and_changes_the_fingerprint() -> None:
    calendar = with_2027()
    assert calendar.years == [2024, 2025, 2026, 2027]
    assert calendar.fingerprint != shipped().fingerprint
    moved = read_year_file(json.dumps({"year": 2026, "source": "test", "holidays": {"2026-03-02": "test"},
                                       "workdays": []}))  # fmt: skip
    replaced = shipped().with_year(moved)
    assert not replaced.is_working_day(d("2026-03-02"))
    assert replaced.is_working_day(d("2026-02-16"))  # the shipped Spring Festival is gone with its year


# -- refusals --------------------------------------------------------------------------------------------


def year_file(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知",
        "holidays": {"2027-01-01": "元旦"}, "workdays": ["2027-02-20"],
    }  # fmt: skip
    for name, value in changes.items():
        if value is ...:
            del data[name]
        else:
            data[name] = value
    return data


REFUSALS: list[tuple[Any, str]] = [
    ("[1, 2", "the calendar file is not JSON: line 1 column 6: Expecting ',' delimiter"
              "（日历文件不是 JSON：第 1 行第 6 列：Expecting ',' delimiter）"),
    (b"\xff\xfe", "the calendar file is not UTF-8 text（日历文件不是 UTF-8 文本）"),
    ([], "a calendar file is a JSON object（日历文件必须是一个 JSON 对象）"),
    (year_file(source=..., extra=1), "a calendar file has year, source, holidays and workdays (and may have note); "
     "missing ['source'], unexpected ['extra']（日历文件须有 year、source、holidays、workdays（可选 note）；"
     "缺少 ['source']，多出 ['extra']）"),
    (year_file(year="2027"), "'year' must be a whole number from 2000 to 2099, not '2027'"
                             "（year 必须是 2000 至 2099 的整数，而不是 '2027'）"),
    (year_file(year=True), "'year' must be a whole number from 2000 to 2099, not True"
                           "（year 必须是 2000 至 2099 的整数，而不是 True）"),
    (year_file(source=" "), "'source' must be a non-empty string"
                            "（source（国务院办公厅通知的名称和文号）必须是非空文本）"),
    (year_file(source="x" * 201), "'source' is at most 200 characters, found 201"
                                  "（source（国务院办公厅通知的名称和文号）最多 200 个字符，现有 201 个）"),
    (year_file(source="a\x00b"), "'source' holds a refused character: U+0000 (a control character) at position 1"
     "（source（国务院办公厅通知的名称和文号）含有不允许的字符：U+0000 (a control character) at position 1）"),
    (year_file(holidays={}), "'holidays' must be a non-empty object: date → festival name"
                             "（holidays 必须是非空对象：日期 → 节日名称）"),
    (year_file(holidays={"2027-02-30": "春节"}), "holiday '2027-02-30' is not a date (YYYY-MM-DD)"
                                                 "（节假日 '2027-02-30' 不是日期（YYYY-MM-DD））"),
    (year_file(holidays={"2026-12-31": "元旦"}), "holiday 2026-12-31 is not in 2027"
                                                 "（节假日 2026-12-31 不在 2027 年内）"),
    (year_file(holidays={"2027-01-01": ""}), "'the name of holiday 2027-01-01' must be a non-empty string"
                                             "（节假日 2027-01-01 的名称必须是非空文本）"),
    (year_file(workdays="2027-02-20"), "'workdays' must be a list of dates (it may be empty)"
                                       "（workdays 必须是日期列表（可为空））"),
    (year_file(workdays=["20270220"]), "make-up working day '20270220' is not a date (YYYY-MM-DD)"
                                       "（调休上班日 '20270220' 不是日期（YYYY-MM-DD））"),
    (year_file(workdays=["2027-02-20", "2027-02-06"]), "'workdays' must be in date order, without repeats"
                                                       "（workdays 必须按日期排序且不重复）"),
    (year_file(workdays=["2027-02-08"]), "make-up working day 2027-02-08 is a Monday: a make-up working day is a "
                                         "Saturday or Sunday"
                                         "（调休上班日 2027-02-08 是星期一：调休上班日只能是周六或周日）"),
    (year_file(holidays={"2027-02-06": "春节"}, workdays=["2027-02-06"]),
     "2027-02-06 is both a holiday and a make-up working day（2027-02-06 既是节假日又是调休上班日）"),
]  # fmt: skip


@pytest.mark.parametrize(("content", "message"), REFUSALS)
def test_each_problem_of_a_calendar_file_is_named(content: Any, message: str) -> None:
    text = content if isinstance(content, str | bytes) else json.dumps(content, ensure_ascii=False)
    with pytest.raises(InputError, match=exact(message)) as refused:
        read_year_file(text)
    assert refused.value.code == "invalid_calendar"
