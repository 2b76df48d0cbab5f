"""The append transaction's working set: what it read under the lock, once for the whole group of
requests, and the packs as the group has changed them so far."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from events.components import Folded, OpenLink
from events.orgs import Org
from events.registry import OrgRecord
from events.state import PackState
from events.timestamps import format_recorded_at
from ledger.append.outcome import Appended
from ledger.format.claims import SignedClaim
from ledger.store import appending, correctionrows, linkrows
from ledger.store.appending import EntryRow, PackWrite, RecordedClaim, SigningKey
from ledger.store.correctionrows import CorrectionRow
from ledger.store.driver import Connection

Heads = dict[str, tuple[str | None, int]]  # code -> (head hash, last seq)
OrgReader = Callable[[Connection, str], OrgRecord | None]  # the registry's read of one organisation


@dataclass
class Pending:
    conn: Connection
    size: int  # the log's size when the group began
    now: datetime  # the recording time of the group's entries
    recorded: Mapping[tuple[str, str], RecordedClaim]  # entries already recorded for the group's (actor, id)
    keys: Mapping[str, SigningKey]  # the group's keys, read under the lock
    read_org: OrgReader
    orgs: dict[str, OrgRecord | None] = field(default_factory=dict)
    states: dict[str, PackState | None] = field(default_factory=dict)
    heads: Heads = field(default_factory=dict)
    existed: set[str] = field(default_factory=set)  # packs stored before the group
    rows: list[EntryRow] = field(default_factory=list)  # the entries staged by the requests accepted so far
    touched: dict[str, int] = field(default_factory=dict)  # pack -> index of its last staged entry
    claimed: dict[tuple[str, str], tuple[bytes, Appended]] = field(default_factory=dict)  # staged in this group
    corrections: list[CorrectionRow] = field(default_factory=list)  # of the staged entries, in index order
    stored_links: dict[str, OpenLink | None] = field(default_factory=dict)  # open links read (None: none)
    links: list[tuple[int, Folded]] = field(default_factory=list)  # what the staged entries open and close
    recorded_at: str = ""

    def __post_init__(self) -> None:
        self.recorded_at = format_recorded_at(self.now)

    @classmethod
    def read(
        cls,
        conn: Connection,
        size: int,
        now: datetime,
        claims: Sequence[SignedClaim],
        orgs: Mapping[str, OrgRecord],
        read_org: OrgReader,
    ) -> Pending:
        """What every request of the group needs from the database, read once (`orgs`: known already)."""
        recorded = appending.recorded_claims(conn, claims)
        keys = appending.signing_keys(conn, {sc.key_id for sc in claims})
        pending = cls(conn, size, now, recorded, keys, read_org, orgs=dict(orgs))
        codes = [sc.pack for sc in claims]
        for sc in claims:
            origins = sc.claim["data"].get("from") if sc.type == "produced" else None
            if isinstance(origins, list):
                codes.extend(str(c) for c in origins)
        pending.load(codes)
        return pending

    def org(self, org_id: str) -> Org | None:
        """The organisation as it stands for entries recorded now (its 规范条件 status on this date)."""
        if org_id not in self.orgs:
            self.orgs[org_id] = self.read_org(self.conn, org_id)
        record = self.orgs[org_id]
        return None if record is None else record.at(self.now)

    def pack(self, code: str) -> PackState | None:
        if code not in self.states:
            self.load([code])
        return self.states[code]

    def load(self, codes: Sequence[str]) -> None:
        wanted = sorted({c for c in codes if c not in self.states})
        for stored in appending.packs(self.conn, wanted):
            self.states[stored.code] = stored.state
            self.heads[stored.code] = (stored.head, stored.seq)
            self.existed.add(stored.code)
        for code in wanted:
            self.states.setdefault(code, None)
            self.heads.setdefault(code, (None, -1))

    def snapshot(self) -> tuple[dict[str, PackState | None], Heads]:
        return dict(self.states), dict(self.heads)

    def restore(self, saved: tuple[dict[str, PackState | None], Heads]) -> None:
        self.states, self.heads = saved

    def discard_from(self, mark: int) -> None:
        """Unstage the entries from position `mark` on (a refused request's), with their corrections."""
        del self.rows[mark:]
        self.corrections = [c for c in self.corrections if c.idx < self.next_index]
        self.links = [(idx, folded) for idx, folded in self.links if idx < self.next_index]

    def open_links(self, children: Sequence[str]) -> dict[str, OpenLink]:
        """The open links (events.components) of `children` and of the modules they are in, as the staged
        entries leave them."""
        for _ in range(2):  # the second round: the modules of cells the staged entries put into modules
            missing = [code for code in children if code not in self.stored_links]
            if missing:
                self.stored_links.update(dict.fromkeys(missing))
                self.stored_links.update(linkrows.open_links(self.conn, missing))
            view = {code: link for code, link in self.stored_links.items() if link is not None}
            for _, folded in self.links:
                for end in folded.closed:
                    view.pop(end.child, None)
                view.update((link.child, link) for link in folded.opened)
            children = [link.parent for link in view.values() if link.kind == "cell" and link.parent[3:4] == "M"]
        return view

    def corrected_data(self, target: int) -> dict[str, Any] | None:
        """The values of entry `target` after its latest correction, staged or stored (None: uncorrected)."""
        staged = [c for c in self.corrections if c.target == target]
        return staged[-1].data if staged else correctionrows.current_data(self.conn, target)

    @property
    def next_index(self) -> int:
        return self.size + len(self.rows)

    def changed_packs(self) -> Iterator[PackWrite]:
        """The packs the staged entries change, as the store writes them."""
        for code, last_index in self.touched.items():
            state, (head, seq) = self.states[code], self.heads[code]
            assert state is not None and head is not None
            yield code, state, head, seq, last_index
