"""The region picker of the regulator's report pages (templates/regulator/region_form.html)."""

from __future__ import annotations

from typing import Any

from api.web.render import Web
from ledger.usecases import places


def region_of(web: Web) -> str | None:
    """The page's `?region=` (blank: none)."""
    return web.request.query_params.get("region", "").strip() or None


def region_form(web: Web, shown: str | None, **keep: str) -> dict[str, Any]:
    """What regulator/region_form.html needs: the choices, the region shown, the caller's jurisdiction and
    the page's other query values."""
    return {
        "regions": places.region_choices(web.ledger, web.caller),
        "region": shown or "",
        "jurisdiction": web.caller.jurisdiction,
        "keep": keep,
    }
