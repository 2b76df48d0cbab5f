"""What someone with write access to the database (and, for `rewrite_tree`, the log's key) could do to a
log's rows: the attacks `packtrace verify --incremental` must find (tests/ledger/test_incremental_verify.py,
features/ledger.feature)."""

from __future__ import annotations

import hashlib
import json

import rfc8785
from sqlalchemy import text

from ledger.format import merkle
from ledger.log import Ledger
from ledger.store.schema import node_id


def edit_mass(ledger: Ledger, index: int, mass: float) -> None:
    """Put a `mass_kg` into an entry's payload and store the bytes' hash, as an editor of the rows would."""
    with ledger.engine.begin() as conn:
        row = conn.execute(text("SELECT body FROM entry WHERE idx = :i"), {"i": index}).scalar_one()
        entry = json.loads(bytes(row))
        entry["claim"]["data"]["mass_kg"] = mass
        body = rfc8785.dumps(entry)
        conn.execute(
            text("UPDATE entry SET body = :b, hash = :h WHERE idx = :i"),
            {"b": body, "h": hashlib.sha256(body).hexdigest(), "i": index},
        )


def rewrite_tree(ledger: Ledger) -> None:
    """What an operator holding the log's key could do after editing rows: rebuild every Merkle node from
    the stored entries and sign the latest checkpoint again over them."""
    with ledger.engine.begin() as conn:
        bodies = conn.execute(text("SELECT body FROM entry ORDER BY idx"))
        leaves = [merkle.leaf_hash(bytes(body)) for (body,) in bodies]
        nodes, _ = merkle.append_leaves(0, [], leaves)
        for (level, idx), digest in nodes:
            update = text("UPDATE merkle_node SET hash = :h WHERE id = :i")
            conn.execute(update, {"h": digest, "i": node_id(level, idx)})
        size, root = len(leaves), merkle.root(leaves)
        signed = ledger.signer.sign_checkpoint(size, root)
        update = text("UPDATE checkpoint SET root = :r, note = :n WHERE size = :s")
        conn.execute(update, {"r": root, "n": signed, "s": size})
