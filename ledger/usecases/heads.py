"""Committing to every chain's head (docs/ledger-format.md §6.4): the log appends a `heads_committed`
entry holding the root of the tree over each chain's last entry, so that a bundle can prove it ends where
the chain did.

The heads are read from one snapshot of the log (size S); the entry, appended after, says `size: S`. A
commitment is made when a bundle needs one (its pack's head is newer than the latest commitment) or by
`packtrace log commit-heads`; none is made when no entry but commitments followed the latest one."""

from __future__ import annotations

from dataclasses import dataclass

from events.errors import PacktraceError
from events.registry import HEADS_SUBJECT, By, RegistryType, new_registry_claim
from ledger.append.outcome import Appended
from ledger.format import heads as fmt
from ledger.log import Ledger
from ledger.store import heads, snapshot
from ledger.store.driver import Connection


@dataclass(frozen=True)
class Committed:
    """A head commitment: its entry's index, the log size it covers, its leaves and root."""

    index: int
    size: int
    count: int
    root: str


def latest(ledger: Ledger) -> Committed | None:
    with ledger.engine.connect() as conn:
        found = heads.latest_commitment(conn)
    if found is None:
        return None
    index, entry = found
    data = entry["claim"]["data"]  # type: ignore[index]
    return Committed(index, int(data["size"]), int(data["count"]), str(data["root"]))


def commit_heads(ledger: Ledger) -> Committed | None:
    """Append a head commitment covering the log as it stands now; None when the latest one covers every
    entry but commitments already."""
    with snapshot.snapshot(ledger.engine) as conn:
        size = snapshot.log_size(conn)
        if not heads.uncovered(conn, heads.covered_size(conn)):
            return None
        tree = fmt.build(heads.chain_heads(conn))
    root = tree.root.hex()
    claim = new_registry_claim(
        subject=HEADS_SUBJECT,
        type=RegistryType.HEADS_COMMITTED,
        by=By.LOG,
        data={"size": size, "count": tree.count, "root": root},
        at=ledger.clock(),
    )

    def store(conn: Connection, appended: list[Appended]) -> None:
        heads.store_tree(conn, appended[0].index, tree, ledger.clock())

    try:
        appended = ledger.append_registry([(claim, None)], after=store)
    except PacktraceError as exc:
        if exc.code == "heads_behind":  # a commitment covering more landed meanwhile
            return latest(ledger)
        raise
    return Committed(appended[0].index, size, tree.count, root)


def ensure_covered(ledger: Ledger, index: int) -> Committed:
    """The latest head commitment, made now if it does not cover the entry at `index`."""
    current = latest(ledger)
    if current is not None and current.size > index:
        return current
    made = commit_heads(ledger)
    if made is None or made.size <= index:  # lost a race to a commitment of a smaller size: once more
        made = commit_heads(ledger) or latest(ledger)
    assert made is not None and made.size > index
    return made
