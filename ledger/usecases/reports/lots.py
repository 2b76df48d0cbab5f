"""Recycler lots (docs/recycling-lots.md): per lot, its inputs (packs by chemistry and `produced` mass,
imported black mass as declared), its recovery rates against the 规范条件 thresholds, and the mass-balance
flags of events.lots; per recycler, its lots' rates summed. Read from the lots' own chains, which are few
and short (a lot has two entries), at the log's size when called."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict

from pydantic import Field

from events.lots import MASS_BALANCE_VERSION, BalanceFlag, LotEventType, PackInput, mass_balance, parse_lot_subject
from events.orgs import Org
from events.recovery import DEFAULT_VERSION, RECOVERY_THRESHOLDS, recovery_rates
from ledger.log import Ledger
from ledger.store import lotrows, registry
from ledger.store.lotrows import LotEntry
from ledger.usecases import places
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.reports.recovery import RecoveryReport, recovery
from ledger.usecases.views import View


class LotPack(View):
    code: str
    chemistry: str = Field(description="from the pack's `produced`")
    mass_kg: float = Field(description="from the pack's `produced`")


class LotBlackMass(View):
    mass_kg: float
    content_kg: dict[str, float] = Field(description="declared content per element")
    origin: str
    customs_declaration: str
    supplier: str | None = None


class LotRate(View):
    element: str
    content_kg: float
    recovered_kg: float
    rate: float = Field(description="percent: recovered over the lot's assayed content")
    threshold: float | None
    below: bool


class LotFlag(View):
    element: str
    kind: str = Field(description="exceeds_inputs or implausible_loss")
    recovered_kg: float
    packs_kg: float = Field(description="exceeds: the most the packs could hold; loss: the least they must have held")
    black_mass_kg: float = Field(description="declared in the black mass")
    limit_kg: float = Field(description="exceeds: the most the inputs could hold; loss: the least plausible recovery")
    message: str


class LotRow(View):
    lot: str = Field(description="the lot's chain: lot:<recycler>:<lot id>")
    recycler: str
    lot_id: str
    status: str = Field(description="lot_open or lot_recovered")
    opened_at: str
    recovered_at: str | None
    packs: list[LotPack]
    black_mass: list[LotBlackMass]
    input_mass_kg: float = Field(description="the packs' `produced` masses plus the black mass")
    rates: list[LotRate]
    flags: list[LotFlag]
    entries: list[int] = Field(description="the log indexes of the lot's chain (GET /v1/log/entries, proofs)")
    unreported: list[str] = Field(
        default_factory=list,
        description="packs put into the lot (`lotted`) that its `lot_recovered` does not list: their mass is "
        "missing from the inputs",
    )


class RecyclerLots(View):
    recycler: str
    name: str | None
    whitelisted: bool
    lots: int = Field(description="lots that reported their recovery")
    flagged: int = Field(description="of those, lots with a mass-balance flag")
    rates: list[LotRate] = Field(description="per element, summed over the recycler's recovered lots")


class LotCsvRow(View):
    """One element of one lot, for the CSV: its rate and the mass-balance flags on that element."""

    lot: str
    recycler: str
    status: str
    packs: int
    black_mass_kg: float
    input_mass_kg: float
    element: str
    content_kg: float
    recovered_kg: float
    rate: float
    threshold: float | None
    below: bool
    flags: str = Field(description="the flags' messages, '; ' between them")


class LotsReport(View):
    thresholds_version: str
    thresholds: dict[str, float]
    mass_balance_version: str
    log_size: int
    lots: list[LotRow]
    recyclers: list[RecyclerLots]
    region: str | None = None


def lots_report(ledger: Ledger, caller: Caller, *, region: str | None = None) -> LotsReport:
    """Every recycler lot with its rates and mass-balance flags, and each recycler's lot rates (with a region,
    or for a region-scoped regulator: of the recyclers located in it)."""
    require_regulator(caller, "read the recycler lots")
    size = ledger.size()
    with ledger.engine.connect() as conn:
        where = places.place(conn, caller, region)
        orgs = {org.id: org for org in registry.list_orgs(conn)}
        entries = lotrows.lot_entries(conn, size)
        chains: dict[str, list[LotEntry]] = defaultdict(list)
        for entry in entries:
            if where is None or where.holds(parse_lot_subject(entry.lot)[0]):
                chains[entry.lot].append(entry)
        codes = [
            code
            for chain in chains.values()
            for entry in chain
            if entry.type == LotEventType.LOT_RECOVERED
            for code in entry.data.get("packs", ())
        ]
        produced = lotrows.produced_data(conn, codes)
        lotted = lotrows.lotted_packs(conn, size)
    rows = [_lot_row(lot, chain, produced, lotted.get(lot, [])) for lot, chain in sorted(chains.items())]
    return LotsReport(
        thresholds_version=DEFAULT_VERSION,
        thresholds=RECOVERY_THRESHOLDS[DEFAULT_VERSION],
        mass_balance_version=MASS_BALANCE_VERSION,
        log_size=size,
        lots=rows,
        recyclers=_per_recycler(rows, orgs),
        region=where.region if where is not None else None,
    )


def _lot_row(
    lot: str, chain: Sequence[LotEntry], produced: dict[str, dict[str, object]], lotted: Sequence[str]
) -> LotRow:
    recycler, lot_id = parse_lot_subject(lot)
    opened = chain[0]
    black = [LotBlackMass.model_validate(item) for item in opened.data.get("black_mass", ())]
    report = next((e for e in chain if e.type == LotEventType.LOT_RECOVERED), None)
    packs: list[LotPack] = []
    rates: list[LotRate] = []
    flags: list[BalanceFlag] = []
    if report is not None:
        for code in report.data.get("packs", ()):
            genesis = produced.get(code, {})
            chemistry, mass = genesis.get("chemistry"), genesis.get("mass_kg")
            packs.append(
                LotPack(
                    code=code, chemistry=str(chemistry), mass_kg=float(mass) if isinstance(mass, int | float) else 0.0
                )
            )
        recovered = report.data["recovered_kg"]
        rates = _rates(report.data["content_kg"], recovered)
        flags = mass_balance(
            [PackInput(p.code, p.chemistry, p.mass_kg) for p in packs],
            [b.content_kg for b in black],
            report.data["content_kg"],
            recovered,
        )
    return LotRow(
        lot=lot,
        recycler=recycler,
        lot_id=lot_id,
        status=str(report.type if report is not None else "lot_open"),
        opened_at=opened.at,
        recovered_at=report.at if report is not None else None,
        packs=packs,
        black_mass=black,
        input_mass_kg=sum(p.mass_kg for p in packs) + sum(b.mass_kg for b in black),
        rates=rates,
        entries=[entry.idx for entry in chain],
        unreported=[code for code in lotted if report is not None and code not in set(report.data.get("packs", ()))],
        flags=[
            LotFlag(
                element=f.element,
                kind=f.kind,
                recovered_kg=f.recovered_kg,
                packs_kg=f.packs_kg,
                black_mass_kg=f.black_mass_kg,
                limit_kg=f.limit_kg,
                message=f.message,
            )
            for f in flags
        ],
    )


def _per_recycler(rows: Sequence[LotRow], orgs: dict[str, Org]) -> list[RecyclerLots]:
    by_recycler: dict[str, list[LotRow]] = defaultdict(list)
    for row in rows:
        by_recycler[row.recycler].append(row)
    summary = []
    for recycler, lots in sorted(by_recycler.items()):
        recovered_lots = [lot for lot in lots if lot.recovered_at is not None]
        content: dict[str, float] = defaultdict(float)
        recovered: dict[str, float] = defaultdict(float)
        for lot in recovered_lots:
            for rate in lot.rates:
                content[rate.element] += rate.content_kg
                recovered[rate.element] += rate.recovered_kg
        org = orgs.get(recycler)
        summary.append(
            RecyclerLots(
                recycler=recycler,
                name=org.name if org is not None else None,
                whitelisted=org.whitelisted if org is not None else False,
                lots=len(recovered_lots),
                flagged=sum(1 for lot in recovered_lots if lot.flags),
                rates=_rates(dict(content), dict(recovered)) if content else [],
            )
        )
    return summary


def csv_rows(report: LotsReport) -> list[LotCsvRow]:
    """The report as a spreadsheet: a row per lot and element."""
    rows = []
    for lot in report.lots:
        for rate in lot.rates:
            rows.append(
                LotCsvRow(
                    lot=lot.lot,
                    recycler=lot.recycler,
                    status=lot.status,
                    packs=len(lot.packs),
                    black_mass_kg=sum(b.mass_kg for b in lot.black_mass),
                    input_mass_kg=lot.input_mass_kg,
                    element=rate.element,
                    content_kg=rate.content_kg,
                    recovered_kg=rate.recovered_kg,
                    rate=rate.rate,
                    threshold=rate.threshold,
                    below=rate.below,
                    flags="; ".join(f.message for f in lot.flags if f.element == rate.element),
                )
            )
    return rows


class RecoveryWithLots(View):
    """The regulator's recovery page: per-pack `recycled` rates and the lots, for the same region."""

    recovery: RecoveryReport
    lots: LotsReport


def recovery_with_lots(ledger: Ledger, caller: Caller, *, region: str | None = None) -> RecoveryWithLots:
    """The recovery report and the lots report together (the regulator's recovery page)."""
    return RecoveryWithLots(
        recovery=recovery(ledger, caller, region=region), lots=lots_report(ledger, caller, region=region)
    )


def _rates(content_kg: Mapping[str, float], recovered_kg: Mapping[str, float]) -> list[LotRate]:
    """One rate per element against the 规范条件 thresholds (events.recovery)."""
    return [LotRate(**asdict(rate)) for rate in recovery_rates(content_kg, recovered_kg)]
