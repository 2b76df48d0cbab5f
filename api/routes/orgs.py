"""Organisations and their signing keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentOrg, LedgerDep
from api.responses import problems
from api.schemas import KeyCreate, KeyPath, OrgCreate, OrgPath, OrgUpdate
from ledger.usecases import callers, orgkeys, pool
from ledger.usecases.views import KeyView, OrgCreated, OrgView, RegistryEntryView, TokenIssued

router = APIRouter(prefix="/v1/orgs", tags=["organisations"], responses=problems(401, 403, 422))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrgCreated, responses=problems(409))
def create_org(body: OrgCreate, ledger: LedgerDep, caller: CurrentOrg) -> OrgCreated:
    """Create an organisation (platform administrator only); its API token is returned once."""
    return orgkeys.create_org(
        ledger,
        caller,
        org_id=body.id,
        name=body.name,
        roles=body.roles,
        manufacturer_codes=body.manufacturer_codes,
        whitelisted=body.whitelisted,
        region=body.region,
    )


@router.patch("/{org}", response_model=OrgView, responses=problems(404, 409))
def update_org(org: OrgPath, body: OrgUpdate, ledger: LedgerDep, caller: CurrentOrg) -> OrgView:
    """Change an organisation's name, roles, codes, region or 规范条件 status (administrator only): a registry entry."""
    region = "" if "region" in body.model_fields_set and body.region is None else body.region  # null clears it
    return orgkeys.update_org(
        ledger,
        caller,
        org,
        name=body.name,
        roles=body.roles,
        manufacturer_codes=body.manufacturer_codes,
        region=region,
        whitelisted=body.whitelisted,
        effective=body.effective,
        reference=body.reference,
    )


@router.get("/{org}/history", response_model=list[RegistryEntryView], responses=problems(404))
def history(org: OrgPath, ledger: LedgerDep, caller: CurrentOrg) -> list[RegistryEntryView]:
    """Every registry entry about the organisation, in log order (itself, regulators, the administrator)."""
    return orgkeys.history(ledger, caller, org)


@router.get("/{org}/pool", response_model=pool.PoolPage, responses=problems(404))
def station_pool(
    org: OrgPath,
    ledger: LedgerDep,
    caller: CurrentOrg,
    cursor: Annotated[str | None, Query(max_length=200, description="`next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=pool.MAX_POOL_PAGE, description="packs a page")] = 100,
) -> pool.PoolPage:
    """A swap station's pool: the packs in the organisation's custody and in stock (itself or a regulator)."""
    return pool.station_pool(ledger, caller, org, cursor=cursor, limit=limit)


@router.post("/{org}/token", response_model=TokenIssued, responses=problems(404))
def rotate_token(org: OrgPath, ledger: LedgerDep, caller: CurrentOrg) -> TokenIssued:
    """Give the organisation a new API token, returned once; the old one stops working within 10 s (itself or admin)."""
    return callers.rotate_token(ledger, caller, org)


@router.post("/{org}/keys", status_code=status.HTTP_201_CREATED, response_model=KeyView, responses=problems(404, 409))
def add_key(org: OrgPath, body: KeyCreate, ledger: LedgerDep, caller: CurrentOrg) -> KeyView:
    """Register a key: by the administrator, or the organisation's first key by its token (later: POST /v1/registry)."""
    return orgkeys.add_key(ledger, caller, org, key_id=body.key_id, public_key=body.public_key)


@router.get("/{org}/keys", response_model=list[KeyView], responses=problems(404))
@router.get("/{org}/keys/", response_model=list[KeyView], include_in_schema=False)
def list_keys(org: OrgPath, ledger: LedgerDep, caller: CurrentOrg) -> list[KeyView]:
    """An organisation's public keys: status, validity, and whether the platform holds them (any caller)."""
    return orgkeys.list_keys(ledger, caller, org)


@router.get("/{org}/keys/{key:path}", response_model=KeyView, responses=problems(404))
def get_key(org: OrgPath, key: KeyPath, ledger: LedgerDep, caller: CurrentOrg) -> KeyView:
    """One of the organisation's public keys with its status and validity (any organisation)."""
    return orgkeys.get_key(ledger, caller, org, key)


@router.delete("/{org}/keys/{key:path}", response_model=KeyView, responses=problems(404))
def revoke_key(org: OrgPath, key: KeyPath, ledger: LedgerDep, caller: CurrentOrg) -> KeyView:
    """Revoke a key from the next entry on (administrator only; the organisation signs a key_revoked claim instead)."""
    return orgkeys.revoke_key(ledger, caller, org, key)
