"""Shared label fixtures: sample packs, and a decoder that reads pixels the way a scanner would."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
import zxingcpp
from PIL import Image

from labels.layout import LabelInfo
from labels.payload import label_url

PUBLIC_URL = "https://trace.example.gov.cn"
FIRST_LIFE = "001PB12ABCDEFGE9P0000001"
SECOND_LIFE = "S2LPBA1G5A0000007RP"


def _serial_codes(count: int) -> list[str]:
    return [f"{FIRST_LIFE[:-7]}{serial:07d}" for serial in range(1, count + 1)]


@pytest.fixture
def serial_codes() -> Callable[[int], list[str]]:
    """Valid codes differing only in the 7-digit serial."""
    return _serial_codes


@pytest.fixture
def pack() -> LabelInfo:
    return LabelInfo(FIRST_LIFE, "宁德时代新能源科技股份有限公司", "LFP", 75.5, date(2024, 9, 23))


@pytest.fixture
def second_life_pack() -> LabelInfo:
    origins = tuple(_serial_codes(2))
    return LabelInfo(SECOND_LIFE, "格林美储能", "LFP", 12.0, date(2026, 5, 10), origins=origins)


@pytest.fixture
def public_url() -> str:
    return PUBLIC_URL


@pytest.fixture
def url_of(public_url: str) -> Callable[[str], str]:
    return lambda code: label_url(public_url, code)


@pytest.fixture
def read_qr() -> Callable[[Image.Image | bytes], list[str]]:
    """zxing-cpp straight on the pixels, no preprocessing: what the renderer produced must decode as is."""

    def read(image: Image.Image | bytes) -> list[str]:
        if isinstance(image, bytes):
            image = Image.open(io.BytesIO(image))
        found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
        return [symbol.text for symbol in found]

    return read
