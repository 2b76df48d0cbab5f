"""Head commitments' storage (ledger.format.heads): every chain's head as the log stood at a size, and the
trees of the latest commitments, so that a bundle can prove its pack's head with a few stored nodes.

A commitment's tree is written in the transaction that appends its entry; only the latest `KEPT`
commitments keep theirs (older ones stay provable by anyone who rebuilds them from the log, as `verify`
does)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from events.registry import HEADS_SUBJECT, REGISTRY_TYPES, RegistryType
from events.timestamps import format_recorded_at
from ledger.format import heads as fmt
from ledger.format import merkle
from ledger.store.driver import Connection
from ledger.store.schema import ENTRY, HEAD_LEAF, HEAD_NODE, PACK, node_id, node_key

KEPT = 2  # commitments whose trees are kept however old (a bundle keeps a proof while a newer one lands)
RETAINED = timedelta(hours=1)  # and every commitment's tree for this long (a bundle streamed meanwhile)
WRITE_CHUNK = 5_000


def chain_heads(conn: Connection) -> list[fmt.Head]:
    """Every chain's last entry as this connection's transaction sees the log: packs from their projection
    rows (written with their entries), registry subjects (`org:<id>`, `log`, any other) from the entries
    themselves; `heads` excluded."""
    found = [
        fmt.Head(str(r.code), int(r.last_index), int(r.seq), str(r.head))
        for r in conn.execute(select(PACK.c.code, PACK.c.last_index, PACK.c.seq, PACK.c.head))
    ]
    # registry chains: every subject with an entry of a registry type (ix_entry_type_at serves the lookup)
    registry = ENTRY.c.type.in_(sorted(REGISTRY_TYPES - {RegistryType.HEADS_COMMITTED.value}))
    last = select(ENTRY.c.pack, func.max(ENTRY.c.seq).label("seq")).where(registry).group_by(ENTRY.c.pack).subquery()
    rows = conn.execute(
        select(ENTRY.c.pack, ENTRY.c.idx, ENTRY.c.seq, ENTRY.c.hash).join(
            last, (ENTRY.c.pack == last.c.pack) & (ENTRY.c.seq == last.c.seq)
        )
    )
    found.extend(fmt.Head(str(r.pack), int(r.idx), int(r.seq), str(r.hash)) for r in rows)
    return found


def latest_commitment(conn: Connection) -> tuple[int, dict[str, object]] | None:
    """(entry index, entry object) of the log's latest head commitment, if any."""
    row = conn.execute(
        select(ENTRY.c.idx, ENTRY.c.body).where(ENTRY.c.pack == HEADS_SUBJECT).order_by(ENTRY.c.seq.desc()).limit(1)
    ).first()
    return None if row is None else (int(row.idx), json.loads(bytes(row.body)))


def commitment_indices(conn: Connection, from_index: int) -> list[int]:
    """Indices of the head commitments at `from_index` or later, in order."""
    rows = conn.execute(
        select(ENTRY.c.idx).where((ENTRY.c.pack == HEADS_SUBJECT) & (ENTRY.c.idx >= from_index)).order_by(ENTRY.c.idx)
    )
    return [int(i) for i in rows.scalars()]


def covered_size(conn: Connection) -> int:
    """The log size the latest head commitment covers (0: none yet)."""
    latest = latest_commitment(conn)
    if latest is None:
        return 0
    claim = latest[1]["claim"]
    assert isinstance(claim, dict)
    return int(claim["data"]["size"])


def uncovered(conn: Connection, size: int) -> bool:
    """Whether an entry other than a head commitment has index `size` or more (a commitment covering the
    log at `size` then misses it)."""
    found = conn.execute(
        select(ENTRY.c.idx).where((ENTRY.c.idx >= size) & (ENTRY.c.pack != HEADS_SUBJECT)).limit(1)
    ).first()
    return found is not None


def store_tree(conn: Connection, commitment: int, tree: fmt.HeadTree, now: datetime) -> None:
    """Write a commitment's leaf positions and nodes (inside its entry's transaction), and drop the trees
    of commitments older than the latest `KEPT` and recorded more than RETAINED before `now`."""
    leaves = [
        {"commitment": commitment, "subject": h.subject, "position": p, "idx": h.index, "seq": h.seq, "hash": h.hash}
        for p, h in enumerate(tree.heads)
    ]
    for start in range(0, len(leaves), WRITE_CHUNK):
        conn.execute(insert(HEAD_LEAF), leaves[start : start + WRITE_CHUNK])
    nodes = [{"commitment": commitment, "id": node_id(*key), "hash": digest} for key, digest in tree.nodes.items()]
    for start in range(0, len(nodes), WRITE_CHUNK):
        conn.execute(insert(HEAD_NODE), nodes[start : start + WRITE_CHUNK])
    kept = conn.execute(
        select(ENTRY.c.idx).where(ENTRY.c.pack == HEADS_SUBJECT).order_by(ENTRY.c.seq.desc()).limit(KEPT)
    ).scalars()
    recent = conn.execute(  # a bundle being streamed keeps its commitment's tree however many follow
        select(func.min(ENTRY.c.idx)).where(
            (ENTRY.c.pack == HEADS_SUBJECT) & (ENTRY.c.recorded_at >= format_recorded_at(now - RETAINED))
        )
    ).scalar()
    oldest = min([commitment, *(int(i) for i in kept), *([] if recent is None else [int(recent)])])
    conn.execute(delete(HEAD_LEAF).where(HEAD_LEAF.c.commitment < oldest))
    conn.execute(delete(HEAD_NODE).where(HEAD_NODE.c.commitment < oldest))


def head_proof(conn: Connection, commitment: int, subject: str, count: int) -> tuple[fmt.Head, int, list[bytes]] | None:
    """(head, position, inclusion proof) of `subject` in the commitment's stored tree; None when the tree is
    no longer kept or the subject had no entry then."""
    row = conn.execute(
        select(HEAD_LEAF.c.position, HEAD_LEAF.c.idx, HEAD_LEAF.c.seq, HEAD_LEAF.c.hash).where(
            (HEAD_LEAF.c.commitment == commitment) & (HEAD_LEAF.c.subject == subject)
        )
    ).first()
    if row is None:
        return None
    position = int(row.position)
    keys = sorted(fmt.proof_keys(position, count))
    nodes: dict[merkle.Key, bytes] = {}
    for start in range(0, len(keys), 400):
        ids = [node_id(*k) for k in keys[start : start + 400]]
        rows = conn.execute(
            select(HEAD_NODE.c.id, HEAD_NODE.c.hash).where(
                (HEAD_NODE.c.commitment == commitment) & HEAD_NODE.c.id.in_(ids)
            )
        )
        nodes.update((node_key(int(r.id)), bytes(r.hash)) for r in rows)
    head = fmt.Head(subject, int(row.idx), int(row.seq), str(row.hash))
    return head, position, fmt.proof(position, count, nodes)
