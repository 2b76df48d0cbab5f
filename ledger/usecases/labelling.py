"""The use cases behind labels and scanning: what a label prints, who may print it, and what a scan answers.

Rendering and decoding are labels/'s; this module reads the record and checks the caller's rights, so
the API and the CLI share one policy:
    print a label   the pack's custodian, a regulator or the platform administrator
    scan a label    any authenticated organisation (or the admin token): its view of the pack and the
                    event types it may post next
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from events import rules
from events.codes import parse_code
from events.errors import AuthorisationError, InputError, InvalidCode, NotFoundError
from events.regions import OutOfJurisdiction
from events.state import PackState
from ledger.log import Ledger
from ledger.store import packrows, registry
from ledger.store.packrows import Connection, get_pack, pack_states, produced_payloads
from ledger.usecases import places
from ledger.usecases.access import Caller, Tier, require_authenticated
from ledger.usecases.corrected import corrected_produced
from ledger.usecases.views import PackView, View, pack_view

MAX_SHEET_LABELS = 1_000
_NAMED = 10  # codes named in one error message


@dataclass(frozen=True)
class LabelFacts:
    """What a label prints besides its QR code (labels.render.LabelInfo is made from it)."""

    code: str
    maker: str  # the producing organisation's name
    chemistry: str
    rated_capacity_kwh: float | None
    production_date: date | None
    origins: tuple[str, ...]  # second life: the original codes


class ScanResult(View):
    code: str
    pack: PackView
    next_actions: list[str]


def _named(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:_NAMED])
    return shown + (f" (and {len(codes) - _NAMED} more)" if len(codes) > _NAMED else "")


def _checked_codes(codes: Sequence[str]) -> list[str]:
    """Each code parsed leniently (a label can be printed for any code the record holds)."""
    checked, bad = [], []
    for position, text in enumerate(codes):
        try:
            checked.append(parse_code(text, strict=False).code)
        except InvalidCode as error:
            bad.append((position, error))
    if len(bad) == 1:
        raise bad[0][1]
    if bad:
        listed = "; ".join(f"#{position}: {error.message}" for position, error in bad[:_NAMED])
        raise InputError(f"{len(bad)} codes are invalid: {listed}", code="invalid_code")
    return checked


def _check_may_print(conn: Connection, caller: Caller, states: Sequence[PackState]) -> None:
    if caller.tier is Tier.AUTHORITY:
        where = places.place(conn, caller, None)  # a region-scoped regulator: the packs of its region
        inside = packrows.codes_touching(conn, [s.code for s in states], where.area) if where is not None else None
        others = [s.code for s in states if inside is not None and s.code not in inside]
        if where is not None and others:
            raise OutOfJurisdiction(
                f"a regulator of {where.region} ({where.name('en')}) prints the labels of its region's packs only; "
                f"{_named(list(dict.fromkeys(others)))} never touched it"
            )
        return
    others = [state.code for state in states if state.custodian != caller.org_id]
    if others:
        raise AuthorisationError(
            f"only a pack's custodian (or a regulator) may print its label; {caller.describe()} is not the "
            f"custodian of {_named(list(dict.fromkeys(others)))}"
        )


def label_facts(ledger: Ledger, caller: Caller, codes: Sequence[str]) -> list[LabelFacts]:
    """What each label prints, in the order given (repeats allowed: one label per item).

    Refuses, in this order: no token (401), no codes or more than MAX_SHEET_LABELS (422), invalid codes
    (422, each named), unknown codes (404, all named), codes not in the caller's custody (403, all named).
    """
    require_authenticated(caller, "printing labels")
    if not codes:
        raise InputError("no codes given: name at least one pack", code="no_labels")
    if len(codes) > MAX_SHEET_LABELS:
        raise InputError(
            f"at most {MAX_SHEET_LABELS} labels a request, found {len(codes)}; split the batch",
            code="too_many_labels",
        )
    checked = _checked_codes(codes)
    with ledger.engine.connect() as conn:
        states = pack_states(conn, checked)
        unknown = [code for code in dict.fromkeys(checked) if code not in states]
        if unknown:
            raise NotFoundError(f"unknown pack(s): {_named(unknown)}", code="unknown_pack")
        ordered = [states[code] for code in checked]
        _check_may_print(conn, caller, ordered)
        makers = {org_id: registry.get_org(conn, org_id) for org_id in {s.manufacturer for s in ordered}}
    return [
        LabelFacts(
            code=state.code,
            maker=maker.name if (maker := makers[state.manufacturer]) is not None else state.manufacturer,
            chemistry=state.chemistry,
            rated_capacity_kwh=state.rated_capacity_kwh,
            production_date=state.production_date,
            origins=state.origins,
        )
        for state in ordered
    ]


def scan(ledger: Ledger, caller: Caller, code: str) -> ScanResult:
    """A scanned code: the caller's view of the pack and the event types the caller may post on it now."""
    require_authenticated(caller, "scanning a label")
    code = parse_code(code, strict=False).code
    with ledger.engine.connect() as conn:
        row = get_pack(conn, code)
        if row is None:
            raise NotFoundError(f"unknown pack {code}: no event of it is recorded", code="unknown_pack")
        technical = produced_payloads(conn, [code]).get(code)
        corrected = corrected_produced(conn, [code]).get(code)
        caller = places.for_pack(conn, caller, code)
    actions = rules.next_actions(row.state, caller.org) if caller.org is not None else []
    return ScanResult(
        code=code, pack=pack_view(row.state, row.head, caller, technical, corrected), next_actions=actions
    )
