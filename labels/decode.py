"""Reading label photos: every QR code or barcode in an image, then the battery code among them."""

from __future__ import annotations

import io
from collections.abc import Iterator

import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from events.errors import InputError
from labels.payload import code_from_text

_FORMATS = ["PNG", "JPEG", "WEBP"]
MAX_PIXELS = 40_000_000  # a 40 MP photo is already more than any phone label shot needs
_SMALL_SIDE = 800  # below this, modules of a label photo may be too few pixels wide to sample


def decode_image(data: bytes) -> list[str]:
    """Texts of all codes found, in decoder order, without repeats; [] when nothing decodes.

    A plain pass first; only when it finds nothing, a few preprocessed variants (each costs a decode).
    """
    image = _open(data)
    for variant, binarizer in _variants(image):
        found = zxingcpp.read_barcodes(variant, try_rotate=True, try_downscale=True, binarizer=binarizer)
        texts = list(dict.fromkeys(symbol.text for symbol in found if symbol.text))
        if texts:
            return texts
    return []


def find_code(data: bytes, public_url: str) -> str:
    """The battery code on the label in the photo.

    Raises InputError: `invalid_image`, `no_code_found`, `foreign_code` (naming what was read), or
    InvalidCode for one of our URLs whose code is malformed.
    """
    texts = decode_image(data)
    if not texts:
        raise InputError("no QR code or barcode found in the image", code="no_code_found")
    errors: list[InputError] = []
    for text in texts:
        try:
            return code_from_text(text, public_url)
        except InputError as error:
            errors.append(error)
    # A malformed code of ours says more than "foreign"; otherwise name everything that was read.
    specific = [error for error in errors if error.code != "foreign_code"]
    if specific or len(errors) == 1:
        raise (specific or errors)[0]
    read = ", ".join(repr(text) for text in texts)
    raise InputError(f"scanned texts are not packtrace labels: {read}", code="foreign_code")


def _open(data: bytes) -> Image.Image:
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=_FORMATS)
        if image.width * image.height > MAX_PIXELS:
            raise InputError(
                f"image of {image.width}×{image.height} pixels is larger than {MAX_PIXELS:,} pixels",
                code="invalid_image",
            )
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise InputError(f"not a readable PNG, JPEG or WebP image: {error}", code="invalid_image") from error
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # Transparent pixels are black underneath; a dark code on them would vanish.
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return image.convert("L")


def _variants(image: Image.Image) -> Iterator[tuple[Image.Image, zxingcpp.Binarizer]]:
    """Cheapest first; later passes target what photos do to labels: low contrast, blur, too few pixels."""
    local, histogram = zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram
    yield image, local
    yield image, histogram
    image = ImageOps.autocontrast(image, cutoff=1)
    yield image, local
    yield _sharpen(image), local
    if min(image.size) < _SMALL_SIDE:
        factor = min(4, -(-_SMALL_SIDE // min(image.size)))
        image = image.resize((image.width * factor, image.height * factor), Image.Resampling.LANCZOS)
        yield image, local
        yield _sharpen(image), local


def _sharpen(image: Image.Image) -> Image.Image:
    # A strong unsharp mask restores module edges that defocus or a slow shutter smeared.
    return image.filter(ImageFilter.UnsharpMask(radius=2, percent=250, threshold=0))
