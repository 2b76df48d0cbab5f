"""The one entry point the ledger calls: fold an event into a pack's state, or refuse it.

`apply` checks, in this order: (1) the battery code (strict), (2) the event type and payload,
(3) the event time against the clock and the platform's epoch (2000), (4) the actor, (5) that the pack
exists (or, for `produced`, does not), (6) permission, (7) the lifecycle, (8) the time order within the
pack's life (not before its production date; an event that moves the pack not before the last one that
did), then (9) folds the event's effect (which checks what the payload says about other packs and
organisations).

The per-pack chronology (docs/lifecycle.md, "Time order"): every event is refused with a code of its
own when it is dated before EPOCH (`at_before_2000`) or before the pack's production date
(`at_before_production`); an event that moves the pack (changes its status or custody: the event types
`events.lifecycle.MOVING_EVENTS`, derived from the table) also when it is dated before the last event
that moved it (`at_out_of_order`). The others (`lifecycle.LATE_REPORTABLE_EVENTS`: incident, recalled,
corrected, serviced, inspected) may be reported late for an earlier moment of the pack's life.

`refold` is `apply` for an entry already in the log (verify's replay): the checks added after the first
entries were recorded (the epoch, the production date, the plausible ranges of payloads) are admission
checks it leaves out, so a log recorded before them still replays to its stored states; the time order
of moving events has held since the first entry and is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from events import extras, lots
from events.batch import batch_problems
from events.catalogue import EventType, event_type_of, parse_payload
from events.codes import parse_code
from events.effects import EFFECTS, NEEDS_LEASE, Step
from events.errors import AuthorisationError, InputError, InvalidPayload, LifecycleError, NotFoundError
from events.lifecycle import (
    AT_BEFORE_2000,
    AT_BEFORE_PRODUCTION,
    AT_OUT_OF_ORDER,
    GENESES,
    LATE_REPORTABLE_EVENTS,
    MOVING_EVENTS,
    allowed_events,
    next_status,
)
from events.orgs import Org
from events.permissions import check_permission, permission_denial
from events.state import Context, Event, PackState
from events.timestamps import china_date, from_rfc3339, to_rfc3339

CLOCK_SKEW = timedelta(minutes=5)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # no event of a traction battery in the record is older


def apply(state: PackState | None, event: Event, ctx: Context) -> PackState:
    """The pack's state after `event`; raises an `events.errors` error if the event is not acceptable."""
    return _apply(state, event, ctx, admitting=True)


def refold(state: PackState | None, event: Event, ctx: Context) -> PackState:
    """`apply` for an entry already recorded: without the admission checks added after entries were first
    recorded (see the module's doc)."""
    return _apply(state, event, ctx, admitting=False)


def _apply(state: PackState | None, event: Event, ctx: Context, *, admitting: bool) -> PackState:
    if lots.is_lot_subject(event.pack):  # a recycler lot's own chain (docs/recycling-lots.md)
        return _apply_lot(state, event, ctx, admitting=admitting)
    # (1), (2)
    code = parse_code(event.pack)
    event_type = event_type_of(event.type)
    payload = parse_payload(event_type, event.data, recorded=not admitting)
    # (3)
    _check_not_in_future(event.at, ctx.now)
    if admitting:
        _check_after_epoch(event.at)
    # (4)
    actor = _actor(ctx, event.actor)
    # (5)
    genesis = event_type in GENESES
    if state is None and not genesis:
        raise NotFoundError(f"unknown pack {code.code}")
    if state is not None and genesis:
        raise LifecycleError(
            f"pack {code.code} already exists (it is {state.status}); '{event_type}' is only its first event"
        )
    if state is not None and state.code != code.code:
        raise InputError(f"an event for {code.code} cannot be applied to the state of {state.code}")
    # (6)
    check_permission(event_type, actor, state, code, event.data)
    # (7)
    into_site = event_type is EventType.INSTALLED and event.data.get("site") is not None
    retired = state is not None and extras.RETIRED_AT in state.extra
    kind = "site" if into_site else "vin"
    direction = event.data.get("direction") if event_type is EventType.SWAPPED else None
    status = next_status(
        state.status if state else None, event_type, binding_kind=kind, retired=retired, swap_direction=direction
    )
    # (8)
    if state is not None and admitting:
        _check_after_production(event.at, state)
    if state is not None and event_type in MOVING_EVENTS:
        _check_after_last_move(event.at, state)
    # (9)
    step = Step(state=state, event=event, payload=payload, actor=actor, code=code, ctx=ctx, status=status)
    after = EFFECTS[event_type](step)
    return _bookkept(after, state, step)


def _apply_lot(state: PackState | None, event: Event, ctx: Context, *, admitting: bool) -> PackState:
    """A lot's event: its subject and type, the time checks and the actor as for a pack; then events.lots."""
    lots.parse_lot_subject(event.pack)
    _check_not_in_future(event.at, ctx.now)
    if admitting:
        _check_after_epoch(event.at)
    return lots.apply_lot(state, event, _actor(ctx, event.actor), ctx)


def _check_not_in_future(at: datetime, now: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidPayload(f"event time {at.isoformat()} has no time zone; use UTC with 'Z'")
    if at > now + CLOCK_SKEW:
        raise InvalidPayload(
            f"event time {to_rfc3339(at)} is in the future: later than the recording time {to_rfc3339(now)} "
            f"plus {CLOCK_SKEW.seconds // 60} minutes of clock skew"
        )


def _actor(ctx: Context, org_id: str) -> Org:
    org = ctx.org(org_id)
    if org is None:
        raise AuthorisationError(f"unknown organisation {org_id!r}")
    if not isinstance(org, Org):
        raise TypeError(f"Context.org({org_id!r}) returned {type(org).__name__}, not events.orgs.Org")
    return org


def _check_after_epoch(at: datetime) -> None:
    if at < EPOCH:
        raise InvalidPayload(
            f"event time {to_rfc3339(at)} is before {to_rfc3339(EPOCH)}: no event of a pack in the record is that old",
            code=AT_BEFORE_2000,
        )


def _check_after_production(at: datetime, state: PackState) -> None:
    made = state.production_date
    if made is not None and china_date(at) < made:
        raise InvalidPayload(
            f"event time {to_rfc3339(at)} ({china_date(at).isoformat()}, China time) is before the pack's "
            f"production date {made.isoformat()}",
            code=AT_BEFORE_PRODUCTION,
        )


def _check_after_last_move(at: datetime, state: PackState) -> None:
    # Every moving event changes the status (events.lifecycle.MOVING_EVENTS), so the last one is the one
    # that gave the pack its current status.
    since = state.extra.get(extras.STATUS_SINCE)
    if since is not None and at < from_rfc3339(since):
        raise InvalidPayload(
            f"event time {to_rfc3339(at)} is before {since}, when the pack became {state.status}; "
            "an event that changes the status or the custody cannot predate the last one that did; "
            f"only {', '.join(sorted(LATE_REPORTABLE_EVENTS))} may be reported for an earlier moment",
            code=AT_OUT_OF_ORDER,
        )


def _bookkept(after: PackState, before: PackState | None, step: Step) -> PackState:
    extra = dict(after.extra)
    if before is None or step.status != before.status:
        extra[extras.STATUS_SINCE] = step.at
    extra[extras.AUTHORS] = sorted({*extra.get(extras.AUTHORS, ()), step.actor.id})
    return after.evolve(status=step.status.value, events=after.events + 1, last_event_at=step.at, extra=extra)


def check_batch(events: Sequence[Event]) -> None:
    """Raise the first cross-pack problem of an atomic batch (see `events.batch.batch_problems`, which
    lists them all with the position to blame)."""
    problems = batch_problems(events)
    if problems:
        raise problems[0][1]


def next_actions(state: PackState, org: Org) -> list[str]:
    """The event types `org` may post on this pack now, sorted (what the scan page offers)."""
    code = parse_code(state.code)
    actions = []
    for event_type in allowed_events(state.status):
        if NEEDS_LEASE.get(event_type, state.lease is not None) != (state.lease is not None):
            continue
        targets = ("vin", "site") if event_type == EventType.INSTALLED else ("vin",)
        if any(permission_denial(event_type, org, state, code, install_target=t) is None for t in targets):
            actions.append(event_type)
    return sorted(actions)


@dataclass
class _ReplayContext:
    """The caller's context as it was before the replayed events: packs they touch come from the replay
    so far (or do not exist yet), never from the caller, which may already hold their final states."""

    base: Context
    states: dict[str, PackState]
    replayed: frozenset[str]

    def org(self, org_id: str) -> Org | None:
        found: Org | None = self.base.org(org_id)
        return found

    def pack(self, code: str) -> PackState | None:
        if code in self.replayed:
            return self.states.get(code)
        return self.base.pack(code)

    @property
    def now(self) -> datetime:
        return self.base.now


def replay(events: Iterable[Event], ctx: Context) -> dict[str, PackState]:
    """Fold events, in order, into the states of every pack they touch."""
    events = list(events)
    states: dict[str, PackState] = {}
    overlay = _ReplayContext(ctx, states, frozenset(event.pack for event in events))
    for event in events:
        states[event.pack] = apply(states.get(event.pack), event, overlay)
    return states
