"""What each access tier sees of a pack and of its history (DESIGN §5), as typed output models.

    field / item                     public   legitimate interest        authority
    code, manufacturer, maker_code,    yes      yes                        yes
    chemistry, production_date,
    rated_capacity_kwh, eu_status,
    head
    status                           coarse   exact                      exact
    flags                            recalled all                        all
    technical data, grades, links      -      yes                        yes
    custodian, sender, receiver        -      only to the parties        yes
                                              (custodian, sender, receiver)
    owner, lease (车电分离)             -      only to the owner and      yes
                                              the lessee
    vin, bindings                      -        -                        yes
    history                            -      without personal data      every entry, verbatim
                                              and counterparties
                                              (ledger.format.redaction)
    bundle                             -      redacted: entries with     every entry, verbatim
                                              personal data withheld
                                              (ledger.usecases.bundles)

The policy is the tables below; the functions apply them and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from events import extras
from events.eu_status import eu_status
from events.lifecycle import Status
from events.orgs import Org
from events.state import PackState
from ledger.format.redaction import Redactor
from ledger.usecases.access import Caller, Tier

if TYPE_CHECKING:
    from ledger.append.outcome import Appended

COARSE_STATUS: dict[Status, str] = {
    Status.PRODUCED: "in_circulation",
    Status.IN_TRANSIT: "in_circulation",
    Status.IN_STOCK: "in_circulation",
    Status.IN_VEHICLE: "in_use",
    Status.IN_STORAGE_SYSTEM: "in_use",
    Status.RETIRED: "retired",
    Status.REPURPOSED: "end_of_life",
    Status.DISMANTLED: "end_of_life",
    Status.RECYCLED: "end_of_life",
    Status.IN_LOT: "end_of_life",
    Status.LOST: "lost",
    Status.EXPORTED: "exported",
    Status.TRANSFERRED: "transferred",
}
PUBLIC_FLAGS = frozenset({"recalled"})


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class BindingView(View):
    kind: str = Field(description="`vin` (a vehicle) or `site` (a stationary storage system)")
    target: str
    start: str
    end: str | None


class LeaseView(View):
    """The active lease (车电分离): the lessor owns the pack throughout, the lessee uses it."""

    lessor: str
    lessee: str
    since: str = Field(description="RFC 3339 `at` of the `leased` entry")
    vin: str | None = None
    site: str | None = None
    until: str | None = Field(default=None, description="the agreed end, YYYY-MM-DD")


class EntryLink(View):
    """Another entry of the pack's chain: a correction, or the entry a correction corrects."""

    index: int = Field(description="its index in the log")
    seq: int = Field(description="its place in the pack's chain")
    hash: str


class CorrectedValues(View):
    """An entry's values as its corrections left them (events.corrections), beside what it recorded: the
    figures reports and projections use."""

    values: dict[str, Any] = Field(description="the corrected members, as corrected")
    recorded: dict[str, Any] = Field(description="the same members as the entry recorded them (absent: not given)")
    corrections: list[EntryLink] = Field(description="the corrections that changed them, in log order (the last wins)")


class PackView(View):
    """A pack as the caller's tier may see it; fields the tier may not see are null."""

    tier: Tier
    code: str
    status: str = Field(description="the lifecycle status; for the public tier the coarse status")
    custodian: str | None
    manufacturer: str = Field(description="organisation id of the producer")
    maker_code: str = Field(description="the 3-character manufacturer code of the battery code")
    chemistry: str
    production_date: date | None
    rated_capacity_kwh: float | None
    eu_status: str = Field(description="EU 2023/1542 Annex XIII: original, repurposed, re-used, remanufactured, waste")
    head: str = Field(description="hash of the pack's last entry")
    vin: str | None = Field(description="the vehicle the pack is installed in now (authority tier only)")
    flags: list[str]
    technical: dict[str, Any] | None = Field(description="the `produced` payload (legitimate interest and up)")
    soh_pct: float | None
    verdict: str | None
    origins: list[str] | None = Field(description="second life: the original codes")
    successor: str | None = Field(description="the second-life code this pack was repurposed into (the first)")
    successors: list[str] | None = Field(
        default=None,
        description="what this pack became: every second-life code it was repurposed into (one-to-many: two or "
        "more); `origins` is the other direction, what a second-life product was made from",
    )
    last_event_at: str | None
    events: int | None
    sender: str | None
    receiver: str | None
    bindings: list[BindingView] | None
    corrected: CorrectedValues | None = Field(
        default=None,
        description="the `produced` values corrected since (chemistry, rated capacity and `technical` show them "
        "as corrected)",
    )
    box_code: str | None = Field(
        default=None, description="GB/T 40098 swap battery box code (换电电池箱编码), authority tier only"
    )
    foreign_manufacturer: dict[str, str] | None = Field(
        default=None, description="an imported pack's 境外生产企业 {name, country} (legitimate interest and up)"
    )
    import_date: str | None = Field(
        default=None, description="an imported pack's import date (legitimate interest and up)"
    )
    customs_declaration: str | None = Field(
        default=None, description="an imported pack's 报关单号 (customs declaration number), authority tier only"
    )
    owner: str | None = Field(
        default=None,
        description="the owner (所有权人; the producer unless transferred): authority tier, the owner and the lessee",
    )
    lease: LeaseView | None = Field(
        default=None, description="the active lease (车电分离): authority tier, the owner and the lessee"
    )
    handed_over: dict[str, str] | None = Field(
        default=None,
        description="between platforms (docs/federation.md): `transferred` {platform, to}, or `arrived` {platform, "
        "manufacturer: its producer there}; not the public tier",
    )


class HistoryItem(View):
    index: int
    seq: int
    hash: str
    prev: str | None
    recorded_at: str
    type: str
    at: str
    actor: str | None = Field(description="the posting organisation (authority tier, or the caller's own events)")
    actor_roles: list[str]
    data: dict[str, Any]
    redacted: list[str] = Field(description="payload fields withheld from this tier")
    entry: dict[str, Any] | None = Field(description="the entry verbatim (authority tier only)")
    corrected: CorrectedValues | None = Field(
        default=None, description="this entry's values as corrected since, with links to the corrections"
    )
    corrects: EntryLink | None = Field(default=None, description="a `corrected` entry: the entry it corrects")


class OriginEntry(View):
    """One entry of the origin's part of a pack's life, as its bundle holds it."""

    index: int
    seq: int
    type: str
    at: str
    recorded_at: str
    actor: str
    data: dict[str, Any]


class OriginPart(View):
    """The origin's part of a pack's life (docs/federation.md §4), from the bundle kept at arrival, verified
    again when read: `verified` under the configured peer's log key, else `problem` says why not."""

    platform: str = Field(description="the origin platform's log origin")
    verified: bool
    problem: str | None = Field(description="why the origin's part is not verified (None when it is)")
    entries: list[OriginEntry]


class OnwardPart(OriginPart):
    """The part of a pack's life on the platform it was handed over to (docs/federation.md §6), fetched from
    that platform when read (nothing kept): `available` false when it did not answer (`problem` says why),
    else `verified` under its log key and starting with the arrival of this platform's transfer entry."""

    available: bool = Field(description="the peer platform answered (false: `problem` says why it did not)")


class PackHistory(View):
    code: str
    tier: Tier
    events: list[HistoryItem] = Field(description="one page of the chain, in `seq` order")
    total: int = Field(description="entries in the pack's chain")
    next: str | None = Field(default=None, description="cursor of the next page, null on the last page")
    origin_history: OriginPart | None = Field(
        default=None,
        description="a pack handed over by another platform: its life there, verified (authority tier, first page; "
        "docs/federation.md)",
    )
    onward_history: OnwardPart | None = Field(
        default=None,
        description="a pack handed over to another platform: its life there, fetched and verified (authority tier, "
        "first page; docs/federation.md)",
    )


class PackPage(View):
    packs: list[PackView]
    next: str | None = Field(description="cursor of the next page, null on the last page")


def _is_party(state: PackState, caller: Caller) -> bool:
    return caller.org_id is not None and caller.org_id in {state.custodian, state.sender, state.receiver}


def _is_owner_party(state: PackState, caller: Caller) -> bool:
    lease = state.lease
    return caller.org_id is not None and caller.org_id in {state.owner, lease["lessee"] if lease else None}


PUBLIC_PRODUCED = frozenset({"chemistry", "rated_capacity_kwh"})  # the `produced` members the public tier sees


def pack_view(
    state: PackState,
    head: str,
    caller: Caller,
    technical: Mapping[str, Any] | None = None,
    corrected: CorrectedValues | None = None,
) -> PackView:
    """`corrected`: the pack's `produced` values corrected since, which the view shows instead."""
    tier = caller.tier
    public = tier is Tier.PUBLIC
    authority = tier is Tier.AUTHORITY
    binding = state.binding
    if corrected is not None:
        values = corrected.values
        state = state.evolve(
            chemistry=values.get("chemistry", state.chemistry),
            rated_capacity_kwh=values.get("rated_capacity_kwh", state.rated_capacity_kwh),
        )
        technical = None if technical is None else {**technical, **values}
        if public:
            corrected = _only(corrected, PUBLIC_PRODUCED)
    return PackView(
        tier=tier,
        code=state.code,
        status=COARSE_STATUS[Status(state.status)] if public else state.status,
        custodian=state.custodian if authority or _is_party(state, caller) else None,
        manufacturer=state.manufacturer,
        maker_code=state.maker_code,
        chemistry=state.chemistry,
        production_date=state.production_date,
        rated_capacity_kwh=state.rated_capacity_kwh,
        eu_status=eu_status(state),
        head=head,
        vin=binding.target if authority and binding is not None and binding.kind == "vin" else None,
        flags=[f for f in state.flags if not public or f in PUBLIC_FLAGS],
        technical=None if public or technical is None else _technical(technical, authority),
        soh_pct=None if public else state.soh_pct,
        verdict=None if public else state.verdict,
        origins=None if public else list(state.origins),
        successor=None if public else state.successor,
        successors=None if public else list(state.successors),
        last_event_at=None if public else state.last_event_at,
        events=None if public else state.events,
        sender=state.sender if authority or _is_party(state, caller) else None,
        receiver=state.receiver if authority or _is_party(state, caller) else None,
        bindings=[BindingView(**vars(b)) for b in state.bindings] if authority else None,
        corrected=corrected,
        box_code=state.extra.get(extras.BOX_CODE) if authority else None,
        **_import_members(state, tier),
        owner=state.owner if authority or _is_owner_party(state, caller) else None,
        lease=LeaseView(**state.lease) if state.lease and (authority or _is_owner_party(state, caller)) else None,
        handed_over=None if public else _handed_over(state),
    )


def _handed_over(state: PackState) -> dict[str, str] | None:
    shown = state.extra.get(extras.TRANSFERRED) or state.extra.get(extras.ARRIVED)
    return dict(shown) if isinstance(shown, Mapping) else None


def _technical(technical: Mapping[str, Any], authority: bool) -> dict[str, Any]:
    """The `produced` payload; below the authority tier without the 报关单号 of an import and the swap box
    code (docs/swaps.md), as the history withholds them (ledger.format.redaction)."""
    shown = dict(technical)
    if not authority:
        shown.pop("box_code", None)
    imported = shown.get("imported")
    if not authority and isinstance(imported, Mapping):
        shown["imported"] = {k: v for k, v in imported.items() if k != "customs_declaration"}
    return shown


def _import_members(state: PackState, tier: Tier) -> dict[str, Any]:
    """An imported pack's foreign manufacturer and import date (not the public tier), its 报关单号 (the
    authority tier only)."""
    imported = state.extra.get(extras.IMPORTED)
    if imported is None or tier is Tier.PUBLIC:
        return {}
    return {
        "foreign_manufacturer": dict(imported["foreign_manufacturer"]),
        "import_date": imported["import_date"],
        "customs_declaration": imported["customs_declaration"] if tier is Tier.AUTHORITY else None,
    }


def _only(corrected: CorrectedValues, members: frozenset[str]) -> CorrectedValues | None:
    values = {k: v for k, v in corrected.values.items() if k in members}
    if not values:
        return None
    recorded = {k: v for k, v in corrected.recorded.items() if k in members}
    return CorrectedValues(values=values, recorded=recorded, corrections=[])


def history_item(
    entry: Mapping[str, Any],
    entry_hash: str,
    caller: Caller,
    org: Callable[[str], Org | None],
    redactor: Redactor,
) -> HistoryItem:
    """One entry of a pack's chain as the caller's tier may see it (never called for the public tier);
    below the authority tier `redactor` withholds the personal data (ledger.format.redaction)."""
    claim = entry["claim"]
    authority = caller.tier is Tier.AUTHORITY
    own = claim["actor"] == caller.org_id
    data, redacted = (dict(claim["data"]), []) if authority else redactor.withhold(claim["type"], claim["data"])
    actor = org(claim["actor"])
    return HistoryItem(
        index=entry["index"],
        seq=entry["seq"],
        hash=entry_hash,
        prev=entry["prev"],
        recorded_at=entry["recorded_at"],
        type=claim["type"],
        at=claim["at"],
        actor=claim["actor"] if authority or own else None,
        actor_roles=sorted(actor.roles) if actor is not None else [],
        data=data,
        redacted=redacted,
        entry=dict(entry) if authority else None,
    )


def discloses(caller: Caller, manufacturer: str, redactor: Redactor) -> Callable[[Mapping[str, Any]], bool]:
    """Which entries a redacted bundle (ledger.usecases.bundles) shows verbatim to `caller` below the authority
    tier: its own (it wrote them), and the pack's maker's (a public party) when they hold no personal
    data. An entry's hash covers all its bytes, so any other entry is withheld whole: a verbatim entry
    names its actor, whom this tier sees only for its own entries."""

    def disclose(entry: Mapping[str, Any]) -> bool:
        claim = entry["claim"]
        if claim["actor"] == caller.org_id:
            return True
        return claim["actor"] == manufacturer and redactor.withholds_nothing(claim["type"], claim["data"])

    return disclose


class OrgView(View):
    id: str
    name: str
    roles: list[str]
    manufacturer_codes: list[str]
    whitelisted: bool = Field(description="on MIIT's 规范条件 list today (China time)")
    region: str | None = Field(default=None, description="GB/T 2260 division code")

    @classmethod
    def of(cls, org: Org) -> OrgView:
        return cls(
            id=org.id,
            name=org.name,
            roles=sorted(org.roles),
            manufacturer_codes=sorted(org.manufacturer_codes),
            whitelisted=org.whitelisted,
            region=org.region,
        )


class OrgCreated(View):
    org: OrgView
    token: str = Field(description="the organisation's API token: shown once, stored hashed")


class TokenIssued(View):
    org: str
    token: str = Field(description="the organisation's new API token: shown once, stored hashed")


KeyStatus = Literal["active", "revoked", "not_yet_valid"]


class KeyView(View):
    key_id: str
    org: str
    public_key: str = Field(description="standard base64 of the raw 32-byte Ed25519 public key")
    valid_from: datetime
    revoked_at: datetime | None
    platform_held: bool
    status: KeyStatus = Field(
        description="as the registry stands when read: `active` (signs new entries), `revoked` (signs no entry "
        "recorded from `revoked_at` on) or `not_yet_valid` (`valid_from` is still ahead)"
    )


class RegistryEntryView(View):
    """One registry entry: its index in the log, its hash, and the entry object exactly as stored."""

    index: int
    hash: str
    entry: dict[str, Any]


class RegistryAppended(RegistryEntryView):
    """A registry claim's entry; `created` is False when the claim was recorded already (a retry)."""

    created: bool


class EventResult(View):
    entry: dict[str, Any]
    hash: str
    index: int
    seq: int
    created: bool = Field(description="false when the claim was already recorded (an idempotent retry)")


def event_result_json(appended: Appended) -> bytes:
    """The JSON of `EventResult` for an append, written around the entry's canonical bytes (which are
    JSON already) instead of parsing them back and serialising them again: this is the answer to every
    single-event POST. A test checks it against `EventResult`'s own serialisation."""
    return b'{"entry":%s,"hash":"%s","index":%d,"seq":%d,"created":%s}' % (
        appended.body,
        appended.hash.encode(),
        appended.index,
        appended.seq,
        b"true" if appended.created else b"false",
    )


class BatchResult(View):
    results: list[EventResult] = Field(description="one per submitted event, in request order")


def batch_result_json(appended: Sequence[Appended]) -> bytes:
    """The JSON of `BatchResult`, each result written by `event_result_json` (a test checks it against
    `BatchResult`'s own serialisation)."""
    return b'{"results":[%s]}' % b",".join(event_result_json(one) for one in appended)


class LogEntry(View):
    index: int
    hash: str
    entry: dict[str, Any] = Field(description="the entry; its RFC 8785 form is the Merkle leaf")


class LogEntries(View):
    start: int
    end: int = Field(description="exclusive")
    tree_size: int
    entries: list[LogEntry]


class LogKeyEvent(View):
    """A `log` subject entry (the log's key events), and the checkpoint signed in the transaction that added
    it (during a rollover signed by both keys): what a verifier holding the old key proves it under."""

    index: int
    entry: dict[str, Any]
    checkpoint: str


class LogKey(View):
    origin: str
    verifier_key: str = Field(
        description="C2SP signed-note verifier key of the key in force: <name>+<hex key id>+<base64(0x01‖pubkey)>; "
        "during a rollover the old key, which still signs every checkpoint"
    )
    public_key: str = Field(description="standard base64 of the raw 32-byte Ed25519 public key of `verifier_key`")
    next_verifier_key: str | None = Field(
        default=None,
        description="during a key rollover, the new key, which signs every checkpoint too; null otherwise",
    )
    key_events: list[LogKeyEvent] = Field(
        default_factory=list,
        description="the log's own entries of subject `log`, about its key (log_key, log_rollover_started, "
        "log_rollover_ended)",
    )


class InclusionProof(View):
    index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProof(View):
    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    old: int = Field(alias="from")
    new: int = Field(alias="to")
    hashes: list[str]


class BundleKey(View):
    """A key as the bundle's registry chains make it (checked against them by verify-bundle)."""

    key_id: str
    org: str
    public_key: str
    valid_from: str | None
    revoked_at: str | None
    platform_held: bool


class RedactedItem(View):
    entry: dict[str, Any] | None = Field(default=None, description="a disclosed entry, verbatim")
    proof: InclusionProof | None = Field(
        default=None, description="inclusion proof of a disclosed entry that no disclosed entry follows"
    )
    seq: int | None = Field(default=None, description="a withheld entry: its seq alone")
    withheld: bool | None = Field(default=None, description="true for a withheld entry")


class RegistryChain(View):
    subject: str = Field(description="org:<id>")
    entries: list[dict[str, Any]] = Field(description="the organisation's registry entries, seq 0…k, verbatim")
    proof: InclusionProof = Field(description="of the last entry, against the bundle's checkpoint")


class Bundle(View):
    """The offline bundle of DESIGN §3.4: `packtrace-bundle/2` (authority tier: `entries` and `proof`) or
    `packtrace-redacted-bundle/2` (other organisations: `tier` and `items`), with the registry chains that
    prove its keys; docs/ledger-format.md §6."""

    format: str = Field(description="packtrace-bundle/2 or packtrace-redacted-bundle/2")
    pack: str
    tier: str | None = Field(default=None, description="redacted bundle: the tier it was written for")
    entries: list[dict[str, Any]] | None = Field(default=None, description="full bundle: every entry, seq 0…n-1")
    items: list[RedactedItem] | None = Field(default=None, description="redacted bundle: one item per entry")
    registry: list[RegistryChain] = Field(
        description="the registry chains of the organisations whose keys signed the entries shown (§6.3)"
    )
    keys: list[BundleKey] = Field(description="the keys that signed the entries shown, as `registry` makes them")
    proof: InclusionProof | None = Field(default=None, description="full bundle: of the last entry")
    checkpoint: str
    log_key: str
