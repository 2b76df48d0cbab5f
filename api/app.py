"""The FastAPI application, made by `create_app` from settings or from a ready ledger; nothing is built
at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from api import errors, labelling
from api.bootstrap import build_ledger
from api.cosigner import Cosigner
from api.limits import BodyLimit
from api.metrics import AppMetrics, RequestLatency
from api.proxies import ForwardedHeaders
from api.responses import DESCRIPTIONS, problem_content
from api.routes import ROUTERS
from api.settings import Settings
from ledger.log import Ledger
from ledger.usecases.cosigning import parse_witnesses

DESCRIPTION = """\
The traction-battery traceability log. Every pack event is a signed claim appended to a hash-chained
RFC 6962 transparency log. Errors are RFC 9457 `application/problem+json` with a stable `code`.
See docs/integration.md.
"""


def create_app(source: Settings | Ledger, *, settings: Settings | None = None) -> FastAPI:
    """The app over `source`: settings (the ledger is built from them and closed on shutdown) or a ledger
    made by the caller (then `settings` gives the admin token and body limit; default: the environment)."""
    sealing_key: bytes | None = None
    if isinstance(source, Ledger):
        ledger, owned = source, False
        settings = settings or Settings()
    else:
        settings, owned = source, True
        settings.require_public_url()  # outside development: the log's name and the labels' links
        ledger = build_ledger(settings)
        sealing_key = ledger.sealing_key  # the secret its start checked, not the file read again

    witnesses = parse_witnesses(settings.witnesses)
    cosigner = Cosigner(ledger, witnesses) if witnesses else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if cosigner is not None:  # gathers the witnesses' cosignatures while the app serves
            cosigner.start()
        yield
        if cosigner is not None:
            cosigner.stop()
        if owned:
            ledger.close()
            ledger.engine.dispose()

    # /docs with its assets served from the fastapi-offline package, not a public CDN that provincial
    # intranets often cannot reach. No ReDoc page: it fetches its logo from the vendor's CDN.
    app = FastAPIOffline(title="packtrace", version="1", description=DESCRIPTION, lifespan=lifespan, redoc_url=None)
    app.state.ledger = ledger
    app.state.settings = settings
    app.state.cosigner = cosigner
    if sealing_key is not None:  # a deployment: the secret that seals platform-held keys (tests set their own)
        app.state.sealing_key = sealing_key
    if (problem := labelling.readiness_problem()) is not None:  # served all the same, labels answer 503
        logging.getLogger("packtrace").error("not ready: %s", problem)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.state.metrics = AppMetrics(app)
    app.add_middleware(RequestLatency, metrics=app.state.metrics)
    # outermost: behind a trusted proxy every layer sees the client, scheme and Host the proxy saw
    app.add_middleware(ForwardedHeaders, proxies=settings.proxies)
    for router in ROUTERS:
        app.include_router(router)
    # FastAPI's documented way to extend the schema ("Extending OpenAPI") replaces the method; FastAPIOffline
    # is a factory function, not a class, so there is no subclass to override it in
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with every error response as problem+json (its own 422 schema included), and 413 on
    every operation that takes a body."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        problem = {"$ref": "#/components/schemas/Problem"}
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = problem_content(problem)
            operation.setdefault("responses", {}).setdefault(
                "500", {"description": "Internal error (a bug)", "content": problem_content(problem)}
            )
            if "requestBody" in operation:  # api/limits.py refuses any body over the limit, before the route
                operation["responses"].setdefault(
                    "413", {"description": DESCRIPTIONS[413], "content": problem_content(problem)}
                )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema
