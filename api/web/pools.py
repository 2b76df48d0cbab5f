"""A swap station's pool for the regulator (换电站电池池): /regulator/organisations/{org}/pool, linked from
the organisations page for every swap operator."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.web.render import WebDep
from ledger.usecases import pool
from ledger.usecases.access import require_regulator

router = APIRouter(prefix="/regulator", tags=["web"], include_in_schema=False)


@router.get("/organisations/{org}/pool")
def pool_page(web: WebDep, org: str, cursor: str | None = None) -> Response:
    """The packs `org` holds in stock: when each came back, and from which vehicle and station."""

    def build() -> Response:
        require_regulator(web.caller, "read a station's pool on these pages")
        page = pool.station_pool(web.ledger, web.caller, org, cursor=cursor)
        return web.page("regulator/pool.html", pool=page)

    return web.respond(build)
