"""The use cases the API and the CLI call: one function each, the caller's rights checked here.

Each function takes the ledger and the `Caller`, checks what the caller may do (ledger.usecases.access), does
the work in at most one transaction, and returns an output model of ledger.views. Errors are the
events.errors family; the API maps them to HTTP in one place.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Connection, select

from events.catalogue import Chemistry
from events.codes import parse_code
from events.errors import AuthorisationError, InputError, NotFoundError
from events.lifecycle import Status
from events.orgs import Org, parse_roles
from events.vin import validate_vin
from ledger.append import head as log_head
from ledger.format.redaction import Redactor
from ledger.log import Appended, Ledger
from ledger.store.db import write_connection
from ledger.store.packrows import PACK, PackFilter, get_pack, produced_payloads
from ledger.usecases import registry, websessions
from ledger.usecases.access import (
    ADMIN,
    Caller,
    Tier,
    Unauthenticated,
    require_admin,
    require_authenticated,
    require_authority,
    require_org,
    require_self_or_admin,
)
from ledger.usecases.bundle import bundle_chunks, redacted_bundle_chunks
from ledger.usecases.packs import find_packs
from ledger.usecases.views import (
    BatchResult,
    ConsistencyProof,
    EventResult,
    HistoryItem,
    InclusionProof,
    KeyView,
    LogEntries,
    LogEntry,
    LogKey,
    OrgCreated,
    OrgView,
    PackHistory,
    PackPage,
    PackView,
    TokenIssued,
    discloses,
    history_item,
    pack_view,
)

MAX_LOG_PAGE = 1_000
MAX_PACK_PAGE = 1_000
HISTORY_PAGE = 100
MAX_HISTORY_PAGE = 1_000
CHEMISTRIES = frozenset(get_args(Chemistry))


@contextmanager
def _transaction(ledger: Ledger) -> Iterator[Connection]:
    with write_connection(ledger.engine) as conn, conn.begin():
        yield conn


# -- who is calling -------------------------------------------------------------------------------------


TOKEN_TTL_S = 10.0
SESSION_TTL = timedelta(hours=8)
_tokens: weakref.WeakKeyDictionary[Ledger, dict[str, tuple[Org, float]]] = weakref.WeakKeyDictionary()
token_clock: Callable[[], float] = time.monotonic  # the token cache's clock (tests move it past TOKEN_TTL_S)


def authenticate(ledger: Ledger, token: str, *, admin_token: str | None) -> Caller:
    """The caller a bearer token names: the platform admin or an organisation; else Unauthenticated.

    A recognised token is remembered for TOKEN_TTL_S seconds (every request would otherwise read the
    database first); a rotated token therefore stops working within that time in other processes.
    """
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return ADMIN
    digest = registry.token_hash(token)
    known = _tokens.setdefault(ledger, {})
    cached = known.get(digest)
    if cached is not None and cached[1] > token_clock():
        return Caller(org=cached[0])
    with ledger.engine.connect() as conn:
        org = registry.org_by_token(conn, token)
    if org is None:
        known.pop(digest, None)
        raise Unauthenticated("the bearer token is not valid", code="invalid_token")
    if len(known) > 10_000:
        known.clear()
    known[digest] = (org, token_clock() + TOKEN_TTL_S)
    return Caller(org=org)


def forget_tokens(ledger: Ledger, org_id: str | None = None) -> None:
    """Drop remembered tokens (of `org_id`, or all) after a token is rotated in this process."""
    if org_id is None:
        _tokens.pop(ledger, None)
        return
    known = _tokens.get(ledger, {})
    for digest, (org, _) in list(known.items()):
        if org.id == org_id:
            known.pop(digest, None)


def rotate_token(ledger: Ledger, caller: Caller, org_id: str) -> TokenIssued:
    """Give `org_id` a new API token (returned once; only its hash is stored) and end every web session
    opened with the old one. This process refuses the old token at once; other server processes within
    TOKEN_TTL_S seconds, when they stop remembering it."""
    require_self_or_admin(caller, org_id, "rotate its API token")
    with _transaction(ledger) as conn:
        token = registry.rotate_token(conn, org_id)
        websessions.end_sessions_of(conn, org_id)
    forget_tokens(ledger, org_id)
    return TokenIssued(org=org_id, token=token)


# -- web sessions (api/web/session.py) ------------------------------------------------------------------


def open_web_session(ledger: Ledger, token: str, *, admin_token: str | None) -> tuple[Caller, str]:
    """Log in with an API token: the caller it names, and the secret of a new web session bound to the
    token's hash (valid SESSION_TTL). The token is checked against the database, never the cache."""
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        caller = ADMIN
    else:
        with ledger.engine.connect() as conn:
            org = registry.org_by_token(conn, token)
        if org is None:
            raise Unauthenticated("the bearer token is not valid", code="invalid_token")
        caller = Caller(org=org)
    now = datetime.now(UTC)
    with _transaction(ledger) as conn:
        secret = websessions.open_session(
            conn, org_id=caller.org_id, token_hash=registry.token_hash(token), now=now, expires=now + SESSION_TTL
        )
    return caller, secret


def web_session_caller(ledger: Ledger, secret: str, *, admin_token: str | None) -> Caller:
    """The caller of a live web session: not expired, not logged out, its token not rotated (for the
    admin: still the configured admin token); Unauthenticated otherwise."""
    with ledger.engine.connect() as conn:
        found = websessions.find_session(conn, secret, now=datetime.now(UTC))
    if found is not None and found.org is not None:
        return Caller(org=found.org)
    if found is not None and admin_token and hmac.compare_digest(found.token_hash, registry.token_hash(admin_token)):
        return ADMIN
    raise Unauthenticated("the web session has ended: log in again", code="session_ended")


def close_web_session(ledger: Ledger, secret: str) -> None:
    """Log out: the session's secret names nobody from now on."""
    with _transaction(ledger) as conn:
        websessions.end_session(conn, secret)


# -- organisations and keys -----------------------------------------------------------------------------


def create_org(
    ledger: Ledger,
    caller: Caller,
    *,
    org_id: str,
    name: str,
    roles: Sequence[str],
    manufacturer_codes: Sequence[str] = (),
    whitelisted: bool = False,
) -> OrgCreated:
    require_admin(caller, "create organisations")
    org = Org(org_id, name, parse_roles(roles), frozenset(manufacturer_codes), whitelisted)
    with _transaction(ledger) as conn:
        token = registry.create_org(conn, org, now=ledger.clock())
    return OrgCreated(org=OrgView.of(org), token=token)


def list_orgs(ledger: Ledger, caller: Caller) -> list[OrgView]:
    require_admin(caller, "list organisations")
    with ledger.engine.connect() as conn:
        return [OrgView.of(org) for org in registry.list_orgs(conn)]


def _key_view(record: registry.KeyRecord) -> KeyView:
    return KeyView(
        key_id=record.key_id,
        org=record.org,
        public_key=base64.b64encode(record.public_key).decode(),
        valid_from=registry.as_utc(record.valid_from),
        revoked_at=registry.as_utc(record.revoked_at) if record.revoked_at else None,
        platform_held=record.platform_held,
    )


def add_key(ledger: Ledger, caller: Caller, org_id: str, *, key_id: str, public_key: str) -> KeyView:
    """Register an Ed25519 public key (standard base64 of its 32 raw bytes) for `org_id`."""
    require_self_or_admin(caller, org_id, "register its keys")
    raw = registry.decode_public_key(public_key)
    with _transaction(ledger) as conn:
        record = registry.add_key(conn, org_id, key_id, raw, now=ledger.clock())
    return _key_view(record)


def revoke_key(ledger: Ledger, caller: Caller, org_id: str, key_id: str) -> KeyView:
    """Revoke a key from now on; revoking a revoked key changes nothing."""
    require_self_or_admin(caller, org_id, "revoke its keys")
    with write_connection(ledger.engine, durable=True) as conn, conn.begin():
        # Under the log head's lock, like an append: the revocation comes after every entry recorded so
        # far and before every later one (ledger/head.py).
        at = log_head.revocation_time(conn, log_head.lock(conn), ledger.clock)
        record = registry.revoke_key(conn, org_id, key_id, now=at)
    return _key_view(record)


def list_keys(ledger: Ledger, caller: Caller, org_id: str | None = None) -> list[KeyView]:
    """Every organisation's keys (the administrator), or one organisation's, with their validity, to any
    authenticated caller: they are public keys, which bundles hand to every organisation anyway."""
    with ledger.engine.connect() as conn:
        if org_id is None:
            require_admin(caller, "list every organisation's keys")
            records = sorted(registry.all_keys(conn).values(), key=lambda k: k.key_id)
        else:
            require_authenticated(caller, "listing an organisation's keys")
            if registry.get_org(conn, org_id) is None:
                raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
            records = registry.keys_of(conn, [org_id])
    return [_key_view(r) for r in records]


# -- submitting events ----------------------------------------------------------------------------------


def _result(appended: Appended) -> EventResult:
    return EventResult(
        entry=appended.entry,
        hash=appended.hash,
        index=appended.index,
        seq=appended.seq,
        created=appended.created,
    )


async def submit(ledger: Ledger, caller: Caller, claim: Any, sig: Any) -> Appended:
    """Append one signed claim of the caller's organisation (or answer its earlier entry), from an event
    loop, which it does not block."""
    org = require_org(caller, "posting events")
    return await ledger.append_one_async(claim, sig, as_org=org.id)


def submit_batch(ledger: Ledger, caller: Caller, items: Sequence[tuple[Any, Any]]) -> BatchResult:
    """Append signed claims atomically, in order; BatchRejected lists every failing position."""
    org = require_org(caller, "posting events")
    return BatchResult(results=[_result(a) for a in ledger.append(items, as_org=org.id)])


# -- packs ----------------------------------------------------------------------------------------------


def _checked_code(code: str) -> str:
    """Lenient parsing: a lookup accepts every code the record could hold, and names the bad field."""
    return parse_code(code, strict=False).code


def _unknown_pack(code: str) -> NotFoundError:
    return NotFoundError(f"unknown pack {code}", code="unknown_pack")


def get_pack_view(ledger: Ledger, caller: Caller, code: str) -> PackView:
    code = _checked_code(code)
    with ledger.engine.connect() as conn:
        row = get_pack(conn, code)
        if row is None:
            raise _unknown_pack(code)
        technical = produced_payloads(conn, [code]).get(code) if caller.authenticated else None
    return pack_view(row.state, row.head, caller, technical)


def _pack_head(ledger: Ledger, code: str) -> tuple[str, int]:
    """The pack's maker and the `seq` of its last entry; NotFoundError for an unknown pack."""
    with ledger.engine.connect() as conn:
        row = conn.execute(select(PACK.c.manufacturer, PACK.c.seq).where(PACK.c.code == code)).first()
    if row is None:
        raise _unknown_pack(code)
    return str(row.manufacturer), int(row.seq)


def _redactor(ledger: Ledger, caller: Caller, manufacturer: str) -> Redactor:
    """What `caller` may not read in free text: any organisation but itself and the pack's (public) maker."""
    if caller.tier is Tier.AUTHORITY:
        return Redactor()
    with ledger.engine.connect() as conn:
        orgs = registry.list_orgs(conn)
    seen = {caller.org_id, manufacturer}
    return Redactor(name for org in orgs if org.id not in seen for name in (org.id, org.name))


def _history(ledger: Ledger, caller: Caller, code: str, start: int, limit: int) -> tuple[list[HistoryItem], int]:
    """Up to `limit` entries of the chain from `seq` `start` as the caller may see them, and the chain's
    length (read first: a page never reaches past it, so a later page starts where this one ended)."""
    require_authenticated(caller, "reading a pack's history")
    manufacturer, last_seq = _pack_head(ledger, code)
    rows = ledger.pack_entries(code, start, max(0, min(limit, last_seq + 1 - start)))
    entries = [(json.loads(body), digest) for _, digest, body in rows]
    orgs = {actor: ledger.org(actor) for actor in {e["claim"]["actor"] for e, _ in entries}}
    redactor = _redactor(ledger, caller, manufacturer)
    items = [history_item(entry, digest, caller, orgs.__getitem__, redactor) for entry, digest in entries]
    return items, last_seq + 1


def _check_limit(limit: int, most: int) -> None:
    if not 1 <= limit <= most:
        raise InputError(f"limit must be 1 to {most}, found {limit}", code="invalid_filter")


def get_pack_history(
    ledger: Ledger, caller: Caller, code: str, *, cursor: str | None = None, limit: int = HISTORY_PAGE
) -> PackHistory:
    """One page of the pack's chain in `seq` order, at most MAX_HISTORY_PAGE entries; `next` is the cursor
    of the page after it (null on the last). Entries never change and only join at the end, so following
    the cursors reads every entry of the chain exactly once."""
    require_authenticated(caller, "reading a pack's history")
    _check_limit(limit, MAX_HISTORY_PAGE)
    code = _checked_code(code)
    start = _decode_seq_cursor(cursor) if cursor else 0
    items, total = _history(ledger, caller, code, start, limit)
    if start > total:
        raise InputError(f"cursor {cursor!r} is past the end of pack {code}'s chain", code="invalid_cursor")
    end = start + len(items)
    following = _seq_cursor(end) if end < total else None
    return PackHistory(code=code, tier=caller.tier, events=items, total=total, next=following)


def latest_pack_history(
    ledger: Ledger, caller: Caller, code: str, *, limit: int, before: int | None = None
) -> PackHistory:
    """The last `limit` entries of the chain before `seq` `before` (default: its end), for pages that show
    the latest events first; `next` is null (pages link by `seq`)."""
    require_authenticated(caller, "reading a pack's history")
    _check_limit(limit, MAX_HISTORY_PAGE)
    code = _checked_code(code)
    _, last_seq = _pack_head(ledger, code)
    end = last_seq + 1 if before is None else max(0, min(before, last_seq + 1))
    start = max(0, end - limit)
    items, total = _history(ledger, caller, code, start, end - start)
    return PackHistory(code=code, tier=caller.tier, events=items, total=total, next=None)


def get_pack_bundle(ledger: Ledger, caller: Caller, code: str) -> Iterator[bytes]:
    """The offline bundle as JSON, in pieces (a chain of any length is never held whole): the full bundle
    for the authority tier; for every other organisation the redacted one, in which an entry is disclosed
    only when the caller may read all of it (ledger.usecases.views.discloses) and is otherwise withheld whole."""
    require_authenticated(caller, "fetching a pack's bundle")
    code = _checked_code(code)
    if caller.tier is Tier.AUTHORITY:
        return bundle_chunks(ledger, code)
    manufacturer, _ = _pack_head(ledger, code)
    disclose = discloses(caller, manufacturer, _redactor(ledger, caller, manufacturer))
    return redacted_bundle_chunks(ledger, code, disclose, tier=caller.tier.value)


def _seq_cursor(seq: int) -> str:
    return _encode_cursor(f"seq:{seq}")


def _decode_seq_cursor(cursor: str) -> int:
    text = _decode_cursor(cursor)
    number = text.removeprefix("seq:")
    if text == number or not number.isascii() or not number.isdigit() or len(number) > 18:
        raise InputError(f"cursor {cursor[:40]!r} is not one this API gave out", code="invalid_cursor")
    return int(number)


def _decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        raise InputError(f"cursor {cursor[:40]!r} is not one this API gave out", code="invalid_cursor") from None


def _encode_cursor(code: str) -> str:
    return base64.urlsafe_b64encode(code.encode("ascii")).decode().rstrip("=")


def _checked_filter(where: PackFilter) -> PackFilter:
    if where.status is not None and where.status not in set(Status):
        raise InputError(f"unknown status {where.status!r}; statuses are: {', '.join(Status)}", code="invalid_filter")
    if where.chemistry is not None and where.chemistry not in CHEMISTRIES:
        raise InputError(
            f"unknown chemistry {where.chemistry!r}; chemistries are: {', '.join(get_args(Chemistry))}",
            code="invalid_filter",
        )
    if where.vin is not None:
        validate_vin(where.vin)
    if where.produced_from and where.produced_to and where.produced_from > where.produced_to:
        raise InputError(
            f"produced_from {where.produced_from} is after produced_to {where.produced_to}",
            code="invalid_filter",
        )
    return where


def list_packs(
    ledger: Ledger, caller: Caller, where: PackFilter, *, cursor: str | None = None, limit: int = 100
) -> PackPage:
    """Packs matching `where` in code order; a regulator sees all, an organisation those in its custody."""
    require_authenticated(caller, "listing packs")
    where = _checked_filter(where)
    if not 1 <= limit <= MAX_PACK_PAGE:
        raise InputError(f"limit must be 1 to {MAX_PACK_PAGE}, found {limit}", code="invalid_filter")
    if caller.tier is not Tier.AUTHORITY:
        own = require_org(caller, "listing packs").id
        if where.custodian not in (None, own):
            raise AuthorisationError(
                f"only a regulator may list packs in another organisation's custody; you are {caller.describe()}"
            )
        if where.vin is not None:
            raise AuthorisationError(f"only a regulator may search packs by VIN; you are {caller.describe()}")
        where = replace(where, custodian=own)
    after = _decode_cursor(cursor) if cursor else None
    with ledger.engine.connect() as conn:
        rows = find_packs(conn, where, after=after, limit=limit + 1)
        page = rows[:limit]
        technical = produced_payloads(conn, [r.state.code for r in page])
    return PackPage(
        packs=[pack_view(r.state, r.head, caller, technical.get(r.state.code)) for r in page],
        next=_encode_cursor(page[-1].state.code) if len(rows) > limit else None,
    )


# -- the log --------------------------------------------------------------------------------------------


def latest_checkpoint(ledger: Ledger) -> str:
    """The latest signed checkpoint note (C2SP tlog-checkpoint)."""
    checkpoint = ledger.latest_checkpoint()
    if checkpoint is None:
        raise NotFoundError("the log is empty: no checkpoint has been signed yet", code="empty_log")
    return checkpoint.note


def log_key(ledger: Ledger) -> LogKey:
    raw = ledger.signer.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return LogKey(
        origin=ledger.signer.origin,
        verifier_key=ledger.signer.verifier_key,
        public_key=base64.b64encode(raw).decode(),
    )


def log_entries(ledger: Ledger, caller: Caller, start: int, end: int | None = None) -> LogEntries:
    """Entries [start, end) in index order, at most 1,000; `end` defaults to a full page or the log's end."""
    require_authority(caller, "read the log's entries")
    if start < 0:
        raise InputError(f"start must not be negative, found {start}", code="invalid_range")
    if end is not None and end < start:
        raise InputError(f"end {end} is before start {start}", code="invalid_range")
    if end is not None and end - start > MAX_LOG_PAGE:
        raise InputError(
            f"at most {MAX_LOG_PAGE} entries a page: [{start}, {end}) holds {end - start}",
            code="range_too_large",
        )
    size = ledger.size()
    stop = max(start, min(start + MAX_LOG_PAGE if end is None else end, size))
    entries = [LogEntry(index=i, hash=h, entry=json.loads(body)) for i, h, body in ledger.entries(start, stop)]
    return LogEntries(start=start, end=stop, tree_size=size, entries=entries)


def iter_entries(ledger: Ledger, *, page: int = MAX_LOG_PAGE) -> Iterator[bytes]:
    """Every entry's canonical bytes in index order (for `packtrace export`)."""
    size = ledger.size()
    for start in range(0, size, page):
        for _, _, body in ledger.entries(start, min(start + page, size)):
            yield body


def inclusion_proof(ledger: Ledger, index: int, size: int) -> InclusionProof:
    hashes = ledger.inclusion_proof(index, size)
    return InclusionProof(index=index, tree_size=size, hashes=[h.hex() for h in hashes])


def consistency_proof(ledger: Ledger, old: int, new: int) -> ConsistencyProof:
    hashes = ledger.consistency_proof(old, new)
    return ConsistencyProof(old=old, new=new, hashes=[h.hex() for h in hashes])
