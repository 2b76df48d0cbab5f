"""Canonical bytes (RFC 8785, JSON Canonicalization Scheme) of claims and entries, and the entry hash.

An entry's hash is SHA-256 over its canonical bytes (DESIGN §3.2). Entries embed the claim, which is
already canonical when it is signed, so `entry_bytes` splices the claim's bytes into the entry's other
members instead of canonicalising the claim a second time. The member order below is RFC 8785's
(UTF-16 code unit order of the keys); a test checks the result against `rfc8785.dumps` of the whole entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import orjson
import rfc8785

from events.errors import InvalidClaim

FORMAT_VERSION = 1


class _NeedsReference(Exception):
    """The value has a member whose RFC 8785 form orjson does not produce."""


_MAX_SAFE_INT = 2**53


def _plain(value: Any) -> Any:
    """`value` with every number in a form that orjson (and `json.dumps`) writes exactly as RFC 8785 does.

    Integral doubles print without a fraction in ECMAScript ("60", not "60.0"); other doubles between
    1e-4 and 1e16 print the same shortest round-trip digits in both. Keys must be ASCII, where code-point
    order (Python's sort) equals UTF-16 order (RFC 8785's). Anything else goes to the reference encoder.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise _NeedsReference
            out[key] = _plain(item)
        return out
    if kind is int:
        if -_MAX_SAFE_INT < value < _MAX_SAFE_INT:
            return value
        raise _NeedsReference
    if kind is float:
        if value.is_integer():
            if abs(value) < _MAX_SAFE_INT:
                return int(value)
            raise _NeedsReference
        if 1e-4 <= abs(value) < 1e16:
            return value
        raise _NeedsReference
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    raise _NeedsReference  # subclasses of str, int, float, dict (enums among them), other mappings


def _dumps(plain: Any, value: Any) -> bytes:
    """orjson's bytes of `plain`, the form of `value` that `_plain` made: RFC 8785's, for such values
    (sorted ASCII keys, integers, the doubles `_plain` lets through, UTF-8 text escaped as RFC 8785
    escapes it); property tests check them against `rfc8785`. What orjson refuses (text with lone
    surrogates, nesting deeper than it goes) is left to the reference encoder."""
    try:
        return orjson.dumps(plain, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _reference(value)


def _reference(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidClaim(f"claim is not canonicalisable JSON: {exc}") from exc


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value; refuses values JSON cannot carry exactly.

    The reference encoder (`rfc8785`) is pure Python and costs tens of microseconds for a small claim;
    for the common case orjson (C) gives the same bytes in under one.
    """
    try:
        plain = _plain(value)
    except _NeedsReference:
        return _reference(value)
    return _dumps(plain, value)


_ENVELOPE_TYPES = frozenset({str, int, type(None)})


def canonical_claim(claim: Mapping[str, Any]) -> bytes:
    """`canonical` of a claim whose envelope `parse_claim` has checked (its own ASCII member names, text
    values, `v` = 1): only `data` can hold what orjson writes differently, so only it is walked."""
    if type(claim) is not dict or not all(type(v) in _ENVELOPE_TYPES for k, v in claim.items() if k != "data"):
        return canonical(claim)  # e.g. `v` as 1.0 (RFC 8785 writes "1"), or text of a subclass of str
    try:
        data = _plain(claim["data"])
    except _NeedsReference:
        return canonical(claim)
    return _dumps({**claim, "data": data}, claim)


def _string(text: str) -> bytes:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return b'"%s"' % text.encode()
    return rfc8785.dumps(text)


def entry_bytes(
    *, index: int, pack: str, seq: int, prev: str | None, recorded_at: str, claim_bytes: bytes, sig: str
) -> bytes:
    """The canonical bytes of the entry object of DESIGN §3.2, given the claim's canonical bytes."""
    return b'{"claim":%s,"index":%d,"pack":%s,"prev":%s,"recorded_at":%s,"seq":%d,"sig":%s,"v":%d}' % (
        claim_bytes,
        index,
        _string(pack),
        b"null" if prev is None else _string(prev),
        _string(recorded_at),
        seq,
        _string(sig),
        FORMAT_VERSION,
    )


def registry_entry_bytes(
    *, index: int, subject: str, seq: int, prev: str | None, recorded_at: str, claim_bytes: bytes, sig: str | None
) -> bytes:
    """The canonical bytes of a registry entry (docs/ledger-format.md §5): `subject` in place of `pack`,
    and `sig` only when the claim is signed."""
    signature = b"" if sig is None else b',"sig":%s' % _string(sig)
    return b'{"claim":%s,"index":%d,"prev":%s,"recorded_at":%s,"seq":%d%s,"subject":%s,"v":%d}' % (
        claim_bytes,
        index,
        b"null" if prev is None else _string(prev),
        _string(recorded_at),
        seq,
        signature,
        _string(subject),
        FORMAT_VERSION,
    )


def entry_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _FloatSeen(Exception):
    pass


def _refuse_float(_text: str) -> float:
    raise _FloatSeen


def _small_int(text: str) -> int:
    # RFC 8785 carries integers exactly only within IEEE 754 doubles; leave longer ones to the encoder.
    if len(text) > 15:
        raise _FloatSeen
    return int(text)


def is_canonical(data: bytes) -> bool:
    """True if `data` is exactly the RFC 8785 form of the JSON it holds.

    For pure-ASCII JSON without fractional numbers, RFC 8785 and `json.dumps(sort_keys=True)` agree, and
    the latter is a C routine about ten times faster; anything else takes the reference encoder.
    """
    if data.isascii():
        try:
            value = json.loads(data, parse_float=_refuse_float, parse_int=_small_int)
        except _FloatSeen:
            pass
        except ValueError:
            return False
        else:
            fast = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            return fast.encode() == data
    try:
        # Numbers are IEEE 754 doubles in RFC 8785: read long integers as such.
        value = json.loads(data, parse_int=lambda text: int(text) if len(text) <= 15 else float(text))
    except ValueError:
        return False
    try:
        return bool(rfc8785.dumps(value) == data)
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return False


def load(data: bytes) -> Mapping[str, Any]:
    value = json.loads(data)
    if not isinstance(value, dict):
        raise InvalidClaim("expected a JSON object")
    return value
