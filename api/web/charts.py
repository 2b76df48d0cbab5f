"""Charts as inline SVG drawn on the server: no script, no external files, readable without colour (every
bar carries its number). Colours come from the stylesheet through classes (`.c-ok`, `.c-late`, …).

Each chart is a `viewBox` of fixed width that scales to its container, so one drawing serves a phone
and a desk. A value that is not a finite number (NaN, an infinity) draws as an empty bar (a rate is
written "–") and never sets a scale, so one bad figure cannot take the page down or flatten the others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 400
ROW = 26  # one bar's row height
LABEL_W = 130  # the label column of horizontal bars
VALUE_W = 62  # room after a bar for its number


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # what is written after the bar
    tone: str = "ok"


@dataclass(frozen=True)
class Split:
    """One row of a two-part bar: `first` then `second` (e.g. on time, late)."""

    label: str
    first: int
    second: int


@dataclass(frozen=True)
class Rate:
    label: str
    rate: float  # percent
    threshold: float | None
    below: bool


def _svg(height: float, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {_n(height)}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(text: str, y: float, room: float = LABEL_W - 6) -> str:
    shown = text
    while _text_width(shown) > room and len(shown) > 1:
        shown = shown[:-2] + "…"
    return f'<text class="lbl" x="0" y="{_n(y)}">{escape(shown)}</text>'


@dataclass(frozen=True)
class _Rows:
    """Where a chart's rows put their label and bar: beside each other while every label fits the label
    column, else each label on a line of its own above its bar (so no name is cut, at any width)."""

    stacked: bool

    @classmethod
    def of(cls, labels: Sequence[str]) -> _Rows:
        return cls(any(_text_width(label) > LABEL_W - 6 for label in labels))

    @property
    def height(self) -> int:
        return ROW + 20 if self.stacked else ROW

    @property
    def x(self) -> int:
        return 0 if self.stacked else LABEL_W

    @property
    def span(self) -> int:
        return WIDTH - self.x - VALUE_W

    @property
    def bar_dy(self) -> int:  # from the row's top to its bar's
        return 25 if self.stacked else 5

    def label(self, text: str, y: float) -> str:
        return _label(text, y + 15, WIDTH) if self.stacked else _label(text, y + 17)


def bars(items: Sequence[Bar], *, title: str, empty: str) -> Markup:
    """Horizontal bars, longest value = full width."""
    if not items:
        return _nothing(title, empty)
    top = max(_finite(item.value) for item in items) or 1
    rows = _Rows.of([item.label for item in items])
    span, x0 = rows.span, rows.x
    body = []
    for n, item in enumerate(items):
        y = n * rows.height
        value = _finite(item.value)
        w = max(1.0, span * value / top) if value else 0.0
        bar = y + rows.bar_dy
        body.append(rows.label(item.label, y))
        body.append(f'<rect class="c-{item.tone}" x="{x0}" y="{bar}" width="{_n(w)}" height="{ROW - 9}" rx="2"/>')
        body.append(f'<text class="num" x="{_n(x0 + w + 4)}" y="{bar + 12}">{escape(item.text)}</text>')
    return _svg(len(items) * rows.height, title, body)


def splits(rows: Sequence[Split], *, title: str, first: str, second: str, empty: str) -> Markup:
    """Two-part horizontal bars scaled to each row's total, with the second part's share written out."""
    if not rows:
        return _nothing(title, empty)
    layout = _Rows.of([row.label for row in rows])
    span, x0 = layout.span, layout.x
    body = [_legend(0, [("ok", first), ("late", second)])]
    for n, row in enumerate(rows):
        y = 22 + n * layout.height
        bar = y + layout.bar_dy
        total = row.first + row.second
        w1 = span * row.first / total if total else 0.0
        w2 = span * row.second / total if total else 0.0
        share = f"{row.second / total * 100:.1f}%" if total else "–"
        body.append(layout.label(row.label, y))
        body.append(f'<rect class="c-ok" x="{x0}" y="{bar}" width="{_n(w1)}" height="{ROW - 9}"/>')
        body.append(f'<rect class="c-late" x="{_n(x0 + w1)}" y="{bar}" width="{_n(w2)}" height="{ROW - 9}"/>')
        body.append(f'<text class="num" x="{_n(x0 + span + 4)}" y="{bar + 12}">{share}</text>')
    return _svg(22 + len(rows) * layout.height, title, body)


def columns(days: Sequence[tuple[str, int, int]], *, title: str, first: str, second: str, empty: str) -> Markup:
    """A column per day: (label, all, of them the second kind), the second kind stacked at the bottom."""
    if not days or not any(total for _, total, _ in days):
        return _nothing(title, empty)
    top = max(total for _, total, _ in days)
    scale_top = _nice(top)
    left, bottom, height = 34, 150, 120
    step = (WIDTH - left) / len(days)
    body = [_legend(0, [("ok", first), ("late", second)])]
    for tick in (0, scale_top / 2, scale_top):
        y = bottom - height * tick / scale_top
        body.append(f'<line class="gridline" x1="{left}" x2="{WIDTH}" y1="{_n(y)}" y2="{_n(y)}"/>')
        body.append(f'<text class="axis" x="{left - 4}" y="{_n(y + 4)}" text-anchor="end">{_n(tick)}</text>')
    for n, (label, total, part) in enumerate(days):
        x = left + n * step + step * 0.15
        w = step * 0.7
        h_all = height * total / scale_top
        h_part = height * part / scale_top
        body.append(
            f'<rect class="c-ok" x="{_n(x)}" y="{_n(bottom - h_all)}" width="{_n(w)}" height="{_n(h_all - h_part)}">'
            f"<title>{escape(label)}: {total}</title></rect>"
        )
        if part:
            body.append(
                f'<rect class="c-late" x="{_n(x)}" y="{_n(bottom - h_part)}" width="{_n(w)}" height="{_n(h_part)}"/>'
            )
        last = len(days) - 1
        if (n % 5 == 0 and n <= last - 5) or n == last:  # five days apart at least: room for a date at 375 px
            # the first starts at the axis (clear of the scale's 0), the last ends at the edge
            anchor = "end" if n == last else "start" if n == 0 else "middle"
            x_text = x + w if anchor == "end" else left if anchor == "start" else x + w / 2
            body.append(
                f'<text class="axis" x="{_n(x_text)}" y="{bottom + 14}" text-anchor="{anchor}">{escape(label)}</text>'
            )
    return _svg(bottom + 20, title, body)


def rates(items: Sequence[Rate], *, title: str, threshold: str, empty: str) -> Markup:
    """Percent bars on a scale that starts low enough to show every bar and threshold, each threshold a
    tick; a bar below its threshold is drawn in the warning colour."""
    if not items:
        return _nothing(title, empty)
    shown = [min(100.0, max(0.0, item.rate)) for item in items if math.isfinite(item.rate)]
    lowest = min(shown + [item.threshold for item in items if item.threshold is not None], default=100.0)
    floor = max(0, min(80, math.floor((lowest - 5) / 10) * 10))
    layout = _Rows.of([item.label for item in items])
    span, x0 = layout.span, layout.x
    body = [_legend(0, [("ok", f"{floor}–100%"), ("mark", threshold)])]
    for n, item in enumerate(items):
        y = 22 + n * layout.height
        bar = y + layout.bar_dy
        rate = min(100.0, item.rate) if math.isfinite(item.rate) else floor
        w = span * max(0.0, rate - floor) / (100 - floor)
        tone = "late" if item.below else "ok"
        body.append(layout.label(item.label, y))
        body.append(f'<rect class="c-track" x="{x0}" y="{bar}" width="{span}" height="{ROW - 9}"/>')
        body.append(f'<rect class="c-{tone}" x="{x0}" y="{bar}" width="{_n(w)}" height="{ROW - 9}"/>')
        if item.threshold is not None:
            x = x0 + span * (item.threshold - floor) / (100 - floor)
            body.append(f'<line class="c-mark" x1="{_n(x)}" x2="{_n(x)}" y1="{bar - 3}" y2="{bar + ROW - 7}"/>')
        text = f"{item.rate:.1f}%" if math.isfinite(item.rate) else "–"
        body.append(f'<text class="num" x="{x0 + span + 4}" y="{bar + 12}">{text}</text>')
    return _svg(22 + len(items) * layout.height, title, body)


def _legend(y: float, entries: list[tuple[str, str]]) -> str:
    parts, x = [], 0.0
    for tone, text in entries:
        parts.append(f'<rect class="c-{tone}" x="{_n(x)}" y="{y + 4}" width="10" height="10"/>')
        parts.append(f'<text class="axis" x="{_n(x + 14)}" y="{y + 13}">{escape(text)}</text>')
        x += 30 + _text_width(text)
    return "".join(parts)


def _text_width(text: str) -> float:
    """Roughly, at the charts' 14-unit font (app.css): CJK characters are square, Latin ones about half that."""
    return sum(14.0 if ord(char) > 0x2E80 else 8.0 for char in text)


def _nothing(title: str, empty: str) -> Markup:
    return _svg(30, title, [f'<text class="axis" x="0" y="20">{escape(empty)}</text>'])


def _nice(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least `value`."""
    if not value > 0 or not math.isfinite(value):
        return 1
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * power >= value:
            return float(factor * power)
    return float(10 * power)
