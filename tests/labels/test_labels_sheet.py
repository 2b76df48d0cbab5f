from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import pymupdf
import pytest
from PIL import Image

from events.errors import InputError
from labels.layout import LabelInfo
from labels.sheet import render_sheet

ReadQr = Callable[[Image.Image | bytes], list[str]]
UrlOf = Callable[[str], str]
Codes = Callable[[int], list[str]]
A4_MM = (210, 297)


def page_images(pdf: bytes, dpi: int = 150) -> list[Image.Image]:
    images = []
    for page in pymupdf.open(stream=pdf, filetype="pdf"):
        pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        images.append(Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples))
    return images


def label_outlines_mm(pdf: bytes) -> list[list[tuple[float, float, float, float]]]:
    """Per page, the cut guides (x0, y0, x1, y1) in mm from the top-left corner."""
    to_mm = 25.4 / 72
    return [
        [
            tuple(round(value * to_mm, 1) for value in drawing["rect"])
            for drawing in page.get_drawings()
            if drawing.get("color") is not None  # stroked: the guides, not the filled QR modules
        ]
        for page in pymupdf.open(stream=pdf, filetype="pdf")
    ]


@pytest.mark.slow
def test_a_thousand_labels_decode_to_exactly_the_input_urls(
    pack: LabelInfo, second_life_pack: LabelInfo, url_of: UrlOf, read_qr: ReadQr, serial_codes: Codes
) -> None:
    first_life = [replace(pack, code=code) for code in serial_codes(950)]
    second_life = [replace(second_life_pack, code=f"S2LPBA1G5A{serial:07d}RP") for serial in range(1, 51)]
    labels = [(info, url_of(info.code)) for info in first_life + second_life]
    pages = page_images(render_sheet(labels))
    assert len(pages) == math.ceil(1000 / 24)
    decoded = [read_qr(page) for page in pages]
    assert [len(found) for found in decoded] == [24] * 41 + [16]
    urls = [url for found in decoded for url in found]
    assert len(urls) == 1000 and set(urls) == {url for _, url in labels}


def test_labels_fill_a_grid_from_the_top_left_margin(pack: LabelInfo, url_of: UrlOf, serial_codes: Codes) -> None:
    labels = [(replace(pack, code=code), url_of(code)) for code in serial_codes(30)]
    outlines = label_outlines_mm(render_sheet(labels, label_mm=(70, 40), margin_mm=5, gap_mm=0))
    # 2 columns × 7 rows of 70×40 mm within 5 mm margins, so 30 labels take three pages
    grid = [(5 + 70 * column, 5 + 40 * row, 75 + 70 * column, 45 + 40 * row) for row in range(7) for column in range(2)]
    assert [len(page) for page in outlines] == [14, 14, 2]
    assert sorted(outlines[0], key=lambda r: (r[1], r[0])) == grid
    assert sorted(outlines[2], key=lambda r: (r[1], r[0])) == grid[:2]


def test_chinese_text_is_embedded_and_extractable(second_life_pack: LabelInfo, url_of: UrlOf) -> None:
    page = pymupdf.open(stream=render_sheet([(second_life_pack, url_of(second_life_pack.code))]), filetype="pdf")[0]
    text = page.get_text()
    for expected in [
        "格林美储能",
        "化学体系",
        "原编码 / Original:",
        *second_life_pack.origins,
        second_life_pack.code,
    ]:
        assert expected in text
    embedded = [basefont for _, ext, _, basefont, *_ in page.get_fonts() if ext == "ttf"]
    assert len(embedded) == 1 and "WenQuanYiMicroHei" in embedded[0]  # a subset, not a viewer's fallback


def test_the_same_labels_give_the_same_bytes(pack: LabelInfo, url_of: UrlOf, serial_codes: Codes) -> None:
    labels = [(replace(pack, code=code), url_of(code)) for code in serial_codes(30)]
    assert render_sheet(labels) == render_sheet(labels)


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(InputError, match="no labels") as raised:
        render_sheet([])
    assert raised.value.code == "no_labels"


def test_a_label_larger_than_the_page_is_refused(pack: LabelInfo, url_of: UrlOf) -> None:
    with pytest.raises(ValueError, match="does not fit on A4"):
        render_sheet([(pack, url_of(pack.code))], label_mm=(200, 100))
