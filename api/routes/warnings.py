"""Quality early warning (产品质量预警): incident rates per group and the groups significantly above the
rest; JSON or CSV (`?format=csv`, one row per alarm)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from api.deps import CurrentOrg, LedgerDep
from api.responses import problems
from api.routes.reports import CSV_MEDIA_TYPE, CSV_RESPONSE, RegionQuery
from api.schemas import Day
from ledger.usecases.reports.csvtext import csv_text
from ledger.usecases.reports.warnings import WarningAlarm, WarningsReport, warnings

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=problems(401, 403, 422))


class WarningsQuery(RegionQuery):
    as_of: Day | None = Field(
        default=None, description="the report day (China time; default today): exposure and incidents up to its end"
    )


@router.get("/warnings", response_model=WarningsReport, responses=CSV_RESPONSE)
def get_warnings(
    query: Annotated[WarningsQuery, Query()], ledger: LedgerDep, caller: CurrentOrg
) -> WarningsReport | Response:
    """Quality early warning: incident rates per group by exposure, and the groups significantly above the rest."""
    report = warnings(ledger, caller, as_of=query.as_of, region=query.region)
    if query.format == "json":
        return report
    return Response(
        csv_text(WarningAlarm, report.alarms),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="warnings.csv"'},
    )
