"""One label as PNG (raster, for label printers) or SVG (vector, for the web and print shops)."""

from __future__ import annotations

import io
import math
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw

from labels.fonts import SVG_FONT_FAMILY, pil_font
from labels.layout import LabelInfo, LabelLayout, layout_label
from labels.qr import QUIET_ZONE, QrcodeEncoder, QrEncoder

__all__ = ["LabelInfo", "render_png", "render_svg"]

DEFAULT_SIZE_MM = (50.0, 30.0)


def render_png(
    info: LabelInfo,
    url: str,
    *,
    dpi: int = 300,
    size_mm: tuple[float, float] = DEFAULT_SIZE_MM,
    encoder: QrEncoder | None = None,
) -> bytes:
    """The label as a greyscale PNG at `dpi`; QR modules are whole pixels so every edge is sharp."""
    layout = layout_label(info, url, size_mm, encoder or QrcodeEncoder())
    scale = dpi / 25.4
    image = Image.new("L", (round(layout.width * scale), round(layout.height * scale)), 255)
    draw = ImageDraw.Draw(image)
    module_px = math.floor(layout.qr_side * scale / (layout.qr.size + 2 * QUIET_ZONE))
    if module_px < 1:
        raise ValueError(f"{dpi} dpi is too coarse for a {layout.qr.size}-module QR code on this label")
    origin = QUIET_ZONE * module_px
    for row, column, length in layout.qr.runs():
        x, y = origin + column * module_px, origin + row * module_px
        draw.rectangle((x, y, x + length * module_px - 1, y + module_px - 1), fill=0)
    for line in layout.lines:
        font = pil_font(max(1, round(line.size * scale)))
        draw.text((line.x * scale, line.baseline * scale), line.text, font=font, fill=0, anchor="ls")
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def render_svg(
    info: LabelInfo,
    url: str,
    *,
    size_mm: tuple[float, float] = DEFAULT_SIZE_MM,
    encoder: QrEncoder | None = None,
) -> str:
    """The label as SVG in millimetre user units; the QR code is one path so no seams show between modules."""
    layout = layout_label(info, url, size_mm, encoder or QrcodeEncoder())
    w, h = _num(layout.width), _num(layout.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">',
        f"<title>{escape(info.code)}</title>",
        f'<rect width="{w}" height="{h}" fill="#fff"/>',
        _svg_qr(layout),
        f'<g font-family={quoteattr(SVG_FONT_FAMILY)} fill="#000">',
        *(
            f'<text x="{_num(line.x)}" y="{_num(line.baseline)}" font-size="{_num(line.size)}">'
            f"{escape(line.text)}</text>"
            for line in layout.lines
        ),
        "</g>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _svg_qr(layout: LabelLayout) -> str:
    offset = _num(QUIET_ZONE * layout.module)
    path = "".join(f"M{column} {row}h{length}v1h-{length}z" for row, column, length in layout.qr.runs())
    return (
        f'<path transform="translate({offset} {offset}) scale({_num(layout.module)})" '
        f'fill="#000" shape-rendering="crispEdges" d="{path}"/>'
    )


def _num(value: float) -> str:
    """Fixed precision keeps the SVG byte-identical across runs and platforms."""
    return f"{value:.4f}".rstrip("0").rstrip(".")
