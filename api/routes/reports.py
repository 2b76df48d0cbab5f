"""The regulator's reports: recall trace, compliance, recovery rates, per-organisation statistics; JSON or
CSV (`?format=csv`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentOrg, LedgerDep
from api.responses import problems
from api.schemas import CHEMISTRIES, MAKER_FIELD, ORG_ID_DOC, REGION_FIELD, SPEC_PATTERN, Day
from events.deadlines import RULESETS
from ledger.usecases.report_index import DEFAULT_BASIS
from ledger.usecases.reports.compliance import (
    MAX_LATE,
    ComplianceReport,
    LateEntry,
    OrgLateness,
    RuleLateness,
    UnaccountedPack,
    compliance,
)
from ledger.usecases.reports.csvtext import csv_text
from ledger.usecases.reports.lots import LotCsvRow, LotsReport, csv_rows, lots_report
from ledger.usecases.reports.organisations import OrganisationsReport, OrgStats, organisations
from ledger.usecases.reports.recall import RecallFilter, RecallPack, RecallReport, recall
from ledger.usecases.reports.recovery import RecoveryReport, RecoveryRow, recovery

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=problems(401, 403, 422))

Format = Literal["json", "csv"]
RULE_IDS = list(dict.fromkeys(rule.id for ruleset in RULESETS.values() for rule in ruleset.rules))
RULESET_VERSIONS = sorted(RULESETS)
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The report (JSON or CSV)"}
}


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Format = Field(default="json", description="`csv` for a spreadsheet")


class RegionQuery(ReportQuery):
    region: str | None = Field(default=None, **REGION_FIELD)


class RecallQuery(RegionQuery):
    manufacturer: str | None = Field(default=None, **MAKER_FIELD)
    produced_from: Day | None = None
    produced_to: Day | None = None
    chemistry: str | None = Field(
        default=None, description="LFP, NCM, NCA, …", json_schema_extra={"enum": [*CHEMISTRIES, None]}
    )
    spec: str | None = Field(
        default=None,
        description="the 2-character spec code (positions 6-7 of the code)",
        json_schema_extra={"pattern": SPEC_PATTERN},
    )
    component: str | None = Field(
        default=None,
        description="a cell or module code (GB/T 34014): every pack that ever held it, and when (docs/modules.md)",
    )


class ComplianceQuery(RegionQuery):
    org: str | None = Field(
        default=None,
        description="only this organisation's late entries and the 流向不明 packs it holds, receives or answers for",
        json_schema_extra=ORG_ID_DOC,
    )
    rule: str | None = Field(
        default=None,
        description="only late entries under this rule id",
        json_schema_extra={"enum": [*RULE_IDS, None]},
    )
    limit: int = Field(default=MAX_LATE, ge=1, le=MAX_LATE, description="late entries listed")
    rules: str | None = Field(
        default=None,
        description=f"the deadline rule version to count under (events.deadlines.RULESETS; default "
        f"{DEFAULT_BASIS.ruleset.version})",
        json_schema_extra={"enum": [*RULESET_VERSIONS, None]},
    )
    section: Literal["late", "unaccounted", "by_org", "by_rule"] = Field(
        default="late", description="which list the CSV holds (JSON holds all)"
    )


def _csv(name: str, model: type[BaseModel], rows: Sequence[BaseModel]) -> Response:
    return Response(
        csv_text(model, rows),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/recall", response_model=RecallReport, responses=CSV_RESPONSE)
def get_recall(
    query: Annotated[RecallQuery, Query()], ledger: LedgerDep, caller: CurrentOrg
) -> RecallReport | Response:
    """Recall trace: where packs of a maker, dates, chemistry or spec are; by cell or module, every holder."""
    where = RecallFilter(**query.model_dump(exclude={"format"}))
    report = recall(ledger, caller, where)
    return _csv("recall", RecallPack, report.packs) if query.format == "csv" else report


@router.get("/compliance", response_model=ComplianceReport, responses=CSV_RESPONSE)
def get_compliance(
    query: Annotated[ComplianceQuery, Query()], ledger: LedgerDep, caller: CurrentOrg
) -> ComplianceReport | Response:
    """Late reports per entry, organisation and rule, and packs whose whereabouts are unknown (流向不明)."""
    report = compliance(
        ledger, caller, org=query.org, rule=query.rule, limit=query.limit, region=query.region, rules=query.rules
    )
    if query.format == "json":
        return report
    sections: dict[str, tuple[type[BaseModel], Sequence[BaseModel]]] = {
        "late": (LateEntry, report.late),
        "unaccounted": (UnaccountedPack, report.unaccounted),
        "by_org": (OrgLateness, report.by_org),
        "by_rule": (RuleLateness, report.by_rule),
    }
    model, rows = sections[query.section]
    return _csv(f"compliance-{query.section}", model, rows)


@router.get("/recovery", response_model=RecoveryReport, responses=CSV_RESPONSE)
def get_recovery(
    query: Annotated[RegionQuery, Query()], ledger: LedgerDep, caller: CurrentOrg
) -> RecoveryReport | Response:
    """Material recovery per recycler and element against the 规范条件 thresholds."""
    report = recovery(ledger, caller, region=query.region)
    return _csv("recovery", RecoveryRow, report.rows) if query.format == "csv" else report


@router.get("/lots", response_model=LotsReport, responses=CSV_RESPONSE)
def get_lots(query: Annotated[RegionQuery, Query()], ledger: LedgerDep, caller: CurrentOrg) -> LotsReport | Response:
    """Recycler lots: inputs, recovery rates per lot and per recycler, and mass-balance flags."""
    report = lots_report(ledger, caller, region=query.region)
    return _csv("lots", LotCsvRow, csv_rows(report)) if query.format == "csv" else report


@router.get("/organisations", response_model=OrganisationsReport, responses=CSV_RESPONSE)
def get_organisations(
    query: Annotated[RegionQuery, Query()], ledger: LedgerDep, caller: CurrentOrg
) -> OrganisationsReport | Response:
    """Per organisation: entries, late reports, custody, 流向不明 packs and recycling."""
    report = organisations(ledger, caller, region=query.region)
    return _csv("organisations", OrgStats, report.orgs) if query.format == "csv" else report
