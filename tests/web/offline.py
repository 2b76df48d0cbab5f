"""Finding references to other hosts in the pages the app serves (issue 19): the pages, from the app's routes,
and the patterns of a reference a browser would follow. Used by tests/web/test_offline_pages.py and
features/steps/test_offline_steps.py."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from api.routes import ROUTERS

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# A reference that makes a browser ask a host: an attribute naming a URL, CSS's url(…) and @import.
ATTRIBUTE = re.compile(r"""\b(?:src|href|action|poster|srcset|formaction|data)\s*=\s*["']?\s*([^"'\s>]+)""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?\s*([^"')\s]+)|@import\s+["']([^"']+)""", re.I)
ELSEWHERE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)  # http://host, https://host, //host


def elsewhere(text: str, pattern: re.Pattern[str], own: str) -> list[str]:
    """The references of `text` to a host other than `own` (scheme://host[:port] of the app)."""
    found = [next(g for g in m.groups() if g) for m in pattern.finditer(text)]
    return [url for url in found if ELSEWHERE.match(url) and not url.startswith(own + "/")]


def page_paths() -> list[str]:
    """Every GET route that answers a browser with a page or its stylesheet: the web routes (outside the API
    schema, but not the API's own aliases under /v1/; their CSV downloads are data, not pages), the public
    pack page, and /docs."""
    paths = ["/p/{code}", "/docs", "/docs/oauth2-redirect"]
    for router in ROUTERS:
        for route in router.routes:
            page = isinstance(route, APIRoute) and "GET" in route.methods and not route.include_in_schema
            if page and not route.path.endswith(".csv") and not route.path.startswith("/v1/"):
                paths.append(route.path)
    return paths
