"""Labels and scanning (DESIGN §6): one label as PNG or SVG, a PDF sheet, and the scan of a photo or text."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import labelling
from api.deps import CurrentOrg, LedgerDep, SettingsDep
from api.responses import problems
from api.schemas import CODE_DOC, Body, CodePath
from events.errors import InputError
from ledger.usecases.labelling import MAX_SHEET_LABELS, ScanResult

router = APIRouter(tags=["labels"], responses=problems(401, 403, 404, 422, 503))  # 503: font missing, busy

PRIVATE = {"Cache-Control": "private, no-cache"}  # labels are for the custodian: no shared caches


def _binary(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    content = {media_type: {"schema": {"type": "string", "format": "binary"}}}
    return {200: {"content": content, "description": description}}


class LabelSheetCreate(Body):
    codes: list[str] = Field(
        description=f"battery codes, 1 to {MAX_SHEET_LABELS:,}; one label each, in this order",
        json_schema_extra={"minItems": 1, "maxItems": MAX_SHEET_LABELS, "items": {"type": "string", **CODE_DOC}},
        examples=[["001PB12ABCDEFGG1F0000001", "001PB12ABCDEFGG1F0000002"]],
    )


class ScanText(Body):
    text: str = Field(
        max_length=2048,
        description="what a scanner read: a label URL or a bare battery code",
        examples=["http://localhost:8000/p/001PB12ABCDEFGG1F0000001"],
    )


SCAN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ScanText.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {"type": "string", "format": "binary", "description": "a PNG, JPEG or WebP photo"}
                    },
                    # the photo is all the body holds (the server reads no other field, and refuses a form
                    # of more than 8 others as malformed)
                    "additionalProperties": False,
                }
            },
        },
    }
}


@router.get("/v1/packs/{code}/label.png", response_class=Response, responses=_binary("image/png", "The label"))
def get_label_png(code: CodePath, ledger: LedgerDep, settings: SettingsDep, caller: CurrentOrg) -> Response:
    """The pack's label as a 300 dpi PNG (the custodian, a regulator or the administrator)."""
    parsed, png = labelling.label_png(ledger, caller, code, public_url=settings.public_url)
    headers = {**PRIVATE, "Content-Disposition": f'inline; filename="{parsed}.png"'}
    return Response(png, media_type="image/png", headers=headers)


@router.get("/v1/packs/{code}/label.svg", response_class=Response, responses=_binary("image/svg+xml", "The label"))
def get_label_svg(code: CodePath, ledger: LedgerDep, settings: SettingsDep, caller: CurrentOrg) -> Response:
    """The pack's label as SVG in millimetres (the custodian, a regulator or the administrator)."""
    parsed, svg = labelling.label_svg(ledger, caller, code, public_url=settings.public_url)
    headers = {**PRIVATE, "Content-Disposition": f'inline; filename="{parsed}.svg"'}
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.post("/v1/labels", response_class=Response, responses=_binary("application/pdf", "The A4 sheet"))
def post_labels(body: LabelSheetCreate, ledger: LedgerDep, settings: SettingsDep, caller: CurrentOrg) -> Response:
    """An A4 PDF sheet with one label per code; the caller must be the custodian of every pack."""
    pdf = labelling.label_sheet(ledger, caller, body.codes, public_url=settings.public_url)
    headers = {**PRIVATE, "Content-Disposition": 'attachment; filename="labels.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.post("/v1/scan", response_model=ScanResult, openapi_extra=SCAN_BODY)
async def post_scan(request: Request, ledger: LedgerDep, settings: SettingsDep, caller: CurrentOrg) -> ScanResult:
    """A label photo (multipart `image`) or scanned text (JSON `text`) → the code, the pack, the next actions."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        image = await _image(request)
        return await run_in_threadpool(labelling.scan_image, ledger, caller, image, public_url=settings.public_url)
    if media_type == "application/json" or media_type.endswith("+json"):
        text = _text(await request.body())
        return await run_in_threadpool(labelling.scan_text, ledger, caller, text, public_url=settings.public_url)
    raise InputError(
        f"send a photo as multipart/form-data with the field 'image', or JSON {{\"text\": …}}; "
        f"found Content-Type {media_type or 'none'!r}",
        code="invalid_request",
    )


def _text(body: bytes) -> str:
    try:
        document = json.loads(body)
    except ValueError as exc:  # JSONDecodeError, or bytes that are no Unicode text
        raise InputError(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    try:
        return ScanText.model_validate(document).text
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        raise RequestValidationError(errors, body=body) from None


async def _image(request: Request) -> bytes:
    try:
        form = await request.form(max_files=1, max_fields=8)
    except StarletteHTTPException as exc:  # starlette's answer to a malformed multipart body
        raise InputError(f"the multipart body could not be read: {exc.detail}", code="invalid_request") from None
    try:
        image = form.get("image")
        if not isinstance(image, UploadFile):
            raise InputError(
                "the multipart body needs a file field 'image' holding the label photo", code="invalid_request"
            )
        return await image.read()
    finally:
        await form.close()
