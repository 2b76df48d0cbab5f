"""The QR encoder edge: text in, module matrix out; renderers only draw what it returns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

import qrcode
import qrcode.constants
import zxingcpp
from PIL import Image

QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004 minimum)

ErrorCorrection = Literal["M", "Q"]

_LEVELS = {"M": qrcode.constants.ERROR_CORRECT_M, "Q": qrcode.constants.ERROR_CORRECT_Q}


@dataclass(frozen=True)
class QrMatrix:
    """Dark (True) and light modules, row by row, without the quiet zone."""

    rows: tuple[tuple[bool, ...], ...]

    def __post_init__(self) -> None:
        if not self.rows or any(len(row) != len(self.rows) for row in self.rows):
            raise ValueError("a QR matrix must be square and non-empty")

    @property
    def size(self) -> int:
        return len(self.rows)

    def runs(self) -> Iterator[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, column, length): far fewer shapes than modules."""
        for y, row in enumerate(self.rows):
            x = 0
            while x < len(row):
                if row[x]:
                    start = x
                    while x < len(row) and row[x]:
                        x += 1
                    yield y, start, x - start
                else:
                    x += 1


class QrEncoder(Protocol):
    def encode(self, text: str) -> QrMatrix: ...


@dataclass(frozen=True)
class QrcodeEncoder:
    """The default encoder, on the `qrcode` package; Q survives the scuffs of a battery housing."""

    error_correction: ErrorCorrection = "Q"

    def encode(self, text: str) -> QrMatrix:
        qr = qrcode.QRCode(error_correction=_LEVELS[self.error_correction], border=0)
        qr.add_data(text)
        qr.make(fit=True)
        return QrMatrix(tuple(tuple(bool(cell) for cell in row) for row in qr.get_matrix()))


@dataclass(frozen=True)
class ZxingEncoder:
    """zxing-cpp's C++ writer: about twenty times faster than `qrcode`, for large PDF batches."""

    error_correction: ErrorCorrection = "Q"

    def encode(self, text: str) -> QrMatrix:
        symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=self.error_correction)
        image = Image.fromarray(symbol.to_image(scale=1, add_quiet_zones=False))  # one byte a module
        width, height = image.size
        pixels = image.tobytes()
        return QrMatrix(tuple(tuple(pixels[y * width + x] == 0 for x in range(width)) for y in range(height)))
