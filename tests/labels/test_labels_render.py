from __future__ import annotations

import hashlib
import io
import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import astuple, replace
from datetime import date
from xml.etree import ElementTree

import pymupdf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from labels.fonts import DESCENT, text_width
from labels.layout import ELLIPSIS, ORIGINS_HEADING, PAD, LabelInfo, layout_label
from labels.qr import QUIET_ZONE, QrcodeEncoder, QrMatrix, ZxingEncoder
from labels.render import render_png, render_svg
from tests import vectors

ReadQr = Callable[[Image.Image | bytes], list[str]]
UrlOf = Callable[[str], str]


def shared_codes() -> list[str]:
    data = vectors.load("gbt34014-codes.json")
    return [entry["code"] for entry in data["valid"] + data["second_life_valid"]]


class PatternEncoder:
    """A fixed, recognisable matrix whose outer ring is dark, so the symbol's extent is easy to find."""

    def __init__(self, size: int = 25) -> None:
        self.size = size
        self.texts: list[str] = []

    def encode(self, text: str) -> QrMatrix:
        self.texts.append(text)
        n = self.size
        edge = {0, n - 1}
        return QrMatrix(
            tuple(tuple(x in edge or y in edge or (x * y + x) % 3 == 0 for x in range(n)) for y in range(n))
        )


def rasterise_svg(svg: str, dpi: int = 300) -> Image.Image:
    page = pymupdf.open(stream=svg.encode(), filetype="svg")[0]
    pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)


@pytest.mark.parametrize("code", shared_codes())
def test_png_and_svg_of_every_test_code_decode_to_the_url(code: str, url_of: UrlOf, read_qr: ReadQr) -> None:
    info = LabelInfo(code, "宁德时代", "NCM", 60.0, date(2025, 1, 3))
    assert read_qr(render_png(info, url_of(code))) == [url_of(code)]
    assert read_qr(rasterise_svg(render_svg(info, url_of(code)))) == [url_of(code)]


@pytest.mark.parametrize(
    ("size_mm", "dpi"), [((50, 30), 300), ((50, 30), 150), ((30, 18), 300), ((70, 40), 203), ((32, 32), 300)]
)
@pytest.mark.parametrize("encoder", [QrcodeEncoder("M"), QrcodeEncoder("Q"), ZxingEncoder("Q")], ids=repr)
def test_labels_decode_across_sizes_resolutions_and_encoders(
    second_life_pack: LabelInfo,
    url_of: UrlOf,
    read_qr: ReadQr,
    size_mm: tuple[float, float],
    dpi: int,
    encoder: QrcodeEncoder | ZxingEncoder,
) -> None:
    url = url_of(second_life_pack.code)
    png = render_png(second_life_pack, url, dpi=dpi, size_mm=size_mm, encoder=encoder)
    assert Image.open(io.BytesIO(png)).size == (
        round(size_mm[0] * dpi / 25.4),
        round(size_mm[1] * dpi / 25.4),
    )
    assert read_qr(png) == [url]
    assert read_qr(rasterise_svg(render_svg(second_life_pack, url, size_mm=size_mm, encoder=encoder))) == [url]


def test_png_draws_exactly_the_encoders_matrix_inside_a_four_module_quiet_zone(pack: LabelInfo) -> None:
    encoder = PatternEncoder()
    image = Image.open(io.BytesIO(render_png(pack, "https://x.example/p/1", encoder=encoder)))
    assert encoder.texts == ["https://x.example/p/1"]
    qr_px = layout_label(pack, "u", (50, 30), encoder).qr_side * 300 / 25.4
    dark = ImageChops.invert(image.crop((0, 0, int(qr_px), int(qr_px))))
    left, top, right, bottom = dark.getbbox() or (0, 0, 0, 0)
    module = (right - left) / encoder.size
    assert module == int(module) and module == (bottom - top) / encoder.size
    matrix = encoder.encode("again").rows
    for y in range(encoder.size):
        for x in range(encoder.size):
            pixel = image.getpixel((int(left + (x + 0.5) * module), int(top + (y + 0.5) * module)))
            assert (pixel == 0) == matrix[y][x], (x, y)
    quiet = int(QUIET_ZONE * module)
    assert left >= quiet and top >= quiet
    zone = image.crop((left - quiet, top - quiet, right + quiet, bottom + quiet))
    zone.paste(255, (quiet, quiet, quiet + right - left, quiet + bottom - top))
    assert zone.getextrema() == (255, 255)


def test_chinese_text_renders_as_glyphs_not_boxes(pack: LabelInfo) -> None:
    # Missing glyphs all draw the same box, so two different names would give identical pixels.
    first = Image.open(io.BytesIO(render_png(replace(pack, maker="宁德时代"), "u", encoder=PatternEncoder())))
    second = Image.open(io.BytesIO(render_png(replace(pack, maker="比亚迪股"), "u", encoder=PatternEncoder())))
    assert ImageChops.difference(first, second).getbbox() is not None


def test_svg_is_well_formed_and_carries_every_text(second_life_pack: LabelInfo, url_of: UrlOf) -> None:
    info = replace(second_life_pack, maker='A&B <储能> "Co"')
    root = ElementTree.fromstring(render_svg(info, url_of(info.code)))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("width") == "50mm" and root.get("height") == "30mm"
    group = root.find(f"{ns}g")
    assert group is not None and "WenQuanYi Micro Hei" in (group.get("font-family") or "")
    texts = [element.text for element in root.iter(f"{ns}text")]
    assert texts == [
        'A&B <储能> "Co"',
        "化学体系 Chemistry: LFP",
        "额定容量 Capacity: 12 kWh",
        "生产日期 Date: 2026-05-10",
        "原编码 / Original:",
        *info.origins,
        info.code,
    ]


def test_unknown_capacity_and_date_are_left_out(pack: LabelInfo) -> None:
    info = replace(pack, rated_capacity_kwh=None, production_date=None)
    texts = [line.text for line in layout_label(info, "u", (50, 30), PatternEncoder()).lines]
    assert texts == [info.maker, "化学体系 Chemistry: LFP", info.code]


def test_too_many_origins_end_with_a_count_of_the_rest(pack: LabelInfo) -> None:
    origins = tuple(f"{pack.code[:-7]}{serial:07d}" for serial in range(1, 11))
    *column, _ = layout_label(replace(pack, origins=origins), "u", (50, 30), QrcodeEncoder()).lines
    texts = [line.text for line in column]
    shown = texts[texts.index("原编码 / Original:") + 1 : -1]
    assert shown == list(origins[: len(shown)]) and len(shown) >= 3
    assert texts[-1] == f"{ELLIPSIS} +{len(origins) - len(shown)}"


@pytest.mark.parametrize(
    ("size_mm", "reason"),
    [((29, 20), "below the minimum 30×18 mm"), ((50, 17), "below the minimum"), ((40, 60), "portrait")],
)
def test_labels_too_small_or_portrait_are_refused(pack: LabelInfo, size_mm: tuple[float, float], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        render_png(pack, "u", size_mm=size_mm)


def test_a_resolution_too_coarse_for_whole_pixel_modules_is_refused(pack: LabelInfo) -> None:
    with pytest.raises(ValueError, match="too coarse"):
        render_png(pack, "https://trace.example.gov.cn/p/" + pack.code, dpi=30)


ORIGIN_CODES = [f"001PB12ABCDEFGE9P{serial:07d}" for serial in range(1, 13)]


@settings(max_examples=60, deadline=None)
@given(
    maker=st.text(st.sampled_from("宁德时代比亚迪国轩高科ABCDEFGHIJ &.-()\n\t\u200b"), max_size=40),
    chemistry=st.sampled_from(["LFP", "NCM", "NCA", "LMO", "LTO", "NiMH", "sodium-ion", "other"]),
    capacity=st.one_of(st.none(), st.floats(0.1, 9999.0)),
    produced=st.one_of(st.none(), st.dates(date(2011, 1, 1), date(2035, 12, 31))),
    origins=st.lists(st.sampled_from(ORIGIN_CODES), max_size=12),
    width=st.floats(30, 120),
    height=st.floats(18, 80),
)
def test_layout_keeps_text_on_the_label_and_off_the_qr_code(
    maker: str,
    chemistry: str,
    capacity: float | None,
    produced: date | None,
    origins: list[str],
    width: float,
    height: float,
) -> None:
    assume(height <= width)
    info = LabelInfo("S2LPBA1G5A0000007RP", maker, chemistry, capacity, produced, tuple(origins))
    maker = " ".join(maker.split())  # what the label prints: whitespace runs become one space
    layout = layout_label(info, "u", (width, height), PatternEncoder(37))
    *column, code = layout.lines
    assert code.text == info.code and code.baseline - code.size * 0.75 >= layout.qr_side
    for line in layout.lines:
        assert line.x + text_width(line.text, line.size) <= width - PAD + 1e-6
        assert line.baseline + DESCENT * line.size <= height + 1e-6
    for upper, lower in itertools.pairwise(column):
        assert lower.baseline - lower.size * 0.75 > upper.baseline + DESCENT * upper.size
    for line in column:
        assert line.x >= layout.qr_side and line.baseline + DESCENT * line.size < code.baseline - code.size * 0.75
    texts = [line.text for line in column]
    assert not any(character in text for text in texts for character in "\n\t")
    # (1) the maker (long names may end in an ellipsis), then every field with its value whole
    if maker:
        assert texts[0] == maker or texts[0].endswith(ELLIPSIS)
    keys = ["化学体系", *["额定容量"] * (capacity is not None), *["生产日期"] * (produced is not None)]
    fields = texts[bool(maker) : bool(maker) + len(keys)]
    assert [field.split()[0] for field in fields] == keys
    assert not any(field.endswith(ELLIPSIS) for field in fields)
    # (2) second life: a heading, then origins in order, whole (wrapped lines rejoined), then a count
    rest = texts[bool(maker) + len(fields) :]
    if not origins:
        assert rest == []
        return
    assert rest[0] == ORIGINS_HEADING and len(rest) >= 2
    listed, marker = "".join(rest[1:]), ""
    if rest[-1].startswith(ELLIPSIS):
        listed, marker = "".join(rest[1:-1]), rest[-1]
    count = len(listed) // len(ORIGIN_CODES[0])
    origin_lines = rest[1:-1] if marker else rest[1:]
    assert all(len(line) in (24, 14, 10) for line in origin_lines), "a wrapped code breaks before its date"
    assert listed == "".join(origins[:count])
    assert marker == ("" if count == len(origins) else f"{ELLIPSIS} +{len(origins) - count}")


def test_png_and_svg_bytes_are_the_same_in_another_process(second_life_pack: LabelInfo, url_of: UrlOf) -> None:
    url = url_of(second_life_pack.code)
    png, svg = render_png(second_life_pack, url), render_svg(second_life_pack, url)
    assert render_png(second_life_pack, url) == png and render_svg(second_life_pack, url) == svg
    script = (
        "import datetime, hashlib\nfrom labels.render import LabelInfo, render_png, render_svg\n"
        f"info = LabelInfo(*{astuple(second_life_pack)!r})\n"
        f"print(hashlib.sha256(render_png(info, {url!r})).hexdigest(),"
        f" hashlib.sha256(render_svg(info, {url!r}).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [hashlib.sha256(png).hexdigest(), hashlib.sha256(svg.encode()).hexdigest()]
