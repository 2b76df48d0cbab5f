"""Liveness and readiness."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api import labelling
from api.cosigner import witness_states
from api.deps import LedgerDep
from api.responses import problems

router = APIRouter(tags=["health"])


class WitnessHealth(BaseModel):
    """A witness the log submits its checkpoints to (PACKTRACE_WITNESSES)."""

    name: str
    url: str
    cosigned_size: int  # the latest checkpoint size it cosigned for this log (0: none yet)
    cosigned_at: datetime | None
    ok: bool | None  # None: not asked since the server started
    error: str | None  # why the last submission failed


class Health(BaseModel):
    status: str
    log_size: int
    witnesses: list[WitnessHealth]


@router.get("/healthz", response_model=Health, responses=problems(503))
def healthz(request: Request, ledger: LedgerDep) -> Health:
    """The log's size and its witnesses' state (a witness down does not fail it); 503 naming what is missing."""
    labelling.require_ready()
    witnesses = [
        WitnessHealth(
            name=s.name, url=s.url, cosigned_size=s.cosigned_size, cosigned_at=s.cosigned_at, ok=s.ok, error=s.error
        )
        for s in witness_states(request.app)
    ]
    return Health(status="ok", log_size=ledger.size(), witnesses=witnesses)
