"""Between platforms (docs/federation.md): receiving a pack another platform handed over."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentOrg, LedgerDep, SettingsDep
from api.peerfetch import fetch_json
from api.responses import problems
from api.schemas import ArrivalCreate, CodePath
from ledger.usecases import federation
from ledger.usecases.views import EventResult

router = APIRouter(prefix="/v1/handovers", tags=["federation"], responses=problems(401, 403, 404, 422))

Origin = Annotated[
    str, Query(alias="from", min_length=1, max_length=200, description="the origin platform's log origin")
]


@router.get("/{code}", response_model=dict[str, object], responses=problems(503))
def get_handover(
    code: CodePath, origin: Origin, ledger: LedgerDep, settings: SettingsDep, caller: CurrentOrg
) -> dict[str, object]:
    """Fetch a pack's handover document from the peer platform `from` with this log's signed request, verified."""
    return federation.receive_handover(
        ledger, caller, settings.peer_platforms, code, origin, fetch_json, int(time.time())
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EventResult)
def post_arrival(body: ArrivalCreate, ledger: LedgerDep, settings: SettingsDep, caller: CurrentOrg) -> EventResult:
    """Append an `arrived` claim with the origin's handover document; keeps the origin's verified bundle."""
    appended = federation.arrive(ledger, caller, settings.peer_platforms, body.claim, body.sig, body.handover)
    return EventResult(
        entry=appended.entry, hash=appended.hash, index=appended.index, seq=appended.seq, created=appended.created
    )
