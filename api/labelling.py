"""Labels and scans for the entry points: the record's facts (ledger.usecases.labelling) drawn or read by labels/.

This is where the two meet, since ledger/ may not import labels/ (DESIGN §1); the routes and the
`packtrace label` command each call one function here.
"""

from __future__ import annotations

from collections.abc import Sequence

from events.errors import UnavailableError
from labels.decode import find_code
from labels.fonts import font_problem
from labels.payload import code_from_text, label_url
from labels.qr import QrEncoder, ZxingEncoder
from labels.render import LabelInfo, render_png, render_svg
from labels.sheet import render_sheet
from ledger.log import Ledger
from ledger.usecases import labelling
from ledger.usecases.access import Caller, require_authenticated
from ledger.usecases.labelling import LabelFacts, ScanResult

# zxing-cpp's writer: about twenty times faster than `qrcode` on a sheet, and its symbols decode alike.
SHEET_ENCODER: QrEncoder = ZxingEncoder()


def readiness_problem() -> str | None:
    """What keeps labels from being drawn (the label font not installed), or None when they can be."""
    return font_problem()


def require_ready() -> None:
    """Raises UnavailableError `label_font_missing` (HTTP 503) when labels cannot be drawn."""
    problem = readiness_problem()
    if problem is not None:
        raise UnavailableError(problem, code="label_font_missing")


def _info(facts: LabelFacts) -> LabelInfo:
    return LabelInfo(
        code=facts.code,
        maker=facts.maker,
        chemistry=facts.chemistry,
        rated_capacity_kwh=facts.rated_capacity_kwh,
        production_date=facts.production_date,
        origins=facts.origins,
    )


def png_of(facts: LabelFacts, *, public_url: str, encoder: QrEncoder | None = None) -> bytes:
    return render_png(_info(facts), label_url(public_url, facts.code), encoder=encoder)


def svg_of(facts: LabelFacts, *, public_url: str, encoder: QrEncoder | None = None) -> str:
    return render_svg(_info(facts), label_url(public_url, facts.code), encoder=encoder)


def sheet_of(facts: Sequence[LabelFacts], *, public_url: str, encoder: QrEncoder = SHEET_ENCODER) -> bytes:
    return render_sheet([(_info(f), label_url(public_url, f.code)) for f in facts], encoder=encoder)


def label_png(ledger: Ledger, caller: Caller, code: str, *, public_url: str) -> tuple[str, bytes]:
    """The pack's code (as parsed) and its label as PNG."""
    [facts] = labelling.label_facts(ledger, caller, [code])
    return facts.code, png_of(facts, public_url=public_url)


def label_svg(ledger: Ledger, caller: Caller, code: str, *, public_url: str) -> tuple[str, str]:
    """The pack's code (as parsed) and its label as SVG."""
    [facts] = labelling.label_facts(ledger, caller, [code])
    return facts.code, svg_of(facts, public_url=public_url)


def label_sheet(ledger: Ledger, caller: Caller, codes: Sequence[str], *, public_url: str) -> bytes:
    """An A4 PDF with one label per code, in the order given."""
    return sheet_of(labelling.label_facts(ledger, caller, codes), public_url=public_url)


def scan_text(ledger: Ledger, caller: Caller, text: str, *, public_url: str) -> ScanResult:
    """Scanned text (a label URL or a bare code) → the pack as the caller sees it, and its next actions."""
    require_authenticated(caller, "scanning a label")
    return labelling.scan(ledger, caller, code_from_text(text, public_url))


def scan_image(ledger: Ledger, caller: Caller, image: bytes, *, public_url: str) -> ScanResult:
    """A label photo → the pack as the caller sees it, and its next actions."""
    require_authenticated(caller, "scanning a label")  # before spending a decode on an anonymous photo
    return labelling.scan(ledger, caller, find_code(image, public_url))
