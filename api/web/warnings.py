"""The quality early warning page (产品质量预警) and its CSV: the alarms, each linking to the recall trace of
its scope, and the method's thresholds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from markupsafe import Markup

from api.web import charts
from api.web.csvpage import page_csv
from api.web.i18n import Words
from api.web.regionform import region_form, region_of
from api.web.render import WebDep
from events.errors import InputError
from ledger.usecases.reports.warnings import WarningAlarm, WarningsReport, warnings

router = APIRouter(prefix="/regulator", tags=["web"], include_in_schema=False)

CHART_ROWS = 12


def _as_of(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"as_of: {text!r} is not a date (YYYY-MM-DD)", code="invalid_filter") from None


def rate_chart(report: WarningsReport, t: Words) -> Markup:
    """The alarms' rates beside the whole population's, weighted incidents per 1,000 pack-years."""
    items = [charts.Bar(t("warnings_population"), report.rate, f"{report.rate:.2f}")]
    items += [
        charts.Bar(group_text(alarm.group, t), alarm.rate, f"{alarm.rate:.2f}", tone="late")
        for alarm in report.alarms[:CHART_ROWS]
    ]
    return charts.bars(items, title=t("warnings_chart"), empty=t("no_data"))


def group_text(group: dict[str, str], t: Words, org_name: Callable[[str], str] = str) -> str:
    """`企业 宁德时代 · 批次 B1` (`maker 宁德时代 · batch B1`): the maker by name."""
    return " · ".join(
        f"{t('warnings_field_' + name)} {org_name(value) if name == 'maker' else t.value(value)}"
        for name, value in group.items()
    )


def weights_text(weights: dict[str, int], t: Words) -> str:
    """The incident kinds' weights: `热失控×3, 火灾×3, …`."""
    return ", ".join(f"{t.value(kind)}×{weight:g}" for kind, weight in weights.items())


@router.get("/warnings")
def warnings_page(web: WebDep, as_of: str = "") -> Response:
    def build() -> Response:
        report = warnings(web.ledger, web.caller, as_of=_as_of(as_of), region=region_of(web))
        query = {"as_of": report.as_of.isoformat() if as_of.strip() else "", "region": report.region or ""}
        csv_url = "/regulator/warnings.csv" + (
            "?" + urlencode({k: v for k, v in query.items() if v}) if any(query.values()) else ""
        )
        return web.page(
            "regulator/warnings.html",
            **region_form(web, report.region, as_of=as_of.strip()),
            report=report,
            as_of=as_of.strip(),
            csv_url=csv_url,
            chart=rate_chart(report, web.words),
            group_text=lambda group: group_text(group, web.words, web.org_name),
            weights=weights_text(report.weights, web.words),
        )

    return web.respond(build)


@router.get("/warnings.csv")
def warnings_csv(web: WebDep, as_of: str = "") -> Response:
    def build() -> Response:
        report = warnings(web.ledger, web.caller, as_of=_as_of(as_of), region=region_of(web))
        return Response(
            page_csv(WarningAlarm, report.alarms, web.words),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="warnings.csv"', "Cache-Control": "no-store"},
        )

    return web.respond(build)
