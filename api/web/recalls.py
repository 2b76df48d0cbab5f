"""The regulator's recall campaign pages: the list (/regulator/campaigns) and one campaign's progress
(/regulator/campaigns/{id}) with its CSV, which holds the same rows as the page's table."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.web.csvpage import page_csv
from api.web.render import WebDep
from ledger.usecases import recalls
from ledger.usecases.access import require_regulator
from ledger.usecases.recalls import CampaignPack

router = APIRouter(prefix="/regulator/campaigns", tags=["web"], include_in_schema=False)


@router.get("")
def campaigns_page(web: WebDep) -> Response:
    def build() -> Response:
        require_regulator(web.caller, "follow recall campaigns")
        return web.page("regulator/campaigns.html", listing=recalls.list_campaigns(web.ledger, web.caller), report=None)

    return web.respond(build)


@router.get("/{campaign_id}.csv")
def campaign_csv(web: WebDep, campaign_id: str) -> Response:
    def build() -> Response:
        require_regulator(web.caller, "follow recall campaigns")
        report = recalls.campaign_report(web.ledger, web.caller, campaign_id)
        return Response(
            page_csv(CampaignPack, report.scope_packs, web.words),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="campaign-{report.id}.csv"',
                "Cache-Control": "no-store",
            },
        )

    return web.respond(build)


@router.get("/{campaign_id}")
def campaign_page(web: WebDep, campaign_id: str) -> Response:
    def build() -> Response:
        require_regulator(web.caller, "follow recall campaigns")
        report = recalls.campaign_report(web.ledger, web.caller, campaign_id)
        return web.page("regulator/campaigns.html", listing=None, report=report)

    return web.respond(build)
