"""The overview's and the report pages' charts, drawn from the workspace's and the reports' models."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from api.web import charts
from api.web.i18n import Words
from ledger.usecases.reports.compliance import OrgLateness
from ledger.usecases.reports.recovery import RecoveryRow
from ledger.usecases.workspace import Overview

TIMELINESS_ROWS = 12


def status_chart(overview: Overview, t: Words) -> Markup:
    items = [
        charts.Bar(t.status(row.status), row.count, f"{row.count:,}", tone=_status_tone(row.status))
        for row in sorted(overview.by_status, key=lambda r: -r.count)
    ]
    return charts.bars(items, title=t("chart_status"), empty=t("no_data"))


def _status_tone(status: str) -> str:
    if status in ("lost", "exported"):
        return "late"
    if status in ("recycled", "dismantled", "repurposed"):
        return "done"
    return "ok"


def per_day_chart(overview: Overview, t: Words) -> Markup:
    days = [(row.day.strftime("%m-%d"), row.entries, row.late) for row in overview.per_day]
    return charts.columns(days, title=t("chart_per_day"), first=t("on_time"), second=t("late"), empty=t("no_data"))


def timeliness_chart(rows: Sequence[OrgLateness], t: Words) -> Markup:
    shown = sorted(rows, key=lambda r: (-(r.late_pct or 0), r.org))[:TIMELINESS_ROWS]
    splits = [charts.Split(row.name or row.org, row.timed - row.late, row.late) for row in shown]
    return charts.splits(splits, title=t("chart_timeliness"), first=t("on_time"), second=t("late"), empty=t("no_data"))


def recovery_chart(rows: Sequence[RecoveryRow], t: Words, *, by_recycler: bool = False) -> Markup:
    items = [
        charts.Rate(
            f"{row.name or row.recycler} · {t.value(row.element)}" if by_recycler else t.value(row.element),
            row.rate,
            row.threshold,
            row.below,
        )
        for row in rows
        if row.threshold is not None
    ]
    return charts.rates(items, title=t("chart_recovery"), threshold=t("threshold"), empty=t("no_data"))
