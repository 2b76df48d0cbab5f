from __future__ import annotations

import contextlib
import io
import random
import threading
import time
from collections.abc import Callable, Sequence

import pytest
from PIL import Image, ImageDraw, ImageFile, ImageFilter

from events.errors import InputError, InvalidCode, UnavailableError
from labels import decode
from labels.decode import decode_image, find_code
from labels.fonts import pil_font
from labels.layout import LabelInfo
from labels.render import render_png
from tests.labels_api.images import high_resolution_photo

UrlOf = Callable[[str], str]
ReadQr = Callable[[Image.Image | bytes], list[str]]


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def label_image(info: LabelInfo, url: str) -> Image.Image:
    return Image.open(io.BytesIO(render_png(info, url))).convert("RGB")


def shrunk(image: Image.Image, scale: float) -> Image.Image:
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)


def perspective(image: Image.Image, corners: Sequence[tuple[float, float]]) -> Image.Image:
    """`image` seen tilted: its corners (clockwise from top-left) land on `corners`."""
    w, h = image.size
    source = [(0, 0), (w, 0), (w, h), (0, h)]
    # Pillow wants the map from output to input pixels: 8 unknowns, 2 equations per corner.
    rows = []
    for (x, y), (u, v) in zip(corners, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    coefficients = _solve(rows)
    size = (int(max(x for x, _ in corners)) + 20, int(max(y for _, y in corners)) + 20)
    return image.transform(size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC, fillcolor="white")


def _solve(rows: list[list[float]]) -> tuple[float, ...]:
    n = len(rows)
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return tuple(rows[r][n] / rows[r][r] for r in range(n))


def with_noise(image: Image.Image, sigma: float, seed: int) -> Image.Image:
    rng = random.Random(seed)
    grey = image.convert("L")
    noisy = bytes(min(255, max(0, round(p + rng.gauss(0, sigma)))) for p in grey.tobytes())
    return Image.frombytes("L", grey.size, noisy)


def clutter(seed: int, size: tuple[int, int] = (1400, 1000)) -> Image.Image:
    """A busy workshop-like scene: shapes, lines and text in random colours, no code in it."""
    rng = random.Random(seed)
    scene = Image.new("RGB", size, tuple(rng.randrange(90, 200) for _ in range(3)))
    draw = ImageDraw.Draw(scene)

    def colour() -> tuple[int, int, int]:
        return (rng.randrange(256), rng.randrange(256), rng.randrange(256))

    def box() -> tuple[int, int, int, int]:
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        return (x, y, x + rng.randrange(10, 300), y + rng.randrange(10, 200))

    for _ in range(120):
        shape = rng.choice(["rectangle", "ellipse", "line"])
        if shape == "line":
            draw.line(box(), fill=colour(), width=rng.randrange(1, 8))
        else:
            getattr(draw, shape)(box(), fill=colour(), outline=colour())
    for _ in range(40):
        text = "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789 电池包模组回收") for _ in range(rng.randrange(3, 20))
        )
        draw.text(
            (rng.randrange(size[0]), rng.randrange(size[1])),
            text,
            fill=colour(),
            font=pil_font(rng.randrange(12, 60)),
        )
    return scene


def on_clutter(label: Image.Image, seed: int, angle: float, scale: float) -> Image.Image:
    scene = clutter(seed)
    turned = label.resize((int(label.width * scale), int(label.height * scale)), Image.Resampling.LANCZOS)
    turned = turned.convert("RGBA").rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    rng = random.Random(seed)
    position = (rng.randrange(scene.width - turned.width), rng.randrange(scene.height - turned.height))
    scene.paste(turned, position, turned)
    return scene


def robustness_set(label: Image.Image) -> list[tuple[str, bytes]]:
    """What cameras and handling do to a label, one effect at a time and a few together."""
    w, h = label.size
    tilts = {
        "tilt left": [(0, 0), (w, 60), (w, h - 60), (0, h)],
        "tilt right": [(0, 60), (w, 0), (w, h), (0, h - 60)],
        "tilt back": [(80, 0), (w - 80, 0), (w, h), (0, h)],
        "tilt skew": [(40, 20), (w, 0), (w - 40, h), (0, h - 30)],
    }
    turned = {angle: label.rotate(angle, expand=True, fillcolor="white") for angle in range(0, 360, 15)}
    cases = [(f"rotate {angle}°", image) for angle, image in turned.items()]
    cases += [(f"scale {scale}", shrunk(label, scale)) for scale in (0.3, 0.5, 0.75, 1.5, 2.0)]
    cases += [(f"blur {radius}", label.filter(ImageFilter.GaussianBlur(radius))) for radius in (1, 1.5, 2)]
    cases += [(name, perspective(label, corners)) for name, corners in tilts.items()]
    cases += [(f"noise σ={sigma}", with_noise(label, sigma, seed=sigma)) for sigma in (25, 50)]
    cases += [(f"on clutter {seed}", on_clutter(label, seed, angle=17 * seed, scale=0.8)) for seed in (1, 2, 3)]
    cases += [
        ("rotate 30° + blur 1.5", turned[30].filter(ImageFilter.GaussianBlur(1.5))),
        ("tilt + noise", with_noise(perspective(label, tilts["tilt skew"]), 30, seed=7)),
        ("scale 0.3 + rotate 45°", shrunk(turned[45], 0.3)),
    ]
    # small in the frame and out of focus: these need the sharpening and upscaling passes
    for scale, radius in ((0.3, 1.0), (0.4, 1.3), (0.5, 1.6), (1.0, 3.5)):
        cases.append((f"scale {scale} + blur {radius}", shrunk(label, scale).filter(ImageFilter.GaussianBlur(radius))))
    as_bytes = [(name, encoded(image.convert("RGB"))) for name, image in cases]
    as_bytes += [
        (f"{name} as JPEG q40", encoded(image.convert("RGB"), "JPEG", quality=40)) for name, image in cases[::3]
    ]
    return as_bytes


@pytest.mark.slow
def test_decode_rate_over_rotation_scale_blur_tilt_noise_jpeg_and_clutter(
    pack: LabelInfo, url_of: UrlOf, public_url: str
) -> None:
    cases = robustness_set(label_image(pack, url_of(pack.code)))
    failures = []
    for name, data in cases:
        try:
            if find_code(data, public_url) != pack.code:
                failures.append(name)
        except InputError as error:
            failures.append(f"{name}: {error.code}")
    rate = 1 - len(failures) / len(cases)
    print(f"\nlabel decode rate: {rate:.1%} of {len(cases)} images; failed: {failures or 'none'}")
    assert rate >= 0.95, failures


@pytest.mark.parametrize(("scale", "radius"), [(0.3, 1.0), (1.0, 3.5)])
def test_preprocessing_recovers_labels_the_plain_pass_misses(
    pack: LabelInfo, url_of: UrlOf, read_qr: ReadQr, scale: float, radius: float
) -> None:
    image = shrunk(label_image(pack, url_of(pack.code)), scale).filter(ImageFilter.GaussianBlur(radius))
    assert read_qr(image) == [], "premise: zxing alone misses this one, else the passes go untested here"
    assert decode_image(encoded(image)) == [url_of(pack.code)]


@pytest.mark.parametrize(("fmt", "options"), [("PNG", {}), ("JPEG", {"quality": 85}), ("WEBP", {"quality": 80})])
def test_png_jpeg_and_webp_photos_are_read(
    pack: LabelInfo, url_of: UrlOf, fmt: str, options: dict[str, object], public_url: str
) -> None:
    data = encoded(on_clutter(label_image(pack, url_of(pack.code)), seed=5, angle=-8, scale=1.0), fmt, **options)
    assert decode_image(data) == [url_of(pack.code)]
    assert find_code(data, public_url) == pack.code


def test_item6_a_multi_picture_jpeg_is_read_as_a_jpeg(pack: LabelInfo, url_of: UrlOf, public_url: str) -> None:
    """Some cameras save MPO: JPEG with more pictures after the first; Pillow opens it as format 'MPO'."""
    label = label_image(pack, url_of(pack.code))
    assert find_code(encoded(label, "MPO", save_all=True, append_images=[label]), public_url) == pack.code
    huge = Image.new("L", (9000, 6000), 255)
    with pytest.raises(InputError, match=r"^JPEG image of 9000×6000 pixels is larger than 50,000,000 pixels"):
        decode_image(encoded(huge, "MPO", save_all=True, append_images=[huge]))


def test_a_dark_code_on_a_transparent_background_is_read(pack: LabelInfo, url_of: UrlOf, public_url: str) -> None:
    ink = label_image(pack, url_of(pack.code)).convert("L")
    transparent = Image.merge("LA", (Image.new("L", ink.size, 0), ink.point(lambda p: 255 - p)))
    assert find_code(encoded(transparent), public_url) == pack.code


def test_our_label_is_found_beside_a_foreign_code(pack: LabelInfo, url_of: UrlOf, public_url: str) -> None:
    ours, theirs = (
        label_image(pack, url_of(pack.code)),
        label_image(pack, "https://other.example.com/item/42"),
    )
    both = Image.new("RGB", (ours.width * 2 + 60, ours.height + 40), "white")
    both.paste(theirs, (20, 20))
    both.paste(ours, (ours.width + 40, 20))
    assert set(decode_image(encoded(both))) == {url_of(pack.code), "https://other.example.com/item/42"}
    assert find_code(encoded(both), public_url) == pack.code


@pytest.mark.parametrize(
    "image",
    [Image.new("RGB", (640, 480), "white"), clutter(seed=11)],
    ids=["blank", "clutter"],
)
def test_an_image_without_a_code_says_so(image: Image.Image, public_url: str) -> None:
    data = encoded(image, "JPEG", quality=90)
    assert decode_image(data) == []
    with pytest.raises(InputError, match=r"^no QR code or barcode found in the image$") as raised:
        find_code(data, public_url)
    assert raised.value.code == "no_code_found"


@pytest.mark.parametrize(
    "text",
    [
        f"https://evil.example.com/p/{'001PB12ABCDEFGE9P0000001'}",
        "电池回收 hello",
        "WIFI:S:plant;T:WPA;P:x;;",
    ],
)
def test_a_foreign_code_names_what_was_read(pack: LabelInfo, text: str, public_url: str) -> None:
    with pytest.raises(InputError) as raised:
        find_code(encoded(label_image(pack, text)), public_url)
    assert raised.value.code == "foreign_code"
    assert str(raised.value) == f"scanned text is not a packtrace label: {text!r}"


def test_our_url_with_a_malformed_code_says_which_field(pack: LabelInfo, url_of: UrlOf, public_url: str) -> None:
    photo = encoded(label_image(pack, url_of("0RJXEA00HAU0AAF131001955")))
    with pytest.raises(InvalidCode, match="product type") as raised:
        find_code(photo, public_url)
    assert raised.value.field == "product_type"


def test_several_foreign_codes_are_all_named(pack: LabelInfo, public_url: str) -> None:
    first, second = label_image(pack, "https://a.example/1"), label_image(pack, "plain words")
    both = Image.new("RGB", (first.width * 2 + 60, first.height + 40), "white")
    both.paste(first, (20, 20))
    both.paste(second, (first.width + 40, 20))
    with pytest.raises(InputError, match="not packtrace labels") as raised:
        find_code(encoded(both), public_url)
    assert raised.value.code == "foreign_code"
    assert "'https://a.example/1'" in str(raised.value) and "'plain words'" in str(raised.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01garbage, not an image" * 10, "not a readable PNG, JPEG or WebP image"),
        (b"", "not a readable"),
        (encoded(Image.new("RGB", (64, 64), "white"))[:60], "not a readable"),
        (encoded(Image.new("RGB", (64, 64), "white"), "GIF"), "not a readable PNG, JPEG or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a readable"),
    ],
    ids=["garbage", "empty", "truncated png", "gif", "svg text"],
)
def test_unreadable_images_are_invalid(data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as raised:
        decode_image(data)
    assert raised.value.code == "invalid_image"


@pytest.mark.parametrize(
    ("size", "fmt", "detail"),
    [
        (
            (8000, 6000),
            "PNG",
            r"^PNG image of 8000×6000 pixels is larger than 16,000,000 pixels, the most a PNG photo may have$",
        ),
        (
            (9000, 6000),
            "JPEG",
            r"^JPEG image of 9000×6000 pixels is larger than 50,000,000 pixels, the most a JPEG photo may have$",
        ),
        ((40_000_000, 1), "PNG", r"^image of 40000000×1 pixels is wider or taller than 16,384 pixels$"),
        ((1, 20_000), "PNG", r"^image of 1×20000 pixels is wider or taller than 16,384 pixels$"),
        # past Pillow's own decompression-bomb limit (2 × 89,478,485 pixels): refused while the header is read
        (
            (20_000, 10_000),
            "PNG",
            r"^the image is too large to read: Image size \(200000000 pixels\) exceeds limit",
        ),
    ],
    ids=["48 MP PNG", "54 MP JPEG", "40,000,000 × 1", "1 × 20,000", "decompression bomb"],
)
def test_item6_an_image_too_large_is_refused_from_its_header(
    size: tuple[int, int], fmt: str, detail: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = encoded(Image.new("1" if fmt == "PNG" else "L", size, 1), fmt)  # flat: small on the wire
    assert len(data) < 1024 * 1024

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(InputError, match=detail) as raised:
        decode_image(data)
    assert raised.value.code == "image_too_large"


@pytest.mark.slow
@pytest.mark.parametrize("photo", ["12 MP PNG", "22 MP JPEG", "16 MP flat RGBA PNG", "50 MP progressive JPEG"])
def test_item6_a_high_resolution_photo_is_read_after_downscaling(
    pack: LabelInfo, url_of: UrlOf, public_url: str, photo: str
) -> None:
    """Shots of the label on a busy bench, and the heaviest photos the attack could still send: each is read
    at DECODE_SIDE pixels."""
    label = render_png(pack, url_of(pack.code))
    if photo == "16 MP flat RGBA PNG":
        data = high_resolution_photo(label, "PNG", (4000, 4000))
    elif photo == "50 MP progressive JPEG":
        data = high_resolution_photo(label, "JPEG", (8160, 6120))
    else:
        scene = on_clutter(label_image(pack, url_of(pack.code)), seed=4, angle=12, scale=1.0)
        factor = 3 if photo == "12 MP PNG" else 4
        shot = scene.resize((scene.width * factor, scene.height * factor), Image.Resampling.BICUBIC)
        data = encoded(shot, "JPEG", quality=85) if "JPEG" in photo else encoded(shot)
    assert find_code(data, public_url) == pack.code


def test_item6_decodes_beyond_the_cap_wait_for_a_slot_then_the_scanner_is_busy(
    pack: LabelInfo, url_of: UrlOf, public_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = encoded(label_image(pack, url_of(pack.code)))
    slots = decode.DECODE_POOL
    monkeypatch.setattr(decode, "DECODE_WAIT_SECONDS", 0.2)
    with contextlib.ExitStack() as running:
        for _ in range(decode.MAX_CONCURRENT_DECODES):
            running.enter_context(slots.slot())  # two photos being read
        with pytest.raises(UnavailableError) as raised:
            find_code(photo, public_url)
        assert raised.value.code == "scanner_busy" and raised.value.retry_after == 5
        assert str(raised.value) == (
            "the scanner is busy: 2 photos are being read and this one waited 0.2 s; try again in 5 s"
        )
        monkeypatch.setattr(slots, "waiting", 0)
        with pytest.raises(UnavailableError) as raised:
            find_code(photo, public_url)
        assert str(raised.value) == (
            "the scanner is busy: 2 photos are being read and 0 more are waiting; try again in 5 s"
        )
        monkeypatch.setattr(slots, "waiting", decode.MAX_WAITING_DECODES)
        monkeypatch.setattr(decode, "DECODE_WAIT_SECONDS", 30.0)
        freed = threading.Timer(0.3, running.close)  # both photos read meanwhile
        freed.start()
        started = time.monotonic()
        assert find_code(photo, public_url) == pack.code
        assert time.monotonic() - started >= 0.25, "it waited for a slot"
        freed.join()
    with contextlib.ExitStack() as again:  # every slot was given back
        for _ in range(decode.MAX_CONCURRENT_DECODES):
            again.enter_context(slots.slot())
