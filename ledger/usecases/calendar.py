"""The working-day calendar in force: the years the platform ships, with the imports the log records laid
over them in log order (docs/calendar.md). An import is a registry entry `calendar_imported` (subject
`calendar`, by the administrator), so a report over the log's first N entries counts deadlines with the
imports among them, and anyone holding the log counts the same.
"""

from __future__ import annotations

import json
from datetime import date

from pydantic import Field

from events.calendar import Calendar, YearCalendar, parse_year, read_year_file, shipped
from events.errors import ConflictError
from events.registry import CALENDAR_SUBJECT, By, RegistryType, new_registry_claim
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.driver import Connection
from ledger.usecases.access import Caller, require_admin
from ledger.usecases.views import View


def imports(conn: Connection, size: int | None = None) -> list[tuple[int, YearCalendar]]:
    """(index, year) of each import among the log's first `size` entries (all: None), in log order."""
    found = []
    for index, _, body in registry.subject_entries(conn, CALENDAR_SUBJECT):
        if size is not None and index >= size:
            break
        found.append((index, parse_year(json.loads(body)["claim"]["data"])))
    return found


def in_force(conn: Connection, size: int | None = None) -> Calendar:
    """The calendar in force over the log's first `size` entries (all: None)."""
    return laid_over(imports(conn, size))


def laid_over(found: list[tuple[int, YearCalendar]]) -> Calendar:
    """The shipped calendar with `found` (imports, in log order) laid over it."""
    calendar = shipped()
    for _, year in found:
        calendar = calendar.with_year(year)
    return calendar


class CalendarDay(View):
    date: date
    name: str


class YearView(View):
    year: int
    origin: str = Field(description="shipped, imported (by a registry entry) or none (Monday to Friday)")
    index: int | None = Field(description="the registry entry that imported it")
    source: str | None = Field(description="the State Council notice the dates come from")
    note: str | None
    holidays: list[CalendarDay]
    workdays: list[date] = Field(description="make-up working days (调休上班日)")


def show(ledger: Ledger, year: int) -> YearView:
    """A year's calendar as it is in force, and where it comes from."""
    with ledger.engine.connect() as conn:
        found = [(index, data) for index, data in imports(conn) if data.year == year]
    index, data = found[-1] if found else (None, shipped().year(year))
    if data is None:
        return YearView(year=year, origin="none", index=None, source=None, note=None, holidays=[], workdays=[])
    return YearView(
        year=year,
        origin="shipped" if index is None else "imported",
        index=index,
        source=data.source,
        note=data.note,
        holidays=[CalendarDay(date=day, name=name) for day, name in sorted(data.holidays.items())],
        workdays=sorted(data.workdays),
    )


def missing_years(ledger: Ledger, today: date) -> list[int]:
    """Of this year and the next (China time), those the calendar in force has no data for."""
    with ledger.engine.connect() as conn:
        calendar = in_force(conn)
    return [year for year in (today.year, today.year + 1) if not calendar.covers(year)]


def import_calendar(ledger: Ledger, caller: Caller, content: str | bytes) -> YearView:
    """Record a year's calendar file in the log (a `calendar_imported` registry entry); from then on it
    replaces that year's shipped or earlier imported data."""
    require_admin(caller, "import a working-day calendar")
    year = read_year_file(content)
    with ledger.engine.connect() as conn:
        current = in_force(conn).year(year.year)
    if current is not None and current.same_dates(year) and current.source == year.source:
        raise ConflictError(
            f"the {year.year} calendar in force already has these dates from this source: nothing to import"
            f"（{year.year} 年现行日历已有同一来源的相同日期，无需导入）",
            code="calendar_unchanged",
        )
    claim = new_registry_claim(
        subject=CALENDAR_SUBJECT, type=RegistryType.CALENDAR_IMPORTED, by=By.ADMIN, data=year.to_data(),
        at=ledger.clock(),
    )  # fmt: skip
    ledger.append_registry([(claim, None)])
    return show(ledger, year.year)
