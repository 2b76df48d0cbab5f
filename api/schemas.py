"""Request bodies and query parameters of the HTTP API (DESIGN §5). Responses are ledger.usecases.views models."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any, Self, get_args

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from events.catalogue import LOT_SUBJECT_PATTERN, SHORT_TEXT_MAX, Chemistry, EventType
from events.codes import CHEMISTRY_LETTERS, DAY_31, DAY_LETTERS, MONTH_LETTERS, PRODUCT_TYPES, YEAR_LETTERS
from events.lifecycle import Status
from events.lots import LotEventType
from events.orgs import MANUFACTURER_CODE_PATTERN, ORG_ID_PATTERN, Role
from events.packfilters import PACK_FLAGS
from events.text import KEY_ID_MAX, NO_CONTROL_PATTERN, ORG_NAME_MAX
from ledger.append.intake import MAX_BATCH
from ledger.usecases.registration import KEY_ID_PATTERN

MAX_INT = 2**62  # indices and sizes; keeps fuzzed numbers inside a database integer

# What the server checks, said in the OpenAPI document (JSON Schema keywords under `json_schema_extra`
# document a check the domain makes with its own error code; real constraints are checked here).


def _letters(letters: Iterable[str]) -> str:
    return "[" + "".join(sorted(letters)) + "]"


_HEAD = f"[0-9A-Z]{{3}}{_letters(PRODUCT_TYPES)}{_letters(CHEMISTRY_LETTERS)}[0-9A-Z]{{2}}"
_DATE = f"{_letters(YEAR_LETTERS)}{_letters(MONTH_LETTERS)}{_letters([*DAY_LETTERS, DAY_31])}"
# every code a lookup reads (parse_code's lenient mode): 24 characters, or 19 for a second-life code
CODE_PATTERN = f"^({_HEAD}[0-9A-Z]{{7}}{_DATE}[0-9A-Z]{{7}}|{_HEAD}{_DATE}[0-9A-Z]{{7}}R{_letters(PRODUCT_TYPES)})$"
CODE_DOC: JsonDict = {"pattern": CODE_PATTERN, "minLength": 19, "maxLength": 24}
_STRICT_DATE = f"{_letters(YEAR_LETTERS)}{_letters(MONTH_LETTERS)}{_letters(DAY_LETTERS)}"
# the codes a `produced` claim may name (strict mode: a 7-digit serial, no unconfirmed day letter)
STRICT_CODE_PATTERN = (
    f"^({_HEAD}[0-9A-Z]{{7}}{_STRICT_DATE}[0-9]{{7}}|{_HEAD}{_STRICT_DATE}[0-9]{{7}}R{_letters(PRODUCT_TYPES)})$"
)
ORG_ID_DOC: JsonDict = {"pattern": ORG_ID_PATTERN, "minLength": 2, "maxLength": 63}
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PUBLIC_KEY_PATTERN = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"  # standard base64 of exactly 32 bytes
SIGNATURE_PATTERN = "^[A-Za-z0-9+/]{85}[AQgw]==$"  # standard base64 of exactly 64 bytes
CURSOR_PATTERN = "^[A-Za-z0-9_-]{1,200}$"
VIN_PATTERN = "^[0-9A-HJ-NPR-Z]{17}$"
SPEC_PATTERN = "^[0-9A-Z]{2}$"
# not blank, no control characters (events.text)
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
# RFC 3339, UTC, whole seconds (a day past the month's end is refused by the server: `invalid_claim`)
AT_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"
STATUSES = [str(status) for status in Status]
# a maker filter (events.makers): its form is documented here, whom it names is checked by the domain
MAKER_FIELD: dict[str, Any] = {
    "description": "a maker: its organisation id, one of its manufacturer codes or its registered name, in any "
    "case (`catl`, `0RJ`, `0rj`, `宁德时代`); a value naming no maker is 422 `unknown_manufacturer`",
    "examples": ["catl", "0RJ", "宁德时代"],
    "json_schema_extra": {"minLength": 1, "maxLength": ORG_NAME_MAX, "pattern": NAME_PATTERN},
}
CHEMISTRIES = list(get_args(Chemistry))

OrgPath = Annotated[str, Path(description="an organisation id", pattern=ORG_ID_PATTERN, min_length=2, max_length=63)]
CodePath = Annotated[str, Path(description="a GB/T 34014 battery code", json_schema_extra=CODE_DOC)]
KeyPath = Annotated[
    str,
    Path(min_length=1, max_length=KEY_ID_MAX, pattern=NO_CONTROL_PATTERN, description="a key id, e.g. catl/2026-1"),
]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _calendar_day(value: Any) -> Any:
    """A date filter is YYYY-MM-DD and nothing else: pydantic alone reads `0` as 1970-01-01."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise PydanticCustomError(
            "date_format", "must be a date written YYYY-MM-DD, found {found}", {"found": repr(str(value)[:40])}
        )
    return value


Day = Annotated[date, BeforeValidator(_calendar_day)]

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
    id: str = Field(
        description="a slug: 2-63 lower-case letters, digits and '-'", examples=["catl"], json_schema_extra=ORG_ID_DOC
    )
    name: str = Field(
        examples=["宁德时代"],
        description=f"the display name: 1 to {ORG_NAME_MAX} characters, not blank, no control characters",
        json_schema_extra={"minLength": 1, "maxLength": ORG_NAME_MAX, "pattern": NAME_PATTERN},
    )
    roles: list[str] = Field(
        examples=[["manufacturer"]],
        json_schema_extra={"minItems": 1, "items": {"type": "string", "enum": [str(role) for role in Role]}},
    )
    manufacturer_codes: list[str] = Field(
        default_factory=list,
        examples=[["001"]],
        description="GB/T 34014 manufacturer codes; each belongs to one organisation",
        json_schema_extra={"items": {"type": "string", "pattern": MANUFACTURER_CODE_PATTERN}},
    )
    whitelisted: bool = False
    region: str | None = Field(
        default=None,
        description="GB/T 2260 division code of where it is, e.g. 350000 (Fujian), 350200 (Xiamen)",
        examples=["350200"],
        json_schema_extra={"pattern": "^[0-9]{6}$"},
    )


class KeyCreate(Body):
    key_id: str = Field(
        examples=["catl/2026-1"],
        description=f"the organisation's id, '/', then letters, digits, '.', '_' or '-'; at most {KEY_ID_MAX} in all",
        json_schema_extra={"pattern": KEY_ID_PATTERN, "maxLength": KEY_ID_MAX},
    )
    public_key: str = Field(
        description="standard base64 of the raw 32-byte Ed25519 public key (small-order points are refused)",
        json_schema_extra={"pattern": PUBLIC_KEY_PATTERN},
    )


class OrgUpdate(Body):
    """`PATCH /v1/orgs/{org}`: what changes; a 规范条件 change names the date it takes effect and its reference.
    Only `region` may be null (it clears the region); a member that does not change is left out."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "minProperties": 1,
            "dependentRequired": {
                "whitelisted": ["effective", "reference"],
                "effective": ["whitelisted"],
                "reference": ["whitelisted"],
            },
        },
    )

    name: str | SkipJsonSchema[None] = Field(
        default=None,
        examples=["宁德时代新能源"],
        json_schema_extra={"minLength": 1, "maxLength": ORG_NAME_MAX, "pattern": NAME_PATTERN},
    )
    roles: list[str] | SkipJsonSchema[None] = Field(
        default=None,
        description="the whole new set of roles",
        json_schema_extra={"minItems": 1, "items": {"type": "string", "enum": [str(role) for role in Role]}},
    )
    manufacturer_codes: list[str] | SkipJsonSchema[None] = Field(
        default=None,
        description="the whole new set of GB/T 34014 manufacturer codes",
        json_schema_extra={"items": {"type": "string", "pattern": MANUFACTURER_CODE_PATTERN}},
    )
    region: str | None = Field(
        default=None,
        description="GB/T 2260 division code, e.g. 350000; null clears it",
        examples=["350000"],
        json_schema_extra={"pattern": "^[0-9]{6}$"},
    )
    whitelisted: bool | SkipJsonSchema[None] = Field(
        default=None, description="on MIIT's 规范条件 list from `effective` on"
    )
    effective: Day | SkipJsonSchema[None] = Field(
        default=None, description="with `whitelisted`: the date it takes effect (China time)"
    )
    reference: str | SkipJsonSchema[None] = Field(
        default=None,
        description="with `whitelisted`: the decision, e.g. the MIIT announcement number",
        examples=["工业和信息化部公告2026年第12号"],
        json_schema_extra={"minLength": 1, "maxLength": 200, "pattern": NAME_PATTERN},
    )

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        nulls = sorted(name for name in self.model_fields_set - {"region"} if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"only region may be null; leave out what does not change: {', '.join(nulls)}")
        return self


REGISTRY_CLAIM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["v", "id", "subject", "type", "at", "by", "actor", "key", "data"],
    "properties": {
        "v": {"type": "integer", "enum": [1]},
        "id": {"type": "string", "pattern": UUID_PATTERN},
        "subject": {"type": "string", "pattern": f"^org:{ORG_ID_PATTERN.removeprefix('^')}"},
        "type": {"type": "string", "enum": ["org_changed", "key_added", "key_revoked"]},
        "at": {"type": "string", "pattern": AT_PATTERN},
        "by": {"type": "string", "enum": ["signature"]},
        "actor": {"type": "string", **ORG_ID_DOC},
        "key": {"type": "string", "pattern": KEY_ID_PATTERN, "maxLength": KEY_ID_MAX},
        "data": {"type": "object", "description": "the change (docs/ledger-format.md §5): its members follow `type`"},
    },
}


class RegistryClaimCreate(Body):
    claim: dict[str, Any] = Field(
        description="a registry claim authorised by 'signature', exactly as signed (docs/ledger-format.md §5)",
        json_schema_extra=REGISTRY_CLAIM_SCHEMA,
        examples=[
            {
                "v": 1,
                "id": "0b6f3c1e-5d2a-4f8e-9a71-2c4d6e8f0a13",
                "subject": "org:catl",
                "type": "key_added",
                "at": "2026-12-04T10:00:00Z",
                "by": "signature",
                "actor": "catl",
                "key": "catl/2026-1",
                "data": {"key_id": "catl/2026-2", "public_key": "<base64>", "platform_held": False},
            }
        ],
    )
    sig: str = Field(
        description="standard base64 of the Ed25519 signature over the claim's RFC 8785 bytes",
        json_schema_extra={"pattern": SIGNATURE_PATTERN},
    )


CLAIM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["v", "id", "pack", "type", "at", "actor", "key", "data"],
    "properties": {
        "v": {"type": "integer", "enum": [1]},
        "id": {"type": "string", "pattern": UUID_PATTERN},
        "pack": {
            "anyOf": [
                {"type": "string", "pattern": STRICT_CODE_PATTERN, "minLength": 19, "maxLength": 24},
                {"type": "string", "pattern": LOT_SUBJECT_PATTERN, "maxLength": 32, "description": "a recycler lot"},
            ]
        },
        "type": {"type": "string", "enum": [str(t) for t in EventType] + [str(t) for t in LotEventType]},
        "at": {"type": "string", "pattern": AT_PATTERN},
        "actor": {"type": "string", **ORG_ID_DOC},
        "key": {"type": "string", "pattern": KEY_ID_PATTERN, "maxLength": KEY_ID_MAX},
        "prev": {"anyOf": [{"type": "string", "pattern": "^[0-9a-f]{64}$"}, {"type": "null"}]},
        "data": {"type": "object", "description": "the event's payload (GET /v1/schemas lists them)"},
    },
}


class EventCreate(Body):
    claim: dict[str, Any] = Field(
        description="the claim exactly as signed (DESIGN §3.1, docs/ledger-format.md)",
        examples=[CLAIM_EXAMPLE],
        json_schema_extra=CLAIM_SCHEMA,
    )
    sig: str = Field(
        description="standard base64 of the Ed25519 signature over the claim's RFC 8785 bytes",
        json_schema_extra={"pattern": SIGNATURE_PATTERN},
    )

    def item(self) -> tuple[dict[str, Any], str]:
        return self.claim, self.sig


class BatchCreate(Body):
    events: list[EventCreate] = Field(
        min_length=1,
        description=f"1 to {MAX_BATCH:,} signed claims, appended atomically",
        json_schema_extra={"maxItems": MAX_BATCH},
    )


REGION_FIELD: dict[str, Any] = {
    "description": "a GB/T 2260 division code (350000 a province, 350200 a city, 350205 a district): only what "
    "touches it (docs/regions.md); a region-scoped regulator gets its region without asking",
    "json_schema_extra": {"pattern": "^[0-9]{6}$"},
}


class PackQuery(Body):
    status: str | None = Field(
        default=None, description="lifecycle status, e.g. in_vehicle", json_schema_extra={"enum": [*STATUSES, None]}
    )
    manufacturer: str | None = Field(default=None, **MAKER_FIELD)
    custodian: str | None = Field(default=None, description="an organisation id", json_schema_extra=ORG_ID_DOC)
    vin: str | None = Field(
        default=None,
        description="the vehicle a pack is installed in now (regulators only)",
        json_schema_extra={"pattern": VIN_PATTERN},
    )
    chemistry: str | None = Field(default=None, json_schema_extra={"enum": [*CHEMISTRIES, None]})
    produced_from: Day | None = None
    produced_to: Day | None = None
    flag: str | None = Field(
        default=None, description="packs carrying this flag", json_schema_extra={"enum": [*PACK_FLAGS, None]}
    )
    batch: str | None = Field(
        default=None,
        description="the `batch` of the pack's `produced` entry, exactly as recorded",
        json_schema_extra={"minLength": 1, "maxLength": SHORT_TEXT_MAX, "pattern": NAME_PATTERN},
    )
    region: str | None = Field(default=None, **REGION_FIELD)
    cursor: str | None = Field(
        default=None, description="`next` of the previous page", json_schema_extra={"pattern": CURSOR_PATTERN}
    )
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


class ArrivalCreate(EventCreate):
    """An `arrived` claim with the origin platform's handover document beside it (docs/federation.md)."""

    handover: dict[str, Any] = Field(
        description="the origin's packtrace-handover/1 document, as GET /v1/handovers/{code} returned it"
    )
