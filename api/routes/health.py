"""Readiness (`/healthz`) and the Prometheus metrics (`/metrics`, api/metrics.py): docs/operations.md §6."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api import labelling, metrics
from api.cosigner import witness_states
from api.deps import LedgerDep
from api.responses import problems
from events.errors import UnavailableError
from ledger.usecases.readiness import readiness

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
    """Readiness: the log's size and witnesses' state, or 503 naming every reason it is not ready."""
    # ready: the label font installed, the database answering, its schema at this version's migration head,
    # the log key and sealing secret the server holds the log's own (a witness down does not fail it)
    labelling.require_ready()
    ready = readiness(ledger, sealing_key=getattr(request.app.state, "sealing_key", None))
    if not ready.ready or ready.size is None:
        raise UnavailableError("not ready: " + "; ".join(ready.problems), code="not_ready")
    witnesses = [
        WitnessHealth(
            name=s.name, url=s.url, cosigned_size=s.cosigned_size, cosigned_at=s.cosigned_at, ok=s.ok, error=s.error
        )
        for s in witness_states(request.app)
    ]
    return Health(status="ok", log_size=ready.size, witnesses=witnesses)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {metrics.CONTENT_TYPE: {"schema": {"type": "string"}}}}},
)
def prometheus_metrics(request: Request) -> Response:
    """Prometheus metrics: log entries (append rate), append queue depth, witness lag, request latency."""
    return Response(metrics.exposition(request.app), media_type=metrics.CONTENT_TYPE)
