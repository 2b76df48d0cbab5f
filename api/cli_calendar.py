"""`packtrace calendar …`: the working-day calendar (docs/calendar.md), straight on the database like the
other administration commands. `import` records a year's file in the log; `show` prints what is in force."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.cli_registry import DatabaseUrl, console, open_ledger, out
from api.progress import progress_bar
from events.calendar import WEEKDAYS_ZH
from ledger.usecases import calendar as calendars
from ledger.usecases.access import ADMIN

calendar_app = typer.Typer(help="The working-day calendar: holidays and make-up working days per year.",
                           no_args_is_help=True)  # fmt: skip


def _print(view: calendars.YearView) -> None:
    if view.origin == "none":
        out.print(f"{view.year}: no calendar data — deadlines are counted Monday to Friday and marked provisional"
                  f"（{view.year} 年无节假日安排：按周一至周五计算，标为暂定）", highlight=False)  # fmt: skip
        return
    shipped = "shipped with the platform（随平台发布）"
    origin = shipped if view.index is None else f"imported by entry {view.index}（导入）"
    out.print(f"{view.year}: {origin}", highlight=False)
    out.print(f"source（来源）: {escape(view.source or '')}", highlight=False)
    if view.note:
        out.print(f"note（说明）: {escape(view.note)}", highlight=False)
    out.print(f"holidays（法定节假日）: {len(view.holidays)}", highlight=False)
    for day in view.holidays:
        out.print(f"  {day.date} 周{WEEKDAYS_ZH[day.date.weekday()]} {escape(day.name)}", highlight=False)
    out.print(f"make-up working days（调休上班日）: {len(view.workdays)}", highlight=False)
    for workday in view.workdays:
        out.print(f"  {workday} 周{WEEKDAYS_ZH[workday.weekday()]}", highlight=False)


@calendar_app.command("import")
def calendar_import(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A year's calendar, JSON (docs/calendar.md)")],
    database_url: DatabaseUrl = None,
) -> None:
    """Record a year's holidays and make-up working days in the log; they replace that year's data."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        console.print(f"[red]invalid_calendar[/red]: cannot read {escape(str(file))}: {escape(exc.strerror or '')}"
                      f"（无法读取文件）")  # fmt: skip
        raise typer.Exit(1) from None
    with (
        open_ledger(database_url) as ledger,
        progress_bar(console, "recording, recounting deadlines（记录并重算期限）", shown=sys.stderr.isatty()),
    ):
        view = calendars.import_calendar(ledger, ADMIN, content)
    console.print(f"imported the {view.year} calendar as entry {view.index}（已导入 {view.year} 年日历）")
    _print(view)


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(metavar="YEAR", help="e.g. 2027")],
    database_url: DatabaseUrl = None,
) -> None:
    """Print a year's calendar in force and where it comes from."""
    with open_ledger(database_url) as ledger:
        _print(calendars.show(ledger, year))
