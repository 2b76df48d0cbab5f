"""The web pages (DESIGN §7): server-rendered Jinja2, Simplified Chinese by default with an English switch,
usable on a phone and a desk, no external files (charts are inline SVG drawn on the server).

    public      /p/{code} (the QR code's target), /login, /logout, /static/…
    scan        /scan: photograph a label, see the pack, post the next event (platform-held key)
    regulator   /regulator/…: overview, pack search and verified record, recall, compliance, recovery
    pools       /regulator/organisations/{org}/pool: a swap station's pool
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import pools, public, recalls, regulator, scan
from api.web import warnings as quality_warnings

ROUTERS: tuple[APIRouter, ...] = (
    public.router, scan.router, regulator.router, recalls.router, quality_warnings.router, pools.router,
)  # fmt: skip
