"""Signed registry claims: an organisation's later keys and revocations, a regulator's 规范条件 changes."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import CurrentOrg, LedgerDep
from api.responses import problems
from api.schemas import RegistryClaimCreate
from ledger.usecases import orgkeys
from ledger.usecases.views import RegistryAppended

router = APIRouter(prefix="/v1/registry", tags=["organisations"], responses=problems(401, 403, 404, 409, 422))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RegistryAppended)
def submit(body: RegistryClaimCreate, ledger: LedgerDep, caller: CurrentOrg, response: Response) -> RegistryAppended:
    """Append a registry claim signed by a current key of its actor; a retry answers 200 with its entry."""
    result = orgkeys.submit(ledger, caller, body.claim, body.sig)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result
