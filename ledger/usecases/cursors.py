"""The opaque cursors pages of packs and of a pack's history give out, and the page-size check."""

from __future__ import annotations

import base64
import binascii

from events.errors import InputError


def check_limit(limit: int, most: int) -> None:
    if not 1 <= limit <= most:
        raise InputError(f"limit must be 1 to {most}, found {limit}", code="invalid_filter")


def seq_cursor(seq: int) -> str:
    return encode_cursor(f"seq:{seq}")


def decode_seq_cursor(cursor: str) -> int:
    text = decode_cursor(cursor)
    number = text.removeprefix("seq:")
    if text == number or not number.isascii() or not number.isdigit() or len(number) > 18:
        raise InputError(f"cursor {cursor[:40]!r} is not one this API gave out", code="invalid_cursor")
    return int(number)


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        raise InputError(f"cursor {cursor[:40]!r} is not one this API gave out", code="invalid_cursor") from None


def encode_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("ascii")).decode().rstrip("=")
