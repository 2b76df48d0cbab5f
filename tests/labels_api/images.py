"""Reading rendered labels back (zxing-cpp on the pixels as they are; PDF pages and SVG rasterised by MuPDF),
and label photos as a phone would take them."""

from __future__ import annotations

import functools
import io

import pymupdf
import zxingcpp
from PIL import Image, ImageFilter


def read_qr(image: Image.Image | bytes) -> list[str]:
    """The texts of the QR codes zxing-cpp finds in the image, without any preprocessing."""
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
    return [symbol.text for symbol in zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)]


def pdf_pages(pdf: bytes, dpi: int = 150) -> list[Image.Image]:
    """Each page of a PDF rasterised in grey."""
    pages = []
    for page in pymupdf.open(stream=pdf, filetype="pdf"):
        pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        pages.append(Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples))
    return pages


def svg_image(svg: bytes, dpi: int = 300) -> Image.Image:
    """An SVG rasterised by MuPDF."""
    page = pymupdf.open(stream=svg, filetype="svg")[0]
    pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)


def photo_of(label_png: bytes, *, angle: float, blur: float) -> bytes:
    """The label as a phone might shoot it: on a grey bench, turned, out of focus, JPEG-compressed."""
    label = Image.open(io.BytesIO(label_png)).convert("L")
    bench = Image.new("L", (label.width + 300, label.height + 300), 140)
    bench.paste(label, (150, 150))
    shot = bench.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=140)
    shot = shot.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    shot.save(out, format="JPEG", quality=80)
    return out.getvalue()


@functools.cache
def high_resolution_photo(label_png: bytes, fmt: str = "PNG", size: tuple[int, int] = (4000, 4000)) -> bytes:
    """A photo of the kind the attack on the scanner sent: high resolution, flat but for the label at its
    own scale, so that it is a few hundred KiB on the wire and hundreds of MB once decoded in full. A PNG is
    RGBA (4 bytes a pixel decoded); a JPEG is progressive (its decoder holds every coefficient at once)."""
    label = Image.open(io.BytesIO(label_png)).convert("RGBA")
    shot = Image.new("RGBA", size, (200, 200, 200, 255))
    shot.paste(label, (size[0] // 3, size[1] // 2))
    out = io.BytesIO()
    if fmt == "JPEG":
        shot.convert("RGB").save(out, format="JPEG", quality=60, progressive=True)
    else:
        shot.save(out, format=fmt, optimize=True)
    return out.getvalue()
