"""Submitting signed claims."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import CurrentOrg, LedgerDep
from api.responses import problems
from api.schemas import BatchCreate, EventCreate
from ledger import service
from ledger.views import BatchResult, EventResult

router = APIRouter(prefix="/v1/events", tags=["events"], responses=problems(401, 403, 404, 409, 413, 422))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EventResult,
    responses={200: {"model": EventResult, "description": "The claim was already recorded: its entry"}},
)
def post_event(body: EventCreate, response: Response, ledger: LedgerDep, caller: CurrentOrg) -> EventResult:
    """Append one signed claim of the caller's organisation; a retry of a recorded claim answers 200."""
    result = service.submit(ledger, caller, body.claim, body.sig)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result


@router.post("/batch", status_code=status.HTTP_201_CREATED, response_model=BatchResult)
def post_batch(body: BatchCreate, ledger: LedgerDep, caller: CurrentOrg) -> BatchResult:
    """Append up to 10,000 signed claims atomically; on failure every failing item is listed by position."""
    return service.submit_batch(ledger, caller, [event.item() for event in body.events])
