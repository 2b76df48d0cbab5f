"""Recall trace: where every pack of a batch is now (maker by id, code or name; production dates, chemistry,
spec), read from the pack projection through its indexes; or every pack that ever held a cell or module
(`component`), read from the link index (ledger.store.linkrows, docs/modules.md), with when it held it."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from pydantic import Field

from events.catalogue import CHEMISTRIES
from events.codes import parse_code
from events.errors import InputError
from events.lifecycle import Status
from events.makers import check_maker_text
from events.orgs import Org
from ledger.log import Ledger
from ledger.store import linkrows, packrows, registry
from ledger.store.packrows import BatchFilter, BatchPack
from ledger.usecases import places
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.makers import maker_org
from ledger.usecases.views import View

MAX_RECALL = 100_000
MAKER_CODE = re.compile(r"[A-Z0-9]{3}")
SPEC_CODE = re.compile(r"[A-Z0-9]{2}")
# where a pack is, beyond its custodian and vehicle: read from the state only for these statuses
_PLACED_STATUSES = (Status.IN_TRANSIT.value, Status.IN_STORAGE_SYSTEM.value)


@dataclass(frozen=True)
class RecallFilter:
    manufacturer: str | None = None  # a maker as typed: org id, maker code or registered name (events.makers)
    produced_from: date | None = None
    produced_to: date | None = None
    chemistry: str | None = None
    spec: str | None = None  # the spec code, positions 6-7 of the battery code
    region: str | None = None  # only the packs that touch it (ledger.usecases.places); not a filter on its own
    component: str | None = None  # a cell or module code: the packs that ever held it

    def checked(self) -> RecallFilter:
        if not any(value for name, value in vars(self).items() if name != "region"):
            raise InputError(
                "a recall trace needs at least one of manufacturer, produced_from, produced_to, chemistry, spec, "
                "component",
                code="invalid_filter",
            )
        if self.component is not None:
            try:
                product = parse_code(self.component).product_type
            except InputError as exc:
                raise InputError(f"component: {exc.message}", code="invalid_filter") from None
            if product == "pack":
                raise InputError(
                    f"component {self.component} is a pack code; a component recall takes a module or cell code",
                    code="invalid_filter",
                )
        if self.chemistry is not None and self.chemistry not in CHEMISTRIES:
            raise InputError(
                f"unknown chemistry {self.chemistry!r}; chemistries are: {', '.join(CHEMISTRIES)}",
                code="invalid_filter",
            )
        if self.manufacturer is not None:
            check_maker_text("manufacturer", self.manufacturer)
        if self.spec is not None and not SPEC_CODE.fullmatch(self.spec):
            raise InputError(
                f"spec {self.spec!r} must be the 2-character spec code of the battery code", code="invalid_filter"
            )
        if self.produced_from and self.produced_to and self.produced_from > self.produced_to:
            raise InputError(
                f"produced_from {self.produced_from} is after produced_to {self.produced_to}", code="invalid_filter"
            )
        return self

    def batch(self, maker: Org | None) -> BatchFilter:
        """The batch this filter selects, `maker` the one `manufacturer` names: the packs it produced or that
        bear one of its codes."""
        return BatchFilter(
            maker_codes=tuple(sorted(maker.manufacturer_codes)) if maker is not None else (),
            producer=maker.id if maker is not None else None,
            produced_from=self.produced_from,
            produced_to=self.produced_to,
            chemistry=self.chemistry,
            spec=self.spec,
        )


class RecallHolding(View):
    pack: str = Field(description="a pack that held the component")
    via: str | None = Field(description="the module through which it held a cell (none: it held it directly)")
    held_from: str = Field(description="when the pack came to hold it (the entry's `at`)")
    held_until: str | None = Field(description="when it stopped holding it; none: it still does, as recorded")
    from_entry: int = Field(description="the log index of the entry that put it in")
    until_entry: int | None = Field(description="the log index of the entry that took it out")


class RecallPack(View):
    code: str
    status: str
    custodian: str
    custodian_name: str | None
    manufacturer: str
    maker_code: str
    chemistry: str
    spec: str
    production_date: date | None
    vin: str | None = Field(description="the vehicle the pack is installed in now")
    site: str | None = Field(description="the storage system the pack is installed in now")
    receiver: str | None = Field(description="in transit: the organisation it was shipped to")
    foreign_manufacturer: str | None = Field(
        default=None,
        description="an imported pack's foreign manufacturer (境外生产企业), `name (country)`; `manufacturer` is "
        "the importer that registered it. A pack handed over by another platform: its producer there, "
        "`id (platform)`; `manufacturer` is the organisation that received it (docs/federation.md)",
    )


class RecallReport(View):
    manufacturer: str | None = Field(description="the maker as asked for")
    maker: str | None = Field(description="the organisation id of the maker `manufacturer` names")
    maker_name: str | None = Field(description="its registered name")
    produced_from: date | None
    produced_to: date | None
    chemistry: str | None
    spec: str | None
    count: int
    truncated: bool = Field(description=f"more than {MAX_RECALL:,} packs matched; narrow the filter")
    by_status: dict[str, int]
    packs: list[RecallPack]
    region: str | None = Field(
        default=None, description="the trace covers the packs that touch this region (docs/regions.md)"
    )
    component: str | None = Field(default=None, description="the cell or module code traced (docs/modules.md)")
    holdings: list[RecallHolding] = Field(
        default_factory=list, description="with `component`: each span a pack held it, in time order"
    )


def recall(ledger: Ledger, caller: Caller, where: RecallFilter) -> RecallReport:
    """Where every pack of a batch is now: maker (id, code or name), production dates, chemistry, spec."""
    require_regulator(caller, "run a recall trace")
    where = where.checked()
    with ledger.engine.connect() as conn:
        maker = maker_org(conn, where.manufacturer) if where.manufacturer is not None else None
        scope = places.place(conn, caller, where.region)  # a scoped regulator traces the packs of its region
        batch = where.batch(maker)
        if scope is not None:
            batch = replace(batch, touched_by=scope.area)
        held = linkrows.holders(conn, where.component) if where.component is not None else []
        if where.component is not None:
            batch = replace(batch, codes=tuple(sorted({h.pack for h in held})))
        rows = packrows.batch_packs(conn, batch, placed=_PLACED_STATUSES, limit=MAX_RECALL + 1)
        names = {org.id: org.name for org in registry.list_orgs(conn)}
    packs = [_recall_pack(row, names) for row in rows[:MAX_RECALL]]
    by_status: dict[str, int] = defaultdict(int)
    for pack in packs:
        by_status[pack.status] += 1
    return RecallReport(
        **(vars(where) | {"region": scope.region if scope is not None else None}),
        maker=maker.id if maker is not None else None,
        maker_name=maker.name if maker is not None else None,
        count=len(packs),
        truncated=len(rows) > MAX_RECALL,
        by_status=dict(sorted(by_status.items())),
        packs=packs,
        holdings=[_holding(h) for h in held if h.pack in {p.code for p in packs}],
    )


def _holding(held: linkrows.Holding) -> RecallHolding:
    return RecallHolding(
        pack=held.pack,
        via=held.via,
        held_from=held.start_at,
        held_until=held.end_at,
        from_entry=held.start_idx,
        until_entry=held.end_idx,
    )


def _recall_pack(row: BatchPack, names: dict[str, str]) -> RecallPack:
    state = row.placed
    binding = state.binding if state is not None else None
    return RecallPack(
        code=row.code,
        status=row.status,
        custodian=row.custodian,
        custodian_name=names.get(row.custodian),
        manufacturer=row.manufacturer,
        maker_code=row.maker_code,
        chemistry=row.chemistry,
        spec=row.code[5:7],
        production_date=row.production_date,
        vin=row.vin,
        site=binding.target if binding is not None and binding.kind == "site" else None,
        receiver=state.receiver if state is not None else None,
        foreign_manufacturer=f"{row.foreign_name} ({row.foreign_country})" if row.foreign_name is not None else None,
    )
