"""Submitting signed claims."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from api.deps import CurrentOrg, LedgerDep, SettingsDep
from api.responses import problems
from api.schemas import BatchCreate, EventCreate
from ledger.usecases import posting
from ledger.usecases.views import BatchResult, EventResult, batch_result_json, event_result_json

router = APIRouter(prefix="/v1/events", tags=["events"], responses=problems(401, 403, 404, 409, 413, 422))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EventResult,
    responses={200: {"model": EventResult, "description": "The claim was already recorded: its entry"}},
)
async def post_event(body: EventCreate, request: Request, caller: CurrentOrg) -> Response:
    """Append one signed claim of the caller's organisation; a retry of a recorded claim answers 200."""
    # The hottest route: the ledger is taken from the app, not solved as a dependency; the ledger's
    # writer thread checks and writes the claim while the event loop serves other requests; the answer
    # is written around the entry's stored bytes, not parsed back into an EventResult.
    state = request.app.state
    appended = await posting.submit(state.ledger, caller, body.claim, body.sig, state.settings.peer_platforms)
    return Response(
        event_result_json(appended),
        status_code=status.HTTP_201_CREATED if appended.created else status.HTTP_200_OK,
        media_type="application/json",
    )


@router.post("/batch", status_code=status.HTTP_201_CREATED, response_model=BatchResult)
def post_batch(body: BatchCreate, ledger: LedgerDep, settings: SettingsDep, caller: CurrentOrg) -> Response:
    """Append up to 10,000 signed claims atomically; on failure every failing item is listed by position."""
    appended = posting.submit_batch(ledger, caller, [e.item() for e in body.events], settings.peer_platforms)
    return Response(batch_result_json(appended), status_code=status.HTTP_201_CREATED, media_type="application/json")
