"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api import labelling
from api.deps import LedgerDep
from api.responses import problems

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    log_size: int


@router.get("/healthz", response_model=Health, responses=problems(503))
def healthz(ledger: LedgerDep) -> Health:
    """The log's size when the service and its database are up; 503 naming what is missing when not ready."""
    labelling.require_ready()
    return Health(status="ok", log_size=ledger.size())
