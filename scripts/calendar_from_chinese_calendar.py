"""Write events/calendars/<year>.json from the `chinese_calendar` package, once per year it knows.

The shipped files were made by this script and then checked against the State Council's notice each cites
(docs/calendar.md). Usage: python scripts/calendar_from_chinese_calendar.py YEAR SOURCE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from chinese_calendar import constants

from events.calendar import YearCalendar, parse_year

NAMES_ZH = {h.value: h.chinese for h in constants.Holiday}


def year_data(year: int, source: str) -> YearCalendar:
    holidays = {day: NAMES_ZH[name] for day, name in constants.holidays.items() if day.year == year}
    workdays = frozenset(day for day in constants.workdays if day.year == year)
    return YearCalendar(year, holidays, workdays, source)


def main() -> None:
    year, source = int(sys.argv[1]), sys.argv[2]
    data = year_data(year, source).to_data()
    parse_year(data)  # the file must import as it is written
    path = Path(__file__).resolve().parent.parent / "events" / "calendars" / f"{year}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}: {len(data['holidays'])} holidays, {len(data['workdays'])} make-up working days")


if __name__ == "__main__":
    main()
