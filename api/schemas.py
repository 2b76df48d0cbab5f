"""Request bodies and query parameters of the HTTP API (DESIGN §5). Responses are ledger.views models."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_INT = 2**62  # indices and sizes; keeps fuzzed numbers inside a database integer

CLAIM_EXAMPLE = {
    "v": 1,
    "id": "6f1c2a4e-8f7d-4a59-9c0e-3a1f2b4c5d6e",
    "pack": "001PB12ABCDEFGG1F0000001",
    "type": "shipped",
    "at": "2026-11-20T08:30:00Z",
    "actor": "catl",
    "key": "catl/2026-1",
    "data": {"to": "byd-auto"},
}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrgCreate(Body):
    id: str = Field(description="a slug: 2-63 lower-case letters, digits and '-'", examples=["catl"])
    name: str = Field(examples=["宁德时代"])
    roles: list[str] = Field(examples=[["manufacturer"]])
    manufacturer_codes: list[str] = Field(default_factory=list, examples=[["001"]])
    whitelisted: bool = False


class KeyCreate(Body):
    key_id: str = Field(examples=["catl/2026-1"])
    public_key: str = Field(description="standard base64 of the raw 32-byte Ed25519 public key")


class EventCreate(Body):
    claim: dict[str, Any] = Field(
        description="the claim exactly as signed (DESIGN §3.1, docs/ledger-format.md)",
        examples=[CLAIM_EXAMPLE],
    )
    sig: str = Field(description="standard base64 of the Ed25519 signature over the claim's RFC 8785 bytes")

    def item(self) -> tuple[dict[str, Any], str]:
        return self.claim, self.sig


class BatchCreate(Body):
    events: list[EventCreate] = Field(min_length=1, description="1 to 10,000 signed claims, appended atomically")


class PackQuery(Body):
    status: str | None = Field(default=None, description="lifecycle status, e.g. in_vehicle")
    manufacturer: str | None = Field(default=None, description="the producer's org id or the 3-character maker code")
    custodian: str | None = None
    vin: str | None = Field(default=None, description="the vehicle a pack is installed in now (regulators only)")
    chemistry: str | None = None
    produced_from: date | None = None
    produced_to: date | None = None
    cursor: str | None = Field(default=None, description="`next` of the previous page")
    limit: int = Field(default=100, ge=1, le=1000)


class EntriesQuery(Body):
    start: int = Field(default=0, ge=0, le=MAX_INT)
    end: int | None = Field(default=None, ge=0, le=MAX_INT, description="exclusive; at most start + 1,000")


class InclusionQuery(Body):
    index: int = Field(ge=0, le=MAX_INT)
    size: int = Field(ge=1, le=MAX_INT)


class ConsistencyQuery(Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    old: int = Field(alias="from", ge=1, le=MAX_INT)
    new: int = Field(alias="to", ge=1, le=MAX_INT)
