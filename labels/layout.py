"""Where everything on a label goes, in millimetres from the top-left corner.

PNG, SVG and the PDF sheet all draw this one layout, so the three media show the same label:

    ┌──────────────┬──────────────────────────┐
    │ quiet zone   │ maker                    │
    │   ┌──────┐   │ chemistry                │
    │   │  QR  │   │ rated capacity           │
    │   └──────┘   │ production date          │
    │              │ 原编码 / Original: …      │
    ├──────────────┴──────────────────────────┤
    │ battery code, full width                │
    └─────────────────────────────────────────┘
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from labels.fonts import CAP_HEIGHT, DESCENT, text_width
from labels.qr import QUIET_ZONE, QrEncoder, QrMatrix

MIN_SIZE_MM = (30.0, 18.0)
PAD = 1.0  # label edge to text
CODE_MAX = 3.2  # font sizes, mm
MAKER_MAX = 2.6
FIELD_MAX = 2.2
FIELD_BILINGUAL_MIN = 1.6  # below this the English keys are dropped to keep the values legible
SMALLEST = 1.3  # ≈ 3.7 pt, still legible from a 300 dpi print
MIN_COLUMN = 15.0  # text column width that still holds "生产日期 2024-09-23" at the smallest size
LEADING = 1.3  # line pitch as a multiple of the font size
ELLIPSIS = "…"
ORIGINS_HEADING = "原编码 / Original:"


@dataclass(frozen=True)
class LabelInfo:
    """What a label prints besides the QR code; `origins` are a second-life pack's original codes."""

    code: str
    maker: str
    chemistry: str
    rated_capacity_kwh: float | None
    production_date: date | None
    origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextLine:
    text: str
    x: float
    baseline: float
    size: float


@dataclass(frozen=True)
class LabelLayout:
    width: float
    height: float
    qr: QrMatrix
    qr_side: float  # the square at the top-left corner that holds the symbol and its quiet zone
    lines: tuple[TextLine, ...]

    @property
    def module(self) -> float:
        return self.qr_side / (self.qr.size + 2 * QUIET_ZONE)


def layout_label(info: LabelInfo, url: str, size_mm: tuple[float, float], encoder: QrEncoder) -> LabelLayout:
    width, height = size_mm
    if width < MIN_SIZE_MM[0] or height < MIN_SIZE_MM[1]:
        least = "×".join(f"{side:g}" for side in MIN_SIZE_MM)
        raise ValueError(f"label size {width:g}×{height:g} mm is below the minimum {least} mm")
    if height > width:
        raise ValueError(f"label size {width:g}×{height:g} mm is portrait; labels are laid out landscape")
    qr = encoder.encode(url)
    # Free text comes from the pack's events: a line break in it would spill a line out of the layout.
    info = replace(info, maker=" ".join(info.maker.split()), chemistry=" ".join(info.chemistry.split()))
    code_size = _fit_size([info.code], width - 2 * PAD, CODE_MAX)
    if code_size < SMALLEST:
        raise ValueError(f"a label {width:g} mm wide cannot print the code {info.code!r} legibly")
    code_baseline = height - PAD - DESCENT * code_size
    code_top = code_baseline - CAP_HEIGHT * code_size - 0.3
    qr_side = min(code_top, 0.6 * width, width - PAD - MIN_COLUMN)
    module = qr_side / (qr.size + 2 * QUIET_ZONE)
    # The first cap line sits level with the top of the symbol, not of its quiet zone.
    column = _Column(x=qr_side, width=width - PAD - qr_side, cursor=QUIET_ZONE * module, bottom=code_top)
    _fill_column(column, info)
    code_line = TextLine(info.code, PAD, code_baseline, code_size)
    return LabelLayout(width, height, qr, qr_side, (*column.lines, code_line))


@dataclass
class _Column:
    x: float
    width: float
    cursor: float  # top of the next line's capitals
    bottom: float
    lines: list[TextLine] = field(default_factory=list)

    def room(self, *sizes: float) -> bool:
        """Whether lines of these sizes still fit, one under the other."""
        return self.cursor + _stack_height(sizes) <= self.bottom + 1e-9  # a shrunk stack fills it exactly

    def put(self, text: str, size: float) -> None:
        baseline = self.cursor + CAP_HEIGHT * size
        self.lines.append(TextLine(_clip(text, size, self.width), self.x, baseline, size))
        self.cursor += LEADING * size


def _fill_column(column: _Column, info: LabelInfo) -> None:
    fields = _field_texts(info, column.width)
    maker_size = _fit_size([info.maker], column.width, MAKER_MAX)
    field_size = _fit_size([*fields, ORIGINS_HEADING] if info.origins else fields, column.width, FIELD_MAX)
    origin_size = _fit_size(list(info.origins), column.width, FIELD_MAX)
    # Must show: the maker, every field, and for second life the heading with at least one line under it.
    required = [maker_size] * bool(info.maker) + [field_size] * len(fields)
    required += [field_size, origin_size] * bool(info.origins)
    scale = _shrink(required, column.bottom - column.cursor)
    maker_size, field_size, origin_size = (max(SMALLEST, s * scale) for s in (maker_size, field_size, origin_size))
    if info.maker and column.room(maker_size):
        column.put(info.maker, maker_size)
    for text in fields:
        if column.room(field_size):
            column.put(text, field_size)
    if info.origins and column.room(field_size, origin_size):
        column.put(ORIGINS_HEADING, field_size)
        _put_origins(column, info.origins, origin_size)


def _field_texts(info: LabelInfo, width: float) -> list[str]:
    rows = [("化学体系", "Chemistry", info.chemistry)]
    if info.rated_capacity_kwh is not None:
        rows.append(("额定容量", "Capacity", f"{info.rated_capacity_kwh:g} kWh"))
    if info.production_date is not None:
        rows.append(("生产日期", "Date", info.production_date.isoformat()))
    bilingual = [f"{zh} {en}: {value}" for zh, en, value in rows]
    if _fit_size(bilingual, width, FIELD_MAX) >= FIELD_BILINGUAL_MIN:
        return bilingual
    return [f"{zh} {value}" for zh, _, value in rows]


def _put_origins(column: _Column, origins: tuple[str, ...], size: float) -> None:
    # A code is never clipped: in a narrow column each one wraps over as many lines as it needs.
    wrapped = [_wrap_code(code, size, column.width) for code in origins]
    for index, parts in enumerate(wrapped):
        rest = len(origins) - index
        needs_marker = rest > 1
        if not column.room(*[size] * (len(parts) + needs_marker)):
            if column.room(size):
                column.put(f"{ELLIPSIS} +{rest}", size)
            return
        for part in parts:
            column.put(part, size)


def _shrink(sizes: list[float], room: float) -> float:
    """The largest factor ≤ 1 at which the lines, none below SMALLEST, stack within `room`."""

    def height(factor: float) -> float:
        return _stack_height([max(SMALLEST, size * factor) for size in sizes])

    low, high = 0.0, 1.0
    if height(high) <= room:
        return high
    for _ in range(30):  # bisection: the floor at SMALLEST makes the height piecewise linear
        middle = (low + high) / 2
        low, high = (middle, high) if height(middle) <= room else (low, middle)
    return low


def _stack_height(sizes: Sequence[float]) -> float:
    """From the first line's cap line to the last line's descender."""
    return sum(LEADING * size for size in sizes[:-1]) + (CAP_HEIGHT + DESCENT) * sizes[-1]


def _fit_size(texts: list[str], width: float, largest: float) -> float:
    widths = [text_width(text, 1.0) for text in texts]
    return min([largest, *(width / w for w in widths if w > 0)])


def _clip(text: str, size: float, width: float) -> str:
    if text_width(text, size) <= width + 1e-9:  # sizes fitted to the width land on it, give or take rounding
        return text
    while text and text_width(text + ELLIPSIS, size) > width:
        text = text[:-1]
    return text + ELLIPSIS


def _wrap_code(code: str, size: float, width: float) -> list[str]:
    """Break before the production date if that is enough, so each line stays a readable part of the code."""
    if text_width(code, size) <= width + 1e-9:
        return [code]
    head = {24: 14, 19: 7}.get(len(code), 0)  # GB/T 34014 form, second-life form
    if head and max(text_width(code[:head], size), text_width(code[head:], size)) <= width:
        return [code[:head], code[head:]]
    parts: list[str] = []
    while code:
        cut = len(code)
        while cut > 1 and text_width(code[:cut], size) > width:
            cut -= 1
        parts.append(code[:cut])
        code = code[cut:]
    return parts
