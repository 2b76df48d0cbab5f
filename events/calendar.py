"""The working-day calendar as data: per year, the holidays and make-up working days of the State
Council's annual notice (国务院办公厅关于…年部分节假日安排的通知), docs/calendar.md.

A day is a working day when it is a make-up working day (调休上班日), or a Monday to Friday that is not a
holiday (法定节假日 and the rest days the notice moves next to it). A year without data counts Monday to
Friday, and whatever is counted through it is `provisional`: the notice may move it.

The platform ships the years it knows as package data (`events/calendars/<year>.json`, `shipped()`); a
regulator imports a later year (`packtrace calendar import`), recorded in the log as a registry entry
`calendar_imported` whose data is the file's (docs/ledger-format.md §5.2). `Calendar.with_year` lays an
import over the shipped data: an import for a year replaces that year.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

from events.errors import InputError
from events.text import refused_character

FIRST_YEAR, LAST_YEAR = 2000, 2099
SOURCE_MAX = 200
NAME_MAX = 50
NOTE_MAX = 500
MEMBERS = frozenset({"year", "source", "holidays", "workdays"})
OPTIONAL = frozenset({"note"})
WEEKDAYS_ZH = "一二三四五六日"


def _bad(zh: str, en: str) -> InputError:
    return InputError(f"{en}（{zh}）", code="invalid_calendar")


@dataclass(frozen=True)
class YearCalendar:
    """One year's holidays (date → the festival's name) and make-up working days, and the notice they
    come from."""

    year: int
    holidays: Mapping[date, str]
    workdays: frozenset[date]
    source: str
    note: str | None = None

    def is_working_day(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)

    def to_data(self) -> dict[str, Any]:
        """The year as the file and the registry entry hold it."""
        data: dict[str, Any] = {
            "year": self.year,
            "source": self.source,
            "holidays": {day.isoformat(): name for day, name in sorted(self.holidays.items())},
            "workdays": [day.isoformat() for day in sorted(self.workdays)],
        }
        if self.note is not None:
            data["note"] = self.note
        return data

    def same_dates(self, other: YearCalendar) -> bool:
        return set(self.holidays) == set(other.holidays) and self.workdays == other.workdays


class Calendar:
    """The calendar in force: the years with data, and Monday to Friday for the others."""

    def __init__(self, years: Iterable[YearCalendar] = ()) -> None:
        self._years: dict[int, YearCalendar] = {y.year: y for y in years}

    @property
    def years(self) -> list[int]:
        return sorted(self._years)

    def year(self, year: int) -> YearCalendar | None:
        return self._years.get(year)

    def covers(self, year: int) -> bool:
        return year in self._years

    def with_year(self, year: YearCalendar) -> Calendar:
        """This calendar with `year`'s data replaced by (or added as) `year`."""
        return Calendar([*(y for y in self._years.values() if y.year != year.year), year])

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the dates of every year: equal calendars count equal working days."""
        dates = {str(y): [sorted(d.isoformat() for d in c.holidays), sorted(d.isoformat() for d in c.workdays)]
                 for y, c in sorted(self._years.items())}  # fmt: skip
        return hashlib.sha256(json.dumps(dates, sort_keys=True).encode()).hexdigest()

    def is_working_day(self, day: date) -> bool:
        known = self._years.get(day.year)
        return known.is_working_day(day) if known is not None else day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (`start` itself if n is 0)."""
        if n < 0:
            raise InputError(f"cannot add {n} working days: the count must be 0 or more")
        day = start
        while n:
            day += timedelta(days=1)
            n -= self.is_working_day(day)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b is before a. add_working_days(a, n) gives n back."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(self.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))

    def provisional(self, first: date, last: date) -> bool:
        """Whether a count over the days from `first` to `last` passes through a year without data."""
        return any(not self.covers(year) for year in range(min(first, last).year, max(first, last).year + 1))


# -- reading a year's file ------------------------------------------------------------------------------


def _text(value: Any, what_zh: str, what: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{what_zh}必须是非空文本", f"'{what}' must be a non-empty string")
    if len(value) > max_length:
        raise _bad(f"{what_zh}最多 {max_length} 个字符，现有 {len(value)} 个",
                   f"'{what}' is at most {max_length} characters, found {len(value)}")  # fmt: skip
    bad = refused_character(value)
    if bad is not None:
        raise _bad(f"{what_zh}含有不允许的字符：{bad}", f"'{what}' holds a refused character: {bad}")
    return value


def _day(value: Any, year: int, where_zh: str, where: str) -> date:
    try:
        if not (isinstance(value, str) and len(value) == 10):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise _bad(f"{where_zh} {value!r} 不是日期（YYYY-MM-DD）",
                   f"{where} {value!r} is not a date (YYYY-MM-DD)") from None  # fmt: skip
    if day.year != year:
        raise _bad(f"{where_zh} {value} 不在 {year} 年内", f"{where} {value} is not in {year}")
    return day


def parse_year(data: Any) -> YearCalendar:
    """A year's calendar from its file's (or registry entry's) JSON object; an InputError
    (`invalid_calendar`) names the first problem, in English and Chinese."""
    if not isinstance(data, Mapping):
        raise _bad("日历文件必须是一个 JSON 对象", "a calendar file is a JSON object")
    missing, extra = sorted(MEMBERS - set(data)), sorted(set(data) - MEMBERS - OPTIONAL)
    if missing or extra:
        raise _bad(f"日历文件须有 year、source、holidays、workdays（可选 note）；缺少 {missing}，多出 {extra}",
                   f"a calendar file has year, source, holidays and workdays (and may have note); missing "
                   f"{missing}, unexpected {extra}")  # fmt: skip
    year = data["year"]
    if not (isinstance(year, int) and not isinstance(year, bool) and FIRST_YEAR <= year <= LAST_YEAR):
        raise _bad(f"year 必须是 {FIRST_YEAR} 至 {LAST_YEAR} 的整数，而不是 {year!r}",
                   f"'year' must be a whole number from {FIRST_YEAR} to {LAST_YEAR}, not {year!r}")  # fmt: skip
    source = _text(data["source"], "source（国务院办公厅通知的名称和文号）", "source", SOURCE_MAX)
    note = None if data.get("note") is None else _text(data["note"], "note", "note", NOTE_MAX)
    holidays_in = data["holidays"]
    if not isinstance(holidays_in, Mapping) or not holidays_in:
        raise _bad("holidays 必须是非空对象：日期 → 节日名称",
                   "'holidays' must be a non-empty object: date → festival name")  # fmt: skip
    holidays: dict[date, str] = {}
    for text, name in holidays_in.items():
        day = _day(text, year, "节假日", "holiday")
        holidays[day] = _text(name, f"节假日 {text} 的名称", f"the name of holiday {text}", NAME_MAX)
    workdays_in = data["workdays"]
    if not isinstance(workdays_in, list):
        raise _bad("workdays 必须是日期列表（可为空）", "'workdays' must be a list of dates (it may be empty)")
    workdays = [_day(text, year, "调休上班日", "make-up working day") for text in workdays_in]
    if workdays != sorted(set(workdays)):
        raise _bad("workdays 必须按日期排序且不重复", "'workdays' must be in date order, without repeats")
    for day in workdays:
        if day.weekday() < 5:
            raise _bad(
                f"调休上班日 {day} 是星期{WEEKDAYS_ZH[day.weekday()]}：调休上班日只能是周六或周日",
                f"make-up working day {day} is a {day:%A}: a make-up working day is a Saturday or Sunday",
            )
        if day in holidays:
            raise _bad(f"{day} 既是节假日又是调休上班日", f"{day} is both a holiday and a make-up working day")
    return YearCalendar(year, holidays, frozenset(workdays), source, note)


def read_year_file(text: str | bytes) -> YearCalendar:
    """A year's calendar from a file's bytes (UTF-8 JSON, a byte order mark allowed)."""
    try:
        data = json.loads(text.decode("utf-8-sig") if isinstance(text, bytes) else text)
    except UnicodeDecodeError:
        raise _bad("日历文件不是 UTF-8 文本", "the calendar file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise _bad(
            f"日历文件不是 JSON：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}",
            f"the calendar file is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}",
        ) from None
    return parse_year(data)


@cache
def shipped() -> Calendar:
    """The years the platform ships (events/calendars/*.json)."""
    folder = files("events") / "calendars"
    return Calendar(read_year_file(item.read_bytes()) for item in folder.iterdir() if item.name.endswith(".json"))
