"""The one label typeface, WenQuanYi Micro Hei: it covers Chinese and Latin, so PNG, SVG and PDF agree.

It comes from the operating system (Debian's fonts-wqy-microhei; no well-kept PyPI package ships a CJK
font), so it can be missing: then every label answers UnavailableError `label_font_missing` (HTTP 503)
naming the package and the paths looked at, and `font_problem` says so to /healthz and at start-up.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from events.errors import UnavailableError

FONT_PACKAGE = "fonts-wqy-microhei"
# Where Debian and Ubuntu (fonts-wqy-microhei) and Fedora (wqy-microhei-fonts) install it, in this order.
FONT_PATHS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
)

# SVG viewers pick the first installed family; all of these carry the CJK glyphs.
SVG_FONT_FAMILY = (
    "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
)

# Vertical metrics of WQY Micro Hei as fractions of the font size, for baseline placement.
CAP_HEIGHT = 0.73
DESCENT = 0.24

_MEASURE_PX = 1000


def font_problem() -> str | None:
    """None when the label font is installed; else what to install, and where it was looked for."""
    if any(path.is_file() for path in FONT_PATHS):
        return None
    looked = ", ".join(str(path) for path in FONT_PATHS)
    return (
        f"the label font WenQuanYi Micro Hei is not installed: install the Debian package {FONT_PACKAGE} "
        f"(looked for {looked})"
    )


def font_file() -> Path:
    """The font's path. Raises UnavailableError `label_font_missing`: a label without its text is no label."""
    for path in FONT_PATHS:
        if path.is_file():
            return path
    raise UnavailableError(str(font_problem()), code="label_font_missing")


def pil_font(size_px: int) -> ImageFont.FreeTypeFont:
    """The label font at a pixel size; the basic layout engine keeps output independent of libraqm."""
    return _pil_font(font_file(), size_px)


@lru_cache(maxsize=32)
def _pil_font(path: Path, size_px: int) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(str(path), size_px, index=0, layout_engine=ImageFont.Layout.BASIC)
    except OSError as error:  # there, but not a font FreeType can read
        raise UnavailableError(
            f"the label font {path} could not be read ({error}): reinstall the Debian package {FONT_PACKAGE}",
            code="label_font_missing",
        ) from error


def text_width(text: str, size: float) -> float:
    """Advance width of `text` at font size `size`, in the unit of `size`."""
    return pil_font(_MEASURE_PX).getlength(text) * size / _MEASURE_PX
