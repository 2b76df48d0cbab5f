"""The HTTP routes, one module per area. Each route parses, calls one service function and returns."""

from __future__ import annotations

from fastapi import APIRouter

from api import web
from api.routes import (
    epcis,
    events,
    handovers,
    health,
    labels,
    log,
    orgs,
    packs,
    recalls,
    registry,
    reports,
    schemas,
    tiles,
)
from api.routes import warnings as quality_warnings

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    orgs.router,
    registry.router,
    events.router,
    packs.router,
    handovers.router,
    epcis.router,
    log.router,
    tiles.router,
    labels.router,
    reports.router,
    recalls.router,
    quality_warnings.router,
    schemas.router,
    *web.ROUTERS,
)
