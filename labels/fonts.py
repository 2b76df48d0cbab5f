"""The one label typeface, WenQuanYi Micro Hei: it covers Chinese and Latin, so PNG, SVG and PDF agree."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

WQY_MICROHEI = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

# SVG viewers pick the first installed family; all of these carry the CJK glyphs.
SVG_FONT_FAMILY = (
    "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
)

# Vertical metrics of WQY Micro Hei as fractions of the font size, for baseline placement.
CAP_HEIGHT = 0.73
DESCENT = 0.24

_MEASURE_PX = 1000


@lru_cache(maxsize=32)
def pil_font(size_px: int) -> ImageFont.FreeTypeFont:
    """The label font at a pixel size; the basic layout engine keeps output independent of libraqm."""
    return ImageFont.truetype(str(font_file()), size_px, index=0, layout_engine=ImageFont.Layout.BASIC)


def font_file() -> Path:
    """The font path, or a message naming the package to install: a label without its text is no label."""
    if not WQY_MICROHEI.exists():
        raise FileNotFoundError(f"label font missing: {WQY_MICROHEI} (Debian package fonts-wqy-microhei)")
    return WQY_MICROHEI


def text_width(text: str, size: float) -> float:
    """Advance width of `text` at font size `size`, in the unit of `size`."""
    return pil_font(_MEASURE_PX).getlength(text) * size / _MEASURE_PX
