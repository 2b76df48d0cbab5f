"""Packs: the tiered view, the history, the offline bundle, the battery passport and the filtered list."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from api.deps import CurrentOrg, LedgerDep, OptionalOrg, SettingsDep
from api.peerfetch import fetch_json_briefly
from api.responses import OPTIONAL_BEARER, problems
from api.schemas import CodePath, PackQuery
from ledger.format.handover import PEER_HEADER
from ledger.store.packrows import PackFilter
from ledger.usecases import epcis, federation, packhistory, packreads, passport, tiles
from ledger.usecases.packhistory import HISTORY_PAGE, MAX_HISTORY_PAGE
from ledger.usecases.passport import Passport
from ledger.usecases.views import Bundle, PackHistory, PackPage, PackView

router = APIRouter(prefix="/v1/packs", tags=["packs"], responses=problems(401, 403, 422))


@router.get("", response_model=PackPage)
def list_packs(query: Annotated[PackQuery, Query()], ledger: LedgerDep, caller: CurrentOrg) -> PackPage:
    """List packs by filter in code order with cursor pagination; organisations see their own custody."""
    where = PackFilter(**query.model_dump(exclude={"cursor", "limit", "region"}))
    return packreads.list_packs(ledger, caller, where, cursor=query.cursor, limit=query.limit, region=query.region)


@router.get("/{code}", response_model=PackView, responses=problems(404), openapi_extra=OPTIONAL_BEARER)
def get_pack(code: CodePath, ledger: LedgerDep, caller: OptionalOrg) -> PackView:
    """A pack's current state, as much of it as the caller's access tier may see."""
    return packreads.get_pack_view(ledger, caller, code)


@router.get("/{code}/events", response_model=PackHistory, responses=problems(404))
def get_pack_events(
    code: CodePath,
    ledger: LedgerDep,
    settings: SettingsDep,
    caller: OptionalOrg,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE, description="entries a page")] = HISTORY_PAGE,
) -> PackHistory:
    """A page of the pack's chain with entry hashes, in `seq` order; `next` is the cursor of the rest."""
    return packhistory.get_pack_history(
        ledger,
        caller,
        code,
        cursor=cursor,
        limit=limit,
        peers=settings.peer_platforms,
        fetch=fetch_json_briefly,
        now=int(time.time()),
    )


@router.get(
    "/{code}/epcis",
    response_model=None,
    responses={200: {"content": {"application/ld+json": {}}, "description": "an EPCISDocument"}, **problems(404)},
)
def get_pack_epcis(code: CodePath, ledger: LedgerDep, settings: SettingsDep, caller: OptionalOrg) -> JSONResponse:
    """The pack's chain as a GS1 EPCIS 2.0 EPCISDocument (JSON-LD), tiered like its history (docs/epcis.md)."""
    document = epcis.pack_document(ledger, caller, code, public_url=settings.public_url, now=datetime.now(UTC))
    return JSONResponse(document, media_type="application/ld+json")


@router.get(
    "/{code}/bundle",
    response_model=None,
    responses={200: {"model": Bundle, "description": "the bundle (full or redacted)"}, **problems(404)},
)
def get_pack_bundle(code: CodePath, ledger: LedgerDep, caller: OptionalOrg) -> StreamingResponse:
    """The pack's offline bundle, verifiable with public keys alone; entries a tier may not read are withheld."""
    return StreamingResponse(packhistory.get_pack_bundle(ledger, caller, code), media_type="application/json")


@router.get("/{code}/passport", response_model=Passport, responses=problems(404), openapi_extra=OPTIONAL_BEARER)
def get_pack_passport(code: CodePath, ledger: LedgerDep, caller: OptionalOrg) -> Passport:
    """The pack's EU battery passport (Catena-X BatteryPass 6.1.0) from signed entries, tiered, with what is missing."""
    return passport.get_passport(ledger, caller, code)


@router.get(
    "/{code}/proof",
    response_model=str,
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **problems(404)},
)
def get_pack_proof(code: CodePath, ledger: LedgerDep, caller: OptionalOrg) -> str:
    """The C2SP tlog-proof (c2sp.org/tlog-proof@v1) of the pack's head entry under the latest checkpoint."""
    return tiles.pack_proof(ledger, caller, code)


@router.get(
    "/{code}/handover", response_model=dict[str, object], responses=problems(404), openapi_extra=OPTIONAL_BEARER
)
def get_pack_handover(
    code: CodePath,
    ledger: LedgerDep,
    settings: SettingsDep,
    caller: OptionalOrg,
    peer: Annotated[str | None, Header(alias=PEER_HEADER, max_length=4096)] = None,
) -> dict[str, object]:
    """A transferred or exported pack's handover document: transfer entry, its proof, bundle and passport."""
    return federation.handover_document(ledger, caller, code, settings.peer_platforms, peer, int(time.time()))


@router.get("/{code}/continuation", response_model=None, responses={200: {"model": Bundle}, **problems(404)})
def get_pack_continuation(
    code: CodePath,
    ledger: LedgerDep,
    settings: SettingsDep,
    peer: Annotated[str | None, Header(alias=PEER_HEADER, max_length=4096)] = None,
) -> JSONResponse:
    """An arrived pack's full bundle, for the peer platform it came from (a request signed by its log key)."""
    bundle = federation.continuation(ledger, code, settings.peer_platforms, peer, int(time.time()))
    return JSONResponse(bundle)
