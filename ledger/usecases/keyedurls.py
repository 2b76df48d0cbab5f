"""The shape the settings that name other servers share (PACKTRACE_WITNESSES, PACKTRACE_PEERS):
comma-separated `<C2SP verifier key>=<http(s) base URL>` items, each server named once."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from events.errors import VerificationError
from ledger.format.note import Verifier

# the key is taken up to the `=` that starts the URL: a key's own text may hold `=`
_ITEM = re.compile(r"(?P<key>[^=\s][^\s]*?)=(?P<url>https?://\S+)")


def parse_keyed_urls(
    text: str, setting: str, kind: str, key_name: str, parse_key: Callable[[str], Verifier]
) -> list[tuple[str, str, Verifier]]:
    """Each item of `setting`'s value as (verifier key text, base URL without a trailing slash, verifier), in
    order; ValueError naming the item: not the shape, a bad key (`key_name`, by `parse_key`), a URL with no
    host or with a query or fragment, or a `kind` named twice."""
    items: list[tuple[str, str, Verifier]] = []
    for number, item in enumerate((part.strip() for part in text.split(",")), start=1):
        if not item:
            continue
        where = f"{setting} item {number} {item!r}"
        if not (match := _ITEM.fullmatch(item)):
            raise ValueError(f"{where}: expected <{key_name}>=<http(s) base URL>")
        try:
            verifier = parse_key(match["key"])
        except VerificationError as exc:
            raise ValueError(f"{where}: bad {key_name}: {exc.message}") from None
        url = match["url"].rstrip("/")
        parts = urlsplit(url)
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"{where}: bad URL: a base URL has a host and no query or fragment")
        if any(other.name == verifier.name for _, _, other in items):
            raise ValueError(f"{where}: {kind} {verifier.name!r} is named twice")
        items.append((match["key"], url, verifier))
    return items
