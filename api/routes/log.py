"""The transparency log: checkpoint, verifier key, entries and proofs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from api.deps import CurrentOrg, LedgerDep, SettingsDep
from api.responses import problems
from api.schemas import ConsistencyQuery, EntriesQuery, InclusionQuery
from ledger.usecases import logreads
from ledger.usecases.views import ConsistencyProof, InclusionProof, LogEntries, LogKey

router = APIRouter(prefix="/v1/log", tags=["log"], responses=problems(422))


@router.get("/checkpoint", response_model=str, response_class=PlainTextResponse, responses=problems(404))
def get_checkpoint(ledger: LedgerDep, settings: SettingsDep) -> str:
    """The signed checkpoint (C2SP tlog-checkpoint) with its witnesses' cosignatures (ledger-format §4.3)."""
    return logreads.latest_checkpoint(ledger, witnessed=bool(settings.witnesses))


@router.get("/key", response_model=LogKey)
def get_key(ledger: LedgerDep) -> LogKey:
    """The log's verifier key, in C2SP signed-note form and as a raw Ed25519 public key."""
    return logreads.log_key(ledger)


@router.get("/entries", response_model=LogEntries, responses=problems(401, 403))
def get_entries(query: Annotated[EntriesQuery, Query()], ledger: LedgerDep, caller: CurrentOrg) -> LogEntries:
    """Entries in index order from `start` to `end` (exclusive), at most 1,000 a page (regulators)."""
    return logreads.log_entries(ledger, caller, query.start, query.end)


@router.get("/proof/inclusion", response_model=InclusionProof, responses=problems(404))
def get_inclusion_proof(query: Annotated[InclusionQuery, Query()], ledger: LedgerDep) -> InclusionProof:
    """RFC 9162 inclusion proof of the entry at `index` in the tree of `size` entries."""
    return logreads.inclusion_proof(ledger, query.index, query.size)


@router.get("/proof/consistency", response_model=ConsistencyProof, responses=problems(404))
def get_consistency_proof(query: Annotated[ConsistencyQuery, Query()], ledger: LedgerDep) -> ConsistencyProof:
    """RFC 9162 consistency proof between the trees of sizes `from` and `to`."""
    return logreads.consistency_proof(ledger, query.old, query.new)
