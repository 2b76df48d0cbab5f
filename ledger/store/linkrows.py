"""The `component_link` projection (events.components): written by the append, rebuilt from the log by
ledger.usecases.components, read by the recall trace by cell or module code (`holders`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, and_, delete, func, insert, inspect, or_, select, update

from events.components import Closed, Folded, OpenLink
from ledger.store.schema import COMPONENT_LINK, ENTRY

_IN_CHUNK = 500
LINKING_TYPES = ("produced", "serviced", "dismantled")


class LinkRow(NamedTuple):
    """One link, open (`end_idx` None) or closed."""

    child: str
    start_idx: int
    parent: str
    kind: str
    start_at: str
    end_idx: int | None = None
    end_at: str | None = None


class Holding(NamedTuple):
    """A pack that held the asked-for code: directly (`via` None) or through the module `via`, from `start_at`
    to `end_at` (None: it still does, as far as the record knows)."""

    pack: str
    via: str | None
    start_idx: int
    start_at: str
    end_idx: int | None
    end_at: str | None


def exists(engine: Engine) -> bool:
    """Whether the database has the table (one made before it had none)."""
    return inspect(engine).has_table(COMPONENT_LINK.name)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _open(row: Any) -> OpenLink:
    return OpenLink(row.parent, row.child, row.kind, int(row.start_idx), row.start_at)


def open_links(conn: Connection, children: Iterable[str]) -> dict[str, OpenLink]:
    """The open link of each of `children` that has one, and of each module those are in."""
    found: dict[str, OpenLink] = {}
    wanted = sorted(set(children))
    asked = set(wanted)
    while wanted:
        for chunk in _chunks(wanted):
            stmt = select(COMPONENT_LINK).where(COMPONENT_LINK.c.child.in_(chunk), COMPONENT_LINK.c.end_idx.is_(None))
            found.update((row.child, _open(row)) for row in conn.execute(stmt))
        parents = {link.parent for link in found.values() if link.kind == "cell" and link.parent[3:4] == "M"}
        wanted = sorted(parents - asked)
        asked |= parents
    return found


def write(conn: Connection, changes: Sequence[Folded]) -> None:
    """Record what an append group's entries opened and closed, in index order (a link one of them opened may
    close with a later one)."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    opened: dict[str, tuple[str, int]] = {}  # child -> its link opened in this group, still open
    updates: list[Closed] = []
    for folded in changes:
        for end in folded.closed:
            key = opened.pop(end.child, None)
            if key is not None:
                rows[key] |= {"end_idx": end.end_idx, "end_at": end.end_at}
            else:
                updates.append(end)
        for link in folded.opened:
            rows[(link.child, link.start_idx)] = _row(link)
            opened[link.child] = (link.child, link.start_idx)
    for end in updates:
        conn.execute(
            update(COMPONENT_LINK)
            .where(COMPONENT_LINK.c.child == end.child, COMPONENT_LINK.c.end_idx.is_(None))
            .values(end_idx=end.end_idx, end_at=end.end_at)
        )
    if rows:
        conn.execute(insert(COMPONENT_LINK), list(rows.values()))


def _row(link: OpenLink) -> dict[str, Any]:
    return {
        "child": link.child,
        "start_idx": link.start_idx,
        "parent": link.parent,
        "kind": link.kind,
        "start_at": link.start_at,
        "end_idx": None,
        "end_at": None,
    }


def add_rows(conn: Connection, rows: Sequence[LinkRow]) -> None:
    if rows:
        conn.execute(insert(COMPONENT_LINK), [row._asdict() for row in rows])


def clear(conn: Connection) -> None:
    conn.execute(delete(COMPONENT_LINK))


def all_rows(conn: Connection) -> list[LinkRow]:
    stmt = select(*(COMPONENT_LINK.c[name] for name in LinkRow._fields)).order_by(
        COMPONENT_LINK.c.start_idx, COMPONENT_LINK.c.child
    )
    return [
        LinkRow(row[0], int(row[1]), row[2], row[3], row[4], None if row[5] is None else int(row[5]), row[6])
        for row in conn.execute(stmt)
    ]


def held_by(conn: Connection, parent: str) -> list[LinkRow]:
    """What `parent` holds now (its open links), in the order they were put in."""
    stmt = (
        select(*(COMPONENT_LINK.c[name] for name in LinkRow._fields))
        .where(COMPONENT_LINK.c.parent == parent, COMPONENT_LINK.c.end_idx.is_(None))
        .order_by(COMPONENT_LINK.c.start_idx, COMPONENT_LINK.c.child)
    )
    return [LinkRow(row[0], int(row[1]), row[2], row[3], row[4]) for row in conn.execute(stmt)]


def linking_entries(conn: Connection) -> Iterator[tuple[int, str, str, str, bytes]]:
    """(index, pack, type, at, stored bytes) of every entry that may open or close a link, in index order."""
    stmt = (
        select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.type, ENTRY.c.at, ENTRY.c.body)
        .where(ENTRY.c.type.in_(LINKING_TYPES))
        .order_by(ENTRY.c.idx)
    )
    for idx, pack, kind, at, body in conn.execute(stmt):
        yield int(idx), pack, kind, at, bytes(body)


def holders(conn: Connection, code: str) -> list[Holding]:
    """Every pack that ever held `code` (a module or a cell), directly or through a module while the module held
    it, in order of the start of the holding. (A parent whose product type, the code's 4th character, is `M` is a
    module, never a pack.) One query on the link index: the code's own links to packs, and
    the links of the modules that held it, joined where the two intervals overlap."""
    child = COMPONENT_LINK.alias("child")
    module = COMPONENT_LINK.alias("module")
    direct = select(child.c.parent, child.c.start_idx, child.c.start_at, child.c.end_idx, child.c.end_at).where(
        child.c.child == code, func.substr(child.c.parent, 4, 1) != "M"
    )
    found = [
        Holding(p, None, int(si), sa, None if ei is None else int(ei), ea) for p, si, sa, ei, ea in conn.execute(direct)
    ]
    # through a module: the module's link to a pack overlaps the module's link to the cell
    overlap = and_(
        module.c.child == child.c.parent,
        module.c.kind == "module",
        or_(child.c.end_idx.is_(None), module.c.start_idx < child.c.end_idx),
        or_(module.c.end_idx.is_(None), child.c.start_idx < module.c.end_idx),
    )
    via = (
        select(
            module.c.parent,
            child.c.parent,
            module.c.start_idx,
            module.c.start_at,
            child.c.start_idx,
            child.c.start_at,
            module.c.end_idx,
            module.c.end_at,
            child.c.end_idx,
            child.c.end_at,
        )
        .select_from(child.join(module, overlap))
        .where(child.c.child == code)
    )
    for pack, mod, m_si, m_sa, c_si, c_sa, m_ei, m_ea, c_ei, c_ea in conn.execute(via):
        start = (int(m_si), m_sa) if int(m_si) >= int(c_si) else (int(c_si), c_sa)
        ends = [(int(i), a) for i, a in ((m_ei, m_ea), (c_ei, c_ea)) if i is not None]
        end = min(ends) if ends else (None, None)
        found.append(Holding(pack, mod, start[0], start[1], end[0], end[1]))
    return sorted(found, key=lambda h: (h.start_idx, h.pack))
