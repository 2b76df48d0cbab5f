"""GS1 EPCIS 2.0 REST query subset: GET /v1/epcis/events (docs/epcis.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import LedgerDep, OptionalOrg, SettingsDep
from api.responses import problems
from events.epcis import EventQuery
from ledger.usecases import epcis
from ledger.usecases.epcis import MAX_PER_PAGE, PER_PAGE

EQ_EPC = "the packs' EPCs, `{public_url}/p/{code}`; none: a regulator's query over every pack"
router = APIRouter(prefix="/v1/epcis", tags=["epcis"], responses=problems(401, 403, 422))


@router.get(
    "/events",
    response_model=None,
    responses={200: {"content": {"application/ld+json": {}}, "description": "an EPCISQueryDocument"}, **problems(404)},
)
def query_events(
    request: Request,
    ledger: LedgerDep,
    settings: SettingsDep,
    caller: OptionalOrg,
    eq_epc: Annotated[list[str], Query(alias="EQ_epc", description=EQ_EPC)] = [],  # noqa: B006
    ge_event_time: Annotated[str | None, Query(alias="GE_eventTime", max_length=40)] = None,
    lt_event_time: Annotated[str | None, Query(alias="LT_eventTime", max_length=40)] = None,
    ge_record_time: Annotated[str | None, Query(alias="GE_recordTime", max_length=40)] = None,
    lt_record_time: Annotated[str | None, Query(alias="LT_recordTime", max_length=40)] = None,
    eq_biz_step: Annotated[list[str], Query(alias="EQ_bizStep", description="CBV business steps")] = [],  # noqa: B006
    event_type: Annotated[list[str], Query(alias="eventType")] = [],  # noqa: B006
    eq_action: Annotated[list[str], Query(alias="EQ_action", description="ADD, OBSERVE or DELETE")] = [],  # noqa: B006
    per_page: Annotated[int, Query(alias="perPage", description=f"1 to {MAX_PER_PAGE}")] = PER_PAGE,
    next_page_token: Annotated[str | None, Query(alias="nextPageToken", max_length=200)] = None,
) -> JSONResponse:
    """EPCIS 2.0 query: events as an EPCISQueryDocument (all packs: regulators); next page in `Link` (rel=next)."""
    query = EventQuery(
        epcs=tuple(eq_epc),
        ge_event_time=ge_event_time,
        lt_event_time=lt_event_time,
        biz_steps=tuple(eq_biz_step),
        event_types=tuple(event_type),
        actions=tuple(eq_action),
        ge_record_time=ge_record_time,
        lt_record_time=lt_record_time,
    )
    page = epcis.query_events(
        ledger, caller, query, public_url=settings.public_url, now=datetime.now(UTC), per_page=per_page,
        page_token=next_page_token,
    )  # fmt: skip
    headers = {}
    if page.next_page_token is not None:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "nextPageToken"]
        following = (
            f"{settings.public_url}/v1/epcis/events?{urlencode([*params, ('nextPageToken', page.next_page_token)])}"
        )
        headers["Link"] = f'<{following}>; rel="next"'
    return JSONResponse(page.document, media_type="application/ld+json", headers=headers)


@router.get(
    "/lots/{recycler}/{lot_id}",
    response_model=None,
    responses={200: {"content": {"application/ld+json": {}}, "description": "an EPCISDocument"}, **problems(404)},
)
def lot_document(
    recycler: str, lot_id: str, ledger: LedgerDep, settings: SettingsDep, caller: OptionalOrg
) -> JSONResponse:
    """A recycler lot's own chain as an EPCISDocument: what the lot's EPC resolves to (its recycler, regulators)."""
    document = epcis.lot_document(
        ledger, caller, f"lot:{recycler}:{lot_id}", public_url=settings.public_url, now=datetime.now(UTC)
    )
    return JSONResponse(document, media_type="application/ld+json")
