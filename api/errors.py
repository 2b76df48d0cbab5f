"""Errors as RFC 9457 problem documents (`application/problem+json`): the one place that maps the error
family to HTTP statuses.

    401 unauthenticated, invalid_token     no or bad bearer token
    403 forbidden, actor_mismatch, …       role, custody, actor ≠ token's organisation, revoked key
    404 unknown_pack, not_found, …         unknown pack, organisation, key, route
    409 stale_prev, claim_id_reused, …     optimistic-concurrency and idempotency conflicts
    413 too_large                          request body over PACKTRACE_MAX_BODY_BYTES
    422 invalid_*, illegal_transition, …   schema, code, VIN, signature, lifecycle

The EPCIS query's refusals (events.epcis) are typed `epcisException:<the EPCIS 2.0 exception>`
(QueryParameterException, SecurityException) instead of `urn:packtrace:problem:<code>`.
    503 scanner_busy, label_font_missing   busy (with Retry-After) or a part not installed

A rejected batch answers with `errors: [{position, code, detail, status}]` and the status its items
share (422 when they differ). Every problem carries the stable `code`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from events.epcis import QueryParameterError, QuerySecurityError
from events.errors import (
    AuthorisationError,
    ConflictError,
    InputError,
    InvalidCode,
    LifecycleError,
    NotFoundError,
    PacktraceError,
    UnavailableError,
    VerificationError,
)
from ledger.append.outcome import BatchRejected
from ledger.usecases.access import Unauthenticated

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE = "urn:packtrace:problem:{code}"
EPCIS_PROBLEM_PREFIX = "epcisException:"
EPCIS_ERRORS = (QueryParameterError, QuerySecurityError)

# First match wins: subclasses before their parents.
STATUS_OF: tuple[tuple[type[PacktraceError], int], ...] = (
    (Unauthenticated, 401),
    (AuthorisationError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InputError, 422),
    (LifecycleError, 422),
    (VerificationError, 422),
    (UnavailableError, 503),
)
FASTAPI_UNDECODABLE_BODY = "There was an error parsing the body"
HTTP_CODES = {401: "unauthenticated", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


class ProblemItem(BaseModel):
    position: int = Field(description="0-based position of the item in the request's `events`")
    code: str
    detail: str
    status: int


class InvalidParam(BaseModel):
    name: str = Field(description="where: `body.claim.id`, `query.limit`, …")
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable error code")
    instance: str | None = None
    errors: list[ProblemItem] | None = Field(default=None, description="a rejected batch: every failing item")
    invalid_params: list[InvalidParam] | None = None
    field: str | None = Field(default=None, description="invalid_code: the part of the battery code at fault")


def status_of(exc: PacktraceError) -> int:
    if isinstance(exc, BatchRejected):
        statuses = {status_of(err) for _, err in exc.errors}
        return statuses.pop() if len(statuses) == 1 else 422
    return next((status for cls, status in STATUS_OF if isinstance(exc, cls)), 400)


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    problem_type: str | None = None,
    **extra: Any,
) -> JSONResponse:
    problem = Problem(
        type=problem_type or PROBLEM_TYPE.format(code=code),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        instance=instance,
        **extra,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _packtrace_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PacktraceError)
    status = status_of(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, BatchRejected):
        extra["errors"] = [
            ProblemItem(position=pos, code=err.code, detail=err.message, status=status_of(err))
            for pos, err in exc.errors
        ]
    if isinstance(exc, InvalidCode):
        extra["field"] = exc.field
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, UnavailableError) and exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}
    # the EPCIS query's refusals carry the exception EPCIS 2.0 names, as its REST binding types them
    epcis_type = f"{EPCIS_PROBLEM_PREFIX}{exc.epcis_exception}" if isinstance(exc, EPCIS_ERRORS) else None
    return problem_response(
        status, exc.code, exc.message, instance=request.url.path, headers=headers, problem_type=epcis_type, **extra
    )


def _where(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e["type"] == "json_invalid" for e in errors):
        error = next(e for e in errors if e["type"] == "json_invalid")
        reason = (error.get("ctx") or {}).get("error", "JSON decode error")
        return problem_response(
            422,
            "invalid_json",
            f"the request body is not valid JSON: {reason} (at character {error['loc'][-1]})",
            instance=request.url.path,
        )
    content_type = request.headers.get("content-type", "")
    if any(tuple(e["loc"]) == ("body",) for e in errors) and "json" not in content_type:
        shown = repr(content_type) if content_type else "none"
        return problem_response(
            422,
            "invalid_request",
            f"the request body must be JSON sent with 'Content-Type: application/json' (Content-Type: {shown})",
            instance=request.url.path,
        )
    params = [InvalidParam(name=_where(e["loc"]), reason=str(e["msg"])) for e in errors]
    detail = "; ".join(f"{p.name}: {p.reason}" for p in params[:10])
    return problem_response(422, "invalid_request", detail, instance=request.url.path, invalid_params=params)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # the framework could not read the body: bad input is a 422 here
        if exc.detail == FASTAPI_UNDECODABLE_BODY:
            return problem_response(
                422,
                "invalid_json",
                "the request body is not valid JSON: it is not UTF-8 text",
                instance=request.url.path,
            )
        return problem_response(422, "invalid_request", str(exc.detail), instance=request.url.path)
    if exc.status_code == 404 and _wants_page(request):
        from api.web.render import not_found_page  # the web layer draws pages; imported here, it imports this

        return not_found_page(request)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return problem_response(exc.status_code, code, str(exc.detail), instance=request.url.path, headers=exc.headers)


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API): an unknown address answers with the site's 404 page."""
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "text/html" in accept and not request.url.path.startswith("/v1/")


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(500, "internal_error", "internal error; it has been logged", instance=request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PacktraceError, _packtrace_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
