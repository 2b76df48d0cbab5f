"""A batch of labels as an A4 PDF: a grid from the top-left margin, as many pages as needed."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from events.errors import InputError
from labels.fonts import font_file
from labels.layout import LabelInfo, LabelLayout, layout_label
from labels.qr import QUIET_ZONE, QrcodeEncoder, QrEncoder

_FONT = "WQYMicroHei"
_CUT_GUIDE_GREY = 0.8


def render_sheet(
    labels: Sequence[tuple[LabelInfo, str]],
    *,
    label_mm: tuple[float, float] = (50, 30),
    margin_mm: float = 10,
    gap_mm: float = 2,
    encoder: QrEncoder | None = None,
) -> bytes:
    """Each (info, url) pair as one label; QR codes are vector paths, text uses the embedded WQY font."""
    if not labels:
        raise InputError("no labels to render", code="no_labels")
    encoder = encoder or QrcodeEncoder()
    page_w, page_h = A4[0] / mm, A4[1] / mm
    label_w, label_h = label_mm
    columns = int((page_w - 2 * margin_mm + gap_mm) // (label_w + gap_mm))
    rows = int((page_h - 2 * margin_mm + gap_mm) // (label_h + gap_mm))
    if columns < 1 or rows < 1:
        raise ValueError(f"a {label_w}×{label_h} mm label does not fit on A4 with {margin_mm} mm margins")
    out = io.BytesIO()
    # invariant: no creation date or random document id, so equal input gives equal bytes
    canvas = Canvas(out, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setCreator("packtrace")
    font = _register_font()
    for index, (info, url) in enumerate(labels):
        slot = index % (columns * rows)
        if slot == 0 and index:
            canvas.showPage()
        left = margin_mm + (slot % columns) * (label_w + gap_mm)
        top = margin_mm + (slot // columns) * (label_h + gap_mm)
        _draw_label(canvas, font, layout_label(info, url, label_mm, encoder), left, page_h - top)
    canvas.save()
    return out.getvalue()


def _register_font() -> str:
    return _registered(font_file())  # looked up every time: a font removed since is said, not used stale


@lru_cache(maxsize=4)
def _registered(path: Path) -> str:
    pdfmetrics.registerFont(TTFont(_FONT, str(path), subfontIndex=0))
    return _FONT


def _draw_label(canvas: Canvas, font: str, layout: LabelLayout, left: float, top: float) -> None:
    """`left` and `top` in mm from the page's bottom-left corner, as PDF counts."""
    canvas.setStrokeGray(_CUT_GUIDE_GREY)
    canvas.setLineWidth(0.1 * mm)
    width, height = layout.width * mm, layout.height * mm
    canvas.rect(left * mm, top * mm - height, width, height, stroke=1, fill=0)
    canvas.setFillGray(0)
    canvas.saveState()
    # Module units with y pointing down, so matrix rows map straight to coordinates; all runs form one
    # path with one fill, which rasterises without hairline seams between neighbouring rows.
    module = layout.module * mm
    offset = QUIET_ZONE * module
    canvas.transform(module, 0, 0, -module, left * mm + offset, top * mm - offset)
    runs = " ".join(f"{column} {row} {length} 1 re" for row, column, length in layout.qr.runs())
    canvas.addLiteral(f"{runs} f")
    canvas.restoreState()
    for line in layout.lines:
        canvas.setFont(font, line.size * mm)
        canvas.drawString((left + line.x) * mm, (top - line.baseline) * mm, line.text)
