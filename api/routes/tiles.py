"""The log as C2SP tlog-tiles: hash tiles for anyone, entry bundles for regulators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import LedgerDep, OptionalOrg
from api.responses import OPTIONAL_BEARER, problems
from ledger.usecases import tiles

router = APIRouter(prefix="/v1/log", tags=["log"], responses=problems(404, 422))

# A tile's path names its contents (a partial tile's width is in its path), so every tile is immutable.
IMMUTABLE = "max-age=31536000, immutable"


@router.get(
    "/tile/{path:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **problems(401, 403)},
    openapi_extra=OPTIONAL_BEARER,
)
def get_tile(path: str, ledger: LedgerDep, caller: OptionalOrg) -> Response:
    """A tile `<L>/<N>[.p/<W>]` (public) or entry bundle `entries/<N>[.p/<W>]` (regulators) of the latest tree."""
    tile = tiles.read_tile(ledger, caller, path)
    cache = f"{'public' if tile.public else 'private'}, {IMMUTABLE}"
    return Response(tile.content, media_type="application/octet-stream", headers={"Cache-Control": cache})
