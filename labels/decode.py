"""Reading label photos: every QR code or barcode in an image, then the battery code among them.

A photo costs memory by its pixels, not its bytes: a flat 40-megapixel PNG is 190 KiB on the wire and
160 MB decoded. So the size in the header is checked before any pixel is decoded (`image_too_large`), a
JPEG is decoded at a reduced scale straight to grey (libjpeg's DCT scaling, `Image.draft`), every photo is
brought down to DECODE_SIDE pixels on its longer side before the decoder runs, and at most
MAX_CONCURRENT_DECODES photos are decoded at once in the process, on threads of their own (DecodePool).
Up to MAX_WAITING_DECODES more wait for a slot, each for at most DECODE_WAIT_SECONDS; any other is refused
with `scanner_busy` (HTTP 503, Retry-After: RETRY_AFTER_SECONDS).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import zxingcpp
from PIL import Image, ImageFilter, ImageOps, JpegImagePlugin

from events.errors import InputError, UnavailableError
from labels.payload import code_from_text

_FORMATS = ["PNG", "JPEG", "WEBP"]
# Checked from the header, before any pixel is decoded. A JPEG is decoded at 1/2 to 1/8 scale (below), so it
# may have as many pixels as the 50 MP sensors of phones; a PNG or WebP is decoded whole (4 bytes a pixel in
# colour) and is a screenshot or an export rather than a camera's photo: 16 MP is more than a 4K screen.
MAX_PIXELS = {"JPEG": 50_000_000, "PNG": 16_000_000, "WEBP": 16_000_000}
MAX_SIDE = 16_384  # wider or taller than any phone camera's photo (a 200 MP sensor is 16,320 × 12,240)
DECODE_SIDE = 2_560  # longest side decoded: a label a tenth as wide as a 12 MP photo keeps ~4 px QR modules
_SMALL_SIDE = 800  # below this, modules of a label photo may be too few pixels wide to sample

# A decode peaks at ~150 MB (a progressive 50 MP JPEG's coefficients, a 16 MP RGBA PNG) before the photo is
# brought down: two at a time keep a server with 16 uploads in flight well under 1 GiB, and use the two
# cores of a small deployment. A waiting upload holds one of the server's worker threads, so only so many
# may wait, and not past what a phone user (or a proxy's 60 s timeout) would bear.
MAX_CONCURRENT_DECODES = 2
MAX_WAITING_DECODES = 16
DECODE_WAIT_SECONDS = 45.0
RETRY_AFTER_SECONDS = 5


class DecodePool:
    """At most `workers` decodes at once, each on one of `workers` threads kept for decoding: the memory a
    decode frees stays with the allocator's arena of the thread that used it, so decodes spread over every
    worker thread of the server would leave each holding a photo's worth. At most `waiting` more wait for
    a slot, each for up to DECODE_WAIT_SECONDS; the rest are refused with UnavailableError `scanner_busy`."""

    def __init__(self, workers: int, waiting: int) -> None:
        self.workers, self.waiting = workers, waiting
        self._slots = threading.BoundedSemaphore(workers)
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="label-decode")
        self._lock = threading.Lock()
        self._waiters = 0

    def run(self, decode: Callable[[], list[str]]) -> list[str]:
        with self.slot():  # a slot per thread: the decode starts at once
            return self._threads.submit(decode).result()

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self._waiters >= self.waiting:
                    raise self._busy(f"{self.waiting} more are waiting")
                self._waiters += 1
            try:
                acquired = self._slots.acquire(timeout=DECODE_WAIT_SECONDS)
            finally:
                with self._lock:
                    self._waiters -= 1
            if not acquired:
                raise self._busy(f"this one waited {DECODE_WAIT_SECONDS:g} s")
        try:
            yield
        finally:
            self._slots.release()

    def _busy(self, why: str) -> UnavailableError:
        return UnavailableError(
            f"the scanner is busy: {self.workers} photos are being read and {why}; "
            f"try again in {RETRY_AFTER_SECONDS} s",
            code="scanner_busy",
            retry_after=RETRY_AFTER_SECONDS,
        )


DECODE_POOL = DecodePool(MAX_CONCURRENT_DECODES, MAX_WAITING_DECODES)


def decode_image(data: bytes) -> list[str]:
    """Texts of all codes found, in decoder order, without repeats; [] when nothing decodes.

    A plain pass first; only when it finds nothing, a few preprocessed variants (each costs a decode).
    Raises InputError `invalid_image` or `image_too_large`, UnavailableError `scanner_busy`.
    """
    image = _open(data)  # the header only: refused before any pixel is decoded or a slot is waited for
    return DECODE_POOL.run(lambda: _read_codes(_grey(image)))


def _read_codes(grey: Image.Image) -> list[str]:
    for variant, binarizer in _variants(grey):
        found = zxingcpp.read_barcodes(variant, try_rotate=True, try_downscale=True, binarizer=binarizer)
        texts = list(dict.fromkeys(symbol.text for symbol in found if symbol.text))
        if texts:
            return texts
    return []


def find_code(data: bytes, public_url: str) -> str:
    """The battery code on the label in the photo.

    Raises InputError: `invalid_image`, `image_too_large`, `no_code_found`, `foreign_code` (naming what was
    read), or InvalidCode for one of our URLs whose code is malformed; UnavailableError `scanner_busy`.
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
    """The image with its header read and its size checked; no pixel decoded yet."""
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:  # the warning, if -W error
        raise InputError(f"the image is too large to read: {error}", code="image_too_large") from error
    except (OSError, ValueError, SyntaxError) as error:
        raise InputError(f"not a readable PNG, JPEG or WebP image: {error}", code="invalid_image") from error
    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE:
        raise InputError(
            f"image of {width}×{height} pixels is wider or taller than {MAX_SIDE:,} pixels", code="image_too_large"
        )
    kind = "JPEG" if _is_jpeg(image) else str(image.format)
    if width * height > MAX_PIXELS[kind]:
        raise InputError(
            f"{kind} image of {width}×{height} pixels is larger than {MAX_PIXELS[kind]:,} pixels, the most a "
            f"{kind} photo may have",
            code="image_too_large",
        )
    return image


def _is_jpeg(image: Image.Image) -> bool:
    return isinstance(image, JpegImagePlugin.JpegImageFile)  # an MPO (a camera's multi-picture JPEG) too


def _grey(photo: Image.Image) -> Image.Image:
    """The photo in grey on white, at most DECODE_SIDE pixels on its longer side, upright by its EXIF.

    `photo` is closed here: its full-size pixels are gone before the decoder runs. Until then a photo costs
    its decoded pixels (4 bytes each in colour; a progressive JPEG also its coefficients, 3 bytes a pixel)
    and one grey band of 1 byte each.
    """
    try:
        with photo:
            if _is_jpeg(photo):
                photo.draft("L", (DECODE_SIDE, DECODE_SIDE))  # libjpeg decodes at 1/2, 1/4 or 1/8, in grey
            photo.load()
            alpha = _alpha(photo)
            alpha = _shrunk(alpha) if alpha is not None else None
            grey = _shrunk(photo.convert("L"))  # bands keep `info`, so the EXIF orientation too
    except (OSError, ValueError, SyntaxError) as error:  # a truncated or corrupt body behind a good header
        raise InputError(f"not a readable PNG, JPEG or WebP image: {error}", code="invalid_image") from error
    if alpha is not None:  # transparent pixels are black underneath: a dark code on them would vanish
        grey.paste(255, mask=ImageOps.invert(alpha))
    return ImageOps.exif_transpose(grey)


def _alpha(photo: Image.Image) -> Image.Image | None:
    if photo.mode in ("RGBA", "LA", "PA"):
        return photo.getchannel("A")
    if "transparency" in photo.info:  # a palette or colour-key transparency
        return photo.convert("RGBA").getchannel("A")
    return None


def _shrunk(band: Image.Image) -> Image.Image:
    """A grey band brought to at most DECODE_SIDE pixels: a box filter by whole factors, then Lanczos."""
    factor = max(band.size) // DECODE_SIDE
    if factor > 1:
        band = band.reduce(factor)
    band.thumbnail((DECODE_SIDE, DECODE_SIDE), Image.Resampling.LANCZOS)
    return band


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
