"""A pack's EU battery passport (Catena-X BatteryPass 6.1.0), tiered like the pack view, built from the pack's
signed entries by events.passport, with a reference to the tlog proof of those entries (docs/passport.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from pydantic import Field

from events import passport
from ledger.format.redaction import Redactor
from ledger.log import Ledger
from ledger.usecases.access import Caller, Tier
from ledger.usecases.corrected import corrected_entries
from ledger.usecases.packreads import checked_code, pack_in_read, reader_redactor
from ledger.usecases.views import View


class FilledAttribute(View):
    path: str = Field(description="the attribute's path in the BatteryPass document")
    definition: str = Field(description="the schema definition it satisfies (#/components/schemas/…)")
    entries: list[int] = Field(description="log indexes of the signed entries it was built from")
    source: str = Field(
        description="`entries`: filled by the platform from the pack's entries; `claim`: from a `passport` claim"
    )
    by: str | None = Field(
        default=None, description="the organisation that posted the claim (legitimate interest and up)"
    )


class MissingAttribute(View):
    path: str = Field(description="a required attribute of the BatteryPass the platform does not hold")
    supplier: str = Field(description="who must supply it: `manufacturer` or `custodian`")
    via: str = Field(description="how")


class RecordItem(View):
    index: int
    type: str
    at: str
    data: dict[str, Any]


class PassportSource(View):
    """Where to check the entries: the log's checkpoint that holds them, and how to fetch their proof."""

    checkpoint: str = Field(description="the signed checkpoint (C2SP signed note) whose tree holds the entries")
    tree_size: int
    entries: list[int] = Field(description="log indexes of the entries the passport was built from")
    proof: str = Field(description="the C2SP tlog-proof of the pack's head entry (bearer token needed)")
    bundle: str = Field(description="the pack's offline bundle: every entry with its proof (bearer token needed)")


class Passport(View):
    code: str
    tier: Tier
    schema_urn: str = Field(description="the aspect model the document follows")
    passport: dict[str, Any] = Field(description="the BatteryPass document: the attributes the tier sees")
    filled: list[FilledAttribute]
    withheld: list[str] = Field(description="attributes the platform holds that this tier may not see")
    missing: list[MissingAttribute] = Field(description="required attributes nobody has supplied yet")
    complete: bool = Field(
        description="nothing required is missing and the whole document (all tiers) validates against the whole "
        "BatteryPass schema"
    )
    record: list[RecordItem] | None = Field(
        description="the later life the BatteryPass has no place for (inspection, retirement, repurposing, "
        "dismantling, recycling): legitimate interest and up"
    )
    source: PassportSource


def get_passport(ledger: Ledger, caller: Caller, code: str) -> Passport:
    code = checked_code(code)
    with ledger.engine.connect() as conn:
        row, caller = pack_in_read(conn, caller, code)
        corrected = corrected_entries(conn, [code])
    entries = []
    for index, _, body in ledger.pack_entries(code):
        claim = json.loads(body)["claim"]
        data, fixes = claim["data"], corrected.get(index)
        if fixes is not None:  # the values as corrected since, with the corrections among the sources
            data = {**data, **fixes.values}
        links = tuple(link.index for link in fixes.corrections) if fixes is not None else ()
        entries.append(passport.Entry(index, claim["type"], claim["at"], data, links, claim["actor"]))
    parts = passport.build(row.state, entries, caller.tier.value)
    if caller.tier is not Tier.AUTHORITY:
        parts = _screened(
            parts, caller, row.state.manufacturer, reader_redactor(ledger, caller, row.state.manufacturer)
        )
    checkpoint = ledger.latest_checkpoint()
    assert checkpoint is not None  # a pack's entries are in the log, under a checkpoint signed with them
    return Passport(
        code=code,
        tier=caller.tier,
        schema_urn=passport.SPEC_VERSION,
        passport=parts.document,
        filled=[
            FilledAttribute(path=f.path, definition=f.definition, entries=list(f.entries), source=f.source, by=f.by)
            for f in parts.filled
        ],
        withheld=list(parts.withheld),
        missing=[MissingAttribute(path=m.path, supplier=m.supplier, via=m.via) for m in parts.missing],
        complete=parts.complete,
        record=[RecordItem(index=r.index, type=r.type, at=r.at, data=r.data) for r in parts.record]
        if passport.sees(caller.tier.value, passport.RECORD_TIER)
        else None,
        source=PassportSource(
            checkpoint=checkpoint.note,
            tree_size=checkpoint.size,
            entries=list(parts.entries),
            proof=f"/v1/packs/{code}/proof",
            bundle=f"/v1/packs/{code}/bundle",
        ),
    )


def _screened(parts: passport.PassportParts, caller: Caller, maker: str, redactor: Redactor) -> passport.PassportParts:
    """Below the authority tier, what the pack's history withholds is withheld here too (ledger.format.redaction):
    a claimed attribute whose text holds a VIN or names another organisation (listed in `withheld`), the
    later life's personal data, and who posted a claim unless it is the reader or the pack's (public) maker."""
    document, filled, withheld = parts.document, [], list(parts.withheld)
    for fact in parts.filled:
        if fact.source == "claim" and redactor.mentions(fact.value):
            document = passport.without_path(document, fact.path)
            withheld.append(fact.path)
            continue
        filled.append(replace(fact, by=fact.by if fact.by in (caller.org_id, maker) else None))
    record = tuple(replace(r, data=redactor.withhold(r.type, r.data)[0]) for r in parts.record)
    return replace(parts, document=document, filled=tuple(filled), withheld=tuple(withheld), record=record)
