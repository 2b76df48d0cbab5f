"""Recall campaigns (events.recalls, ledger.usecases.recalls): resolve a scope, create a campaign from the
`recalled` claims its creator signed, follow its progress (JSON or CSV)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentOrg, LedgerDep
from api.responses import problems
from api.schemas import CHEMISTRIES, SPEC_PATTERN, Body, Day, EventCreate
from events.catalogue import SHORT_TEXT_MAX, TEXT_MAX
from events.recalls import CAMPAIGN_ID, MAX_CODES, Scope
from ledger.usecases import recalls
from ledger.usecases.recalls import CampaignCreated, CampaignDraft, CampaignList, CampaignPack, CampaignReport
from ledger.usecases.reports.csvtext import csv_text

router = APIRouter(prefix="/v1/recalls", tags=["recalls"], responses=problems(401, 403, 422))

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The campaign (JSON or CSV)"}
}


class ScopeIn(Body):
    maker: str | None = Field(
        default=None,
        max_length=200,
        description="the maker: its org id, a manufacturer code or its registered name, any case (docs/integration.md)",
    )
    batch: str | None = Field(default=None, max_length=SHORT_TEXT_MAX, description="`produced.batch`")
    spec: str | None = Field(default=None, description="positions 6-7 of the code", pattern=SPEC_PATTERN)
    produced_from: Day | None = None
    produced_to: Day | None = None
    chemistry: str | None = Field(default=None, json_schema_extra={"enum": [*CHEMISTRIES, None]})
    codes: list[str] | None = Field(default=None, max_length=MAX_CODES, description="an explicit list of codes")

    def scope(self) -> Scope:
        values = self.model_dump()
        codes = values.pop("codes")
        return Scope(**values, codes=tuple(codes) if codes is not None else None)


class CampaignDraftIn(Body):
    id: str = Field(description="the campaign's id, chosen by its creator", pattern=f"^{CAMPAIGN_ID.pattern}$")
    reason: str = Field(min_length=1, max_length=TEXT_MAX)
    due: Day | None = Field(default=None, description="remedies are due by this day (China date)")
    scope: ScopeIn

    def draft(self) -> CampaignDraft:
        return CampaignDraft(self.id, self.reason, self.scope.scope(), self.due)


class CampaignCreate(CampaignDraftIn):
    claims: list[EventCreate] = Field(
        min_length=1,
        max_length=MAX_CODES,
        description="one signed `recalled` claim per pack in scope, with the payload `POST /v1/recalls/scope` gives",
    )


@router.post("/scope", response_model=recalls.CampaignScope)
def post_scope(body: CampaignDraftIn, ledger: LedgerDep, caller: CurrentOrg) -> recalls.CampaignScope:
    """The packs a campaign would recall and the payload each `recalled` claim must carry (nothing is written)."""
    return recalls.campaign_scope(ledger, caller, body.draft())


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CampaignCreated, responses=problems(409))
def post_campaign(body: CampaignCreate, ledger: LedgerDep, caller: CurrentOrg) -> CampaignCreated:
    """Create a recall campaign: its definition and one signed `recalled` entry per pack in scope, atomically."""
    return recalls.create_campaign(ledger, caller, body.draft(), [claim.item() for claim in body.claims])


@router.get("", response_model=CampaignList)
def get_campaigns(ledger: LedgerDep, caller: CurrentOrg) -> CampaignList:
    """Every recall campaign with its completion (a manufacturer: its own)."""
    return recalls.list_campaigns(ledger, caller)


@router.get("/{campaign_id}", response_model=CampaignReport, responses={**CSV_RESPONSE, **problems(404)})
def get_campaign(
    campaign_id: str,
    ledger: LedgerDep,
    caller: CurrentOrg,
    format: Annotated[Literal["json", "csv"], Query(description="`csv`: one row per pack")] = "json",
) -> CampaignReport | Response:
    """A campaign's packs: where each is now, remedied or not, overdue or not; its completion rate."""
    report = recalls.campaign_report(ledger, caller, campaign_id)
    if format == "json":
        return report
    return Response(
        csv_text(CampaignPack, report.scope_packs),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{report.id}.csv"'},
    )
