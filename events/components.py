"""Modules and cells (模组, 单体/电芯): what held what, and when, as time-bounded parent/child links.

A pack holds modules and may hold cells directly (cell-to-pack designs); a module holds cells. A link opens
with the entry that puts the child in its parent and closes with the entry that takes it out, so "which
packs ever held cell X" is read from the links, not by replaying chains (ledger.store.linkrows).

    produced          opens pack→module for each of `modules`, module→cell for each cell of
                      `module_cells`, and pack→cell for each of `cells` no module holds
                      (a module's own chain, `recovered_from` a dismantled pack: the module must be out
                      of every pack; the cells it lists that are in it already stay linked)
    serviced          each of `replaced_modules` closes pack→`old` and opens pack→`new` (and
                      module→cell for `new_cells`, a replacement module's cells not on record yet)
    dismantled        each output with a module code closes pack→module; with a cell code, the cell's
                      link to this pack or to a module in it

A child has at most one open link: a module is in one pack at a time, a cell in one module or pack. An
entry that would put a child in a second parent is refused (`LifecycleError`), as is a replacement naming as
`old` a module the record holds in another pack, and a `dismantled` output taken from another pack. What the
record does not know (a pack produced without `modules`) is no refusal: the replacement opens the new link
only, the output closes nothing. A module's cells travel with it: they stay linked to the module, so the
packs that held a cell are those that held the module while the module held the cell.

The rules here are pure: `fold` takes the links open now among the children an entry names
(`children_named`) and gives the links it closes and opens. The append applies them under the log's lock
(ledger.append.steps), `verify` replays them from the log and compares (ledger.usecases.components).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from events.catalogue import DismantledData, EventType, ProducedData, ServicedData, parse_payload
from events.errors import LifecycleError

ChildKind = Literal["module", "cell"]
LINKING_EVENTS = frozenset({EventType.PRODUCED, EventType.SERVICED, EventType.DISMANTLED})


@dataclass(frozen=True)
class OpenLink:
    """A child in its parent since the entry `start_idx` (dated `start_at`), not taken out since."""

    parent: str
    child: str
    kind: ChildKind
    start_idx: int
    start_at: str


@dataclass(frozen=True)
class Closed:
    """The link of `child` to `parent` ends with the entry `end_idx`, dated `end_at`."""

    parent: str
    child: str
    end_idx: int
    end_at: str


@dataclass(frozen=True)
class Folded:
    closed: tuple[Closed, ...] = ()
    opened: tuple[OpenLink, ...] = ()


def may_link(event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether the entry can open or close a link at all, read from the raw payload without validating it (the
    append's hot path: a `produced` without modules or cells skips the rest)."""
    if event_type == EventType.PRODUCED:
        return bool(data.get("modules") or data.get("cells") or data.get("recovered_from"))
    if event_type == EventType.SERVICED:
        return bool(data.get("replaced_modules"))
    if event_type == EventType.DISMANTLED:
        outputs = data.get("outputs")
        return isinstance(outputs, list) and any(isinstance(o, Mapping) and o.get("code") for o in outputs)
    return False


def children_named(pack: str, event_type: str, data: Mapping[str, Any]) -> list[str]:
    """The codes whose open links `fold` needs for the entry of `pack` (recorded payloads: read leniently)."""
    if event_type not in LINKING_EVENTS:
        return []
    payload = parse_payload(event_type, data, recorded=True)
    if isinstance(payload, ProducedData):
        return [*payload.modules, *payload.cells, *([pack] if payload.recovered_from is not None else [])]
    if isinstance(payload, ServicedData):
        named = [code for r in payload.replaced_modules for code in (r.old, r.new)]
        return named + [cell for r in payload.replaced_modules for cell in r.new_cells]
    if isinstance(payload, DismantledData):
        return [out.code for out in payload.outputs if out.code is not None and out.kind != "material"]
    return []


def fold(
    pack: str, event_type: str, data: Mapping[str, Any], idx: int, at: str, links: Mapping[str, OpenLink]
) -> Folded:
    """The links the entry `idx` of `pack` (dated `at`) closes and opens, given `links`: the open link of each
    child it names that has one (`children_named`), and of each module those children are in (a cell taken out
    of a module of the dismantled pack). LifecycleError when the entry contradicts them."""
    if event_type not in LINKING_EVENTS:
        return Folded()
    payload = parse_payload(event_type, data, recorded=True)
    if isinstance(payload, ProducedData):
        return _produced(pack, payload, idx, at, links)
    if isinstance(payload, ServicedData):
        return _serviced(pack, payload, idx, at, links)
    assert isinstance(payload, DismantledData)
    return _dismantled(pack, payload, idx, at, links)


def _free(code: str, kind: str, into: str, links: Mapping[str, OpenLink]) -> None:
    held = links.get(code)
    if held is not None:
        raise LifecycleError(
            f"{kind} {code} is in {held.parent} since {held.start_at}: it cannot go into {into} "
            "until an entry takes it out (a module replacement or a dismantling)",
            code="component_held",
        )


def _produced(pack: str, data: ProducedData, idx: int, at: str, links: Mapping[str, OpenLink]) -> Folded:
    held = links.get(pack) if data.recovered_from is not None else None
    if held is not None:
        raise LifecycleError(
            f"module {pack} is in {held.parent} since {held.start_at}: a module's chain starts once the "
            "dismantling takes it out (a `dismantled` output with its code)",
            code="component_held",
        )
    opened: list[OpenLink] = []
    in_modules = {cell for cells in data.module_cells.values() for cell in cells}
    for module in data.modules:
        _free(module, "module", pack, links)
        opened.append(OpenLink(pack, module, "module", idx, at))
        opened += [OpenLink(module, cell, "cell", idx, at) for cell in data.module_cells.get(module, ())]
    for cell in data.cells:
        if cell not in in_modules and (cell in links and links[cell].parent == pack):
            continue  # a recovered module's cells: linked to it already
        _free(cell, "cell", pack, links)
        if cell not in in_modules:
            opened.append(OpenLink(pack, cell, "cell", idx, at))
    return Folded(opened=tuple(opened))


def _serviced(pack: str, data: ServicedData, idx: int, at: str, links: Mapping[str, OpenLink]) -> Folded:
    closed: list[Closed] = []
    opened: list[OpenLink] = []
    for replacement in data.replaced_modules:
        old = links.get(replacement.old)
        if old is not None and old.parent != pack:
            raise LifecycleError(
                f"module {replacement.old} is in {old.parent}, not in {pack}: a replacement takes out a module "
                "of the pack it services",
                code="component_elsewhere",
            )
        if old is not None:
            closed.append(Closed(pack, replacement.old, idx, at))
        _free(replacement.new, "module", pack, links)
        opened.append(OpenLink(pack, replacement.new, "module", idx, at))
        for cell in replacement.new_cells:
            _free(cell, "cell", replacement.new, links)
            opened.append(OpenLink(replacement.new, cell, "cell", idx, at))
    return Folded(tuple(closed), tuple(opened))


def _dismantled(pack: str, data: DismantledData, idx: int, at: str, links: Mapping[str, OpenLink]) -> Folded:
    modules = {code for code, link in links.items() if link.kind == "module" and link.parent == pack}
    closed: list[Closed] = []
    for output in data.outputs:
        link = links.get(output.code) if output.code is not None else None
        if output.code is None or link is None:
            continue
        if link.parent != pack and link.parent not in modules:
            raise LifecycleError(
                f"{output.kind} {output.code} is in {link.parent}, not in {pack}: a dismantling takes out what "
                "the dismantled pack holds",
                code="component_elsewhere",
            )
        closed.append(Closed(link.parent, output.code, idx, at))
    return Folded(closed=tuple(closed))
