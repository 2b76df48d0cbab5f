"""The pages' words about the working-day calendar (docs/calendar.md), merged into api.web.i18n.MESSAGES."""

from __future__ import annotations

MESSAGES_CALENDAR: dict[str, tuple[str, str]] = {
    "calendar_provisional": ("暂定", "provisional"),
    "calendar_provisional_hint": (
        "截止日期经过尚无节假日安排的年份，按周一至周五计算；国务院办公厅公布该年安排并导入后会重新计算。",
        "The deadline passes through a year without holiday data and is counted Monday to Friday; it is "
        "counted again once that year's State Council notice is imported.",
    ),
    "calendar_missing": (
        "工作日历缺少 {years} 年的节假日安排：落在该年的截止日期按周一至周五计算并标为“暂定”。"
        "国务院办公厅公布通知后，请平台管理员执行 packtrace calendar import 导入。",
        "The working-day calendar has no holidays for {years}: deadlines in that year are counted Monday to "
        "Friday and marked provisional. Once the State Council publishes its notice, the platform "
        "administrator imports it with `packtrace calendar import`.",
    ),
}
