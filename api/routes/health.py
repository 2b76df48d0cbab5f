"""Liveness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import LedgerDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    log_size: int


@router.get("/healthz", response_model=Health)
def healthz(ledger: LedgerDep) -> Health:
    """Answer when the service and its database are up, with the log's current size."""
    return Health(status="ok", log_size=ledger.size())
