"""What a label's QR code says, and how scanned text leads back to a battery code."""

from __future__ import annotations

from urllib.parse import urlsplit

from events.codes import parse_code
from events.errors import InputError

_CODE_LENGTHS = (24, 19)  # GB/T 34014 code, and the second-life form


def label_url(public_url: str, code: str) -> str:
    """The QR payload: the pack's public page, so any phone camera opens it."""
    return f"{public_url.rstrip('/')}/p/{code}"


def code_from_text(text: str, public_url: str) -> str:
    """The battery code in `text`: one of our label URLs, or a bare code typed or read by a 1-D scanner.

    Raises InputError `foreign_code` for anything else, and InvalidCode when a code-shaped string
    (bare, or in one of our URLs) breaks the code rules, which then names the field at fault.
    """
    read = text.strip()  # handheld scanners append CR/LF
    candidate = _code_in_url(read, public_url) if "://" in read else read
    if candidate is None or not (len(candidate) in _CODE_LENGTHS and candidate.isalnum()):
        raise InputError(f"scanned text is not a packtrace label: {read!r}", code="foreign_code")
    return parse_code(candidate, strict=False).code


def _code_in_url(text: str, public_url: str) -> str | None:
    try:
        url, ours = urlsplit(text), urlsplit(public_url)
        same_origin = url.hostname == ours.hostname and url.port == ours.port
    except ValueError:  # e.g. a port that is not a number
        return None
    # http and https both count: a site moved to TLS still owns the labels printed before.
    if url.scheme.lower() not in ("http", "https") or not same_origin:
        return None
    prefix = ours.path.rstrip("/") + "/p/"
    if not url.path.startswith(prefix):
        return None
    code = url.path.removeprefix(prefix).removesuffix("/")
    return code if code and "/" not in code else None
