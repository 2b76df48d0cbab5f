"""Appending registry entries: organisations, their keys and the log's own key (docs/ledger-format.md §5).

A registry change is an entry of the same log as the battery events, written like one: under the log
head's lock, with its Merkle nodes and a signed checkpoint, in one transaction that also writes the
registry's projection rows (`org`, `org_key`). The rule that admits it is `events.registry.Registry.apply`,
folded here onto the registry as the projection holds it, and by `packtrace verify` onto the registry the
log's own entries make: one rule for both.

Registry changes are rare, so they do not join the group commit: each call is its own transaction,
ordered with appends by the head's lock. An append that takes the lock afterwards reads the new rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.errors import ConflictError, InvalidClaim
from events.registry import Registry, new_registry_claim, org_subject, parse_registry_claim, registered_data
from events.timestamps import format_recorded_at
from ledger.append.head import revocation_time
from ledger.append.outcome import Appended
from ledger.append.unit import write_log
from ledger.format import ed25519
from ledger.format.canonical import canonical, entry_hash, registry_entry_bytes
from ledger.format.logkey import LogSigner
from ledger.store import appending, logmeta, registry
from ledger.store import head as stored_head
from ledger.store import heads as head_commitments
from ledger.store.appending import EntryRow
from ledger.store.driver import Connection

RegistryItem = tuple[dict[str, Any], str | None]  # a registry claim and its signature (None: unsigned)
AfterWrite = Callable[[Connection, list[Appended]], None]  # rows outside the log, in the same transaction


@dataclass(frozen=True)
class RegistryWrite:
    """What one registry transaction wrote: the entries, and the log's new size."""

    appended: list[Appended]
    size: int


def actor_column(claim: dict[str, Any]) -> str:
    """The `entry.actor` of a registry entry: its signer or token holder, else `@admin`, `@migration`,
    `@log` (never an organisation id, which cannot start with '@')."""
    actor = claim.get("actor")
    return str(actor) if actor else f"@{claim['by']}"


def _signature_check(claim_bytes: bytes, sig: str | None) -> Callable[[bytes], bool] | None:
    if sig is None:
        return None

    def check(public_key: bytes) -> bool:
        try:
            signature = base64.b64decode(sig, validate=True)
        except ValueError:
            return False
        return ed25519.verify(public_key, signature, claim_bytes)  # the one verifier (ledger.format.ed25519)

    return check


def write_registry(
    conn: Connection,
    signer: LogSigner,
    clock: Callable[[], datetime],
    items: Sequence[RegistryItem],
    *,
    after: AfterWrite | None = None,
    start_empty: bool = False,
) -> RegistryWrite:
    """Inside the caller's transaction: lock the head, fold each claim onto the registry in force, stage
    its entry, then write entries, nodes, checkpoint and projection rows. Raises the first refusal (the
    caller's transaction then rolls back: all of `items` or none)."""
    size = stored_head.lock(conn)
    # Strictly after every entry recorded so far (ledger.append.head): a revocation's time then orders it
    # after them for a verifier reading times as well as positions.
    now = revocation_time(conn, size, clock)
    recorded_at = format_recorded_at(now)
    log_keys = logmeta.key_state_at(conn, size)  # the log's own key, by its own entries (ledger.format.logkeys)
    state = (
        Registry()
        if start_empty
        else Registry(
            orgs={r.id: r for r in registry.org_records(conn)},
            keys={k.key_id: k for k in registry.key_states(conn)},
            log_keys=[] if log_keys is None else list(log_keys.in_force),
            rollover=None if log_keys is None or log_keys.next is None else (log_keys.current, log_keys.next),
            heads_size=head_commitments.covered_size(conn),
        )
    )
    rows: list[EntryRow] = []
    appended: list[Appended] = []
    heads: dict[str, tuple[str | None, int]] = {}
    touched_orgs: set[str] = set()
    for claim, sig in items:
        parsed = parse_registry_claim(claim)
        if (sig is None) != (parsed.by != "signature"):
            raise InvalidClaim("a registry claim carries a signature exactly when it is authorised by 'signature'")
        claim_bytes = canonical(claim)
        actor = actor_column(claim)
        earlier = appending.recorded_ids(conn, {actor: [claim["id"]]}).get((actor, claim["id"]))
        if earlier is not None and canonical(json.loads(earlier.body)["claim"]) == claim_bytes:
            # a retry of a recorded claim: its entry again, as for a pack's claim
            appended.append(Appended(earlier.body, earlier.hash, earlier.idx, earlier.seq, created=False))
            continue
        if earlier is not None or any(row[4] == actor and row[5] == claim["id"] for row in rows):
            where = f" (entry {earlier.idx})" if earlier is not None else " twice in one request"
            raise ConflictError(
                f"claim id {claim['id']} of {actor!r} was already used for a different claim{where}",
                code="claim_id_reused",
            )
        index = size + len(rows)
        touched_orgs.add(state.apply(index, now, claim, _signature_check(claim_bytes, sig)))
        subject = parsed.subject
        prev, last_seq = heads.get(subject) or registry.subject_head(conn, subject)
        data = registry_entry_bytes(
            index=index, subject=subject, seq=last_seq + 1, prev=prev, recorded_at=recorded_at,
            claim_bytes=claim_bytes, sig=sig,
        )  # fmt: skip
        digest = entry_hash(data)
        heads[subject] = (digest, last_seq + 1)
        rows.append((index, subject, last_seq + 1, digest, actor, claim["id"], parsed.type.value, claim["at"],
                     recorded_at, data))  # fmt: skip
        appended.append(Appended(data, digest, index, last_seq + 1, created=True))
    if not rows:
        return RegistryWrite(appended, size)
    written = write_log(conn, signer, size, appending.frontier(conn, size), rows, now)
    for org_id in sorted(touched_orgs - {""}):
        registry.put_org(conn, state.orgs[org_id], now=now)
    for key in state.keys.values():
        if key.added >= size or (key.revoked is not None and key.revoked >= size):
            registry.put_key(conn, key)
    if after is not None:
        after(conn, appended)
    return RegistryWrite(appended, written.size)


def import_registry(conn: Connection, signer: LogSigner, clock: Callable[[], datetime]) -> RegistryWrite | None:
    """A database made before the registry was in the log: its organisations and keys become the log's
    registry entries, authorised by `migration`, appended after every entry it holds (history is never
    rewritten). Each migrated key keeps its time window, so the entries recorded before verify as they did.
    Nothing to do (None) when the log records the registry already or there is none."""
    if registry.org_count(conn) == 0 or registry.has_registry_entries(conn):
        return None
    items: list[RegistryItem] = []
    created = registry.org_created(conn)
    for record in registry.org_records(conn):
        data = registered_data(record.at(clock()))  # no whitelist history before the registry was logged
        at = created.get(record.id) or clock()
        items.append((new_registry_claim(subject=org_subject(record.id), type="org_registered", by="migration",
                                         data=data, at=at), None))  # fmt: skip
    for key in sorted(registry.all_keys(conn).values(), key=lambda k: (k.org, k.valid_from, k.key_id)):
        data = {
            "key_id": key.key_id,
            "public_key": base64.b64encode(key.public_key).decode(),
            "platform_held": key.platform_held,
            "valid_from": format_recorded_at(key.valid_from),
            "revoked_at": None if key.revoked_at is None else format_recorded_at(key.revoked_at),
        }
        items.append((new_registry_claim(subject=org_subject(key.org), type="key_added", by="migration", data=data,
                                         at=key.valid_from), None))  # fmt: skip
    return write_registry(conn, signer, clock, items, start_empty=True)
