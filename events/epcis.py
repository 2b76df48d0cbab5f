"""GS1 EPCIS 2.0: each entry of a pack's chain as an EPCIS event (JSON-LD), and the GS1 event hash ID.

Pure: the mapping is data (`STEPS`, `VARIANTS`), read by `epcis_events`; `event_hash_id` is the GS1
"EPCIS event hash" (CBV 2.0 §8.9, the algorithm of the `epcis-event-hash-generator` reference package,
which the tests compare it with) for the shapes this module produces: simple fields, EPC lists,
readPoint/bizLocation and namespaced extension members (docs/epcis.md). Quantity lists, source and
destination lists, business transactions and sensor data are not produced, so not hashed here either.

The pack (and every module, cell or second-life product) is identified by its label's URL,
`{public_url}/p/{code}`, which resolves to the pack's public page. What EPCIS has no field for goes into
members in the `packtrace` namespace (`{public_url}/ns/epcis/`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from events.errors import AuthorisationError, InputError
from events.lots import is_lot_subject, parse_lot_subject
from events.timestamps import CHINA_TZ, from_rfc3339

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
BIZ_STEP_PREFIX = "https://ref.gs1.org/cbv/BizStep-"
DISPOSITION_PREFIX = "https://ref.gs1.org/cbv/Disp-"
NS_PREFIX = "packtrace"
TIME_ZONE_OFFSET = "+08:00"  # events are dated in China time (events.timestamps.CHINA_TZ)


@dataclass(frozen=True)
class Step:
    """An entry type's EPCIS event: its type, action (ObjectEvent and AggregationEvent only), CBV business
    step and disposition (bare CBV 2.0 words; None: the event states none)."""

    event_type: str
    action: str | None
    biz_step: str
    disposition: str | None


OBJECT, AGGREGATION, TRANSFORMATION = "ObjectEvent", "AggregationEvent", "TransformationEvent"

# One row per entry type (events.catalogue.EventType). CBV 2.0 has no words for repurposing, recalls, loss,
# leases, ownership changes or passport claims: those take `other`, and their entry type is always in
# `packtrace:entryType`.
STEPS: dict[str, Step] = {
    "produced": Step(OBJECT, "ADD", "commissioning", "active"),
    "shipped": Step(OBJECT, "OBSERVE", "shipping", "in_transit"),
    "received": Step(OBJECT, "OBSERVE", "receiving", "in_progress"),
    "installed": Step(OBJECT, "OBSERVE", "installing", "active"),
    "removed": Step(OBJECT, "OBSERVE", "removing", "inactive"),
    "serviced": Step(OBJECT, "OBSERVE", "repairing", "active"),
    "retired": Step(OBJECT, "OBSERVE", "decommissioning", "inactive"),
    "inspected": Step(OBJECT, "OBSERVE", "inspecting", "conformant"),
    "repurposed": Step(TRANSFORMATION, None, "other", "active"),
    "dismantled": Step(TRANSFORMATION, None, "disassembling", "destroyed"),
    "recycled": Step(TRANSFORMATION, None, "destroying", "destroyed"),
    "lotted": Step(TRANSFORMATION, None, "destroying", "destroyed"),
    # a recycler lot's own chain (events.lots): opened, then its recovery reported
    "lot_opened": Step(OBJECT, "ADD", "commissioning", "active"),
    "lot_recovered": Step(TRANSFORMATION, None, "destroying", "destroyed"),
    "incident": Step(OBJECT, "OBSERVE", "other", "damaged"),
    "recalled": Step(OBJECT, "OBSERVE", "holding", "recalled"),
    "corrected": Step(OBJECT, "OBSERVE", "other", None),
    "lost": Step(OBJECT, "OBSERVE", "other", "unknown"),
    "exported": Step(OBJECT, "OBSERVE", "departing", "in_transit"),
    "transferred": Step(OBJECT, "OBSERVE", "departing", "in_transit"),
    "arrived": Step(OBJECT, "OBSERVE", "arriving", "in_progress"),
    "found": Step(OBJECT, "OBSERVE", "other", "active"),
    "swapped": Step(OBJECT, "OBSERVE", "installing", "active"),
    "ownership_transferred": Step(OBJECT, "OBSERVE", "other", None),
    "leased": Step(OBJECT, "OBSERVE", "other", "active"),
    "lease_ended": Step(OBJECT, "OBSERVE", "other", None),
    "passport": Step(OBJECT, "OBSERVE", "other", None),  # the battery passport's claim: data about the pack
}

# Where a payload value changes the step: (entry type, field, value) → the step instead of STEPS's.
VARIANTS: dict[tuple[str, str, str], Step] = {
    ("inspected", "verdict", "repurpose"): Step(OBJECT, "OBSERVE", "inspecting", "non_conformant"),
    ("inspected", "verdict", "recycle"): Step(OBJECT, "OBSERVE", "inspecting", "non_conformant"),
    ("swapped", "direction", "out"): Step(OBJECT, "OBSERVE", "removing", "available"),
}

# A pack produced with modules or cells: the aggregation of its components under it.
ASSEMBLED = Step(AGGREGATION, "ADD", "assembling", "active")
# A module replacement in `serviced`: the old module leaves the pack, the new one joins it.
MODULE_OUT = Step(AGGREGATION, "DELETE", "replacing", None)
MODULE_IN = Step(AGGREGATION, "ADD", "replacing", "active")

CBV_TERMS: frozenset[str] = frozenset()  # set below, once the tables above are known

# Payload members shown as EPC lists or transformation IDs rather than as extension members.
_AS_EPCS: dict[str, frozenset[str]] = {
    "produced": frozenset({"modules", "cells", "module_cells"}),
    "repurposed": frozenset({"into"}),
    "lotted": frozenset({"lot"}),
}


@dataclass(frozen=True)
class EntryFacts:
    """What the mapping reads of one entry, as the caller's tier may see it."""

    code: str
    entry_type: str
    at: str  # RFC 3339, UTC (the claim's `at`)
    recorded_at: str
    entry_hash: str
    seq: int
    data: Mapping[str, Any]
    actor: str | None = None  # withheld below the authority tier, except for the caller's own entries
    redacted: Sequence[str] = ()


def epc_uri(public_url: str, code: str) -> str:
    """A pack's (module's, cell's) EPC: its label's URL, the public page it resolves to."""
    return f"{public_url.rstrip('/')}/p/{code}"


def lot_uri(public_url: str, subject: str) -> str:
    """A recycler lot's EPC (`lot:<recycler>:<lot id>`): the URL of its own EPCISDocument, which resolves
    for the lot's recycler and the regulators (GET /v1/epcis/lots/{recycler}/{lot id})."""
    recycler, lot_id = parse_lot_subject(subject)
    return f"{public_url.rstrip('/')}/v1/epcis/lots/{recycler}/{lot_id}"


def subject_uri(public_url: str, subject: str) -> str:
    """The EPC of a chain's subject: a pack's label URL, or a lot's document URL."""
    return lot_uri(public_url, subject) if is_lot_subject(subject) else epc_uri(public_url, subject)


def namespace(public_url: str) -> str:
    return f"{public_url.rstrip('/')}/ns/epcis/"


def context(public_url: str) -> list[Any]:
    return [EPCIS_CONTEXT, {NS_PREFIX: namespace(public_url)}]


def step_of(entry_type: str, data: Mapping[str, Any]) -> Step:
    for (kind, field, value), step in VARIANTS.items():
        if kind == entry_type and data.get(field) == value:
            return step
    return STEPS[entry_type]


def _event_time(at: str) -> str:
    return from_rfc3339(at).astimezone(CHINA_TZ).isoformat()


def _cbv_terms() -> frozenset[str]:
    """The CBV words this module can write, and their URIs' last segments: a string equal to one of them
    would be read as that CBV URI by the reference hash (it expands bare strings it can match to a CBV URI
    of the document, extension values included)."""
    steps = [*STEPS.values(), *VARIANTS.values(), ASSEMBLED, MODULE_OUT, MODULE_IN]
    words = {(step.biz_step, "BizStep") for step in steps}
    words |= {(step.disposition, "Disp") for step in steps if step.disposition is not None}
    return frozenset(term for word, kind in words for term in (word, f"{kind}-{word}"))


CBV_TERMS = _cbv_terms()


def _extension_value(value: Any) -> Any:
    """A payload value as an extension member: booleans as words (the hash reads every value as text), and
    a string that is also a CBV word as the term of the packtrace namespace (`packtrace:other`), so that no
    reader takes it for the CBV one."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip() in CBV_TERMS:
        return f"{NS_PREFIX}:{value}"
    if isinstance(value, Mapping):
        return {str(key): _extension_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_extension_value(item) for item in value]
    return value


def _base(facts: EntryFacts, step: Step) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": step.event_type,
        "eventTime": _event_time(facts.at),
        "eventTimeZoneOffset": TIME_ZONE_OFFSET,
        "recordTime": from_rfc3339(facts.recorded_at).astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    return event


def _finish(event: dict[str, Any], facts: EntryFacts, step: Step, public_url: str, *, part: int = 0) -> dict[str, Any]:
    if step.action is not None:
        event["action"] = step.action
    event["bizStep"] = step.biz_step
    if step.disposition is not None:
        event["disposition"] = step.disposition
    if facts.actor is not None:
        event["bizLocation"] = {"id": f"{public_url.rstrip('/')}/v1/orgs/{facts.actor}"}
    event[f"{NS_PREFIX}:entryType"] = f"{NS_PREFIX}:{facts.entry_type}"
    event[f"{NS_PREFIX}:entryHash"] = facts.entry_hash
    event[f"{NS_PREFIX}:seq"] = facts.seq
    if part:
        event[f"{NS_PREFIX}:part"] = part
    hidden = _AS_EPCS.get(facts.entry_type, frozenset())
    for key, value in sorted(facts.data.items()):
        if key not in hidden and value is not None:
            event[f"{NS_PREFIX}:{key}"] = _extension_value(value)
    if facts.redacted:
        event[f"{NS_PREFIX}:redacted"] = sorted(facts.redacted)
    event["eventID"] = event_hash_id(event, namespace(public_url))
    return event


def epcis_events(facts: EntryFacts, public_url: str) -> list[dict[str, Any]]:
    """The EPCIS events of one entry: one, but two for each module a `serviced` entry replaces."""
    pack = subject_uri(public_url, facts.code)
    data, kind = facts.data, facts.entry_type
    if kind == "produced" and (data.get("modules") or data.get("cells")):
        event = _base(facts, ASSEMBLED)
        event["parentID"] = pack
        parts = [*data.get("modules", ()), *data.get("cells", ())]
        event["childEPCs"] = [epc_uri(public_url, c) for c in parts if isinstance(c, str)]  # a withheld one is null
        return [_finish(event, facts, ASSEMBLED, public_url)]
    if kind == "serviced" and data.get("replaced_modules"):
        events: list[dict[str, Any]] = []
        for replacement in data["replaced_modules"]:
            for step, member in ((MODULE_OUT, "old"), (MODULE_IN, "new")):
                if not isinstance(replacement, Mapping) or not isinstance(replacement.get(member), str):
                    continue  # withheld from this reader (ledger.format.redaction)
                event = _base(facts, step)
                event["parentID"] = pack
                event["childEPCs"] = [epc_uri(public_url, replacement[member])]
                events.append(_finish(event, facts, step, public_url, part=len(events) + 1))
        return events
    step = step_of(kind, data)
    event = _base(facts, step)
    if step.event_type == TRANSFORMATION:
        event["inputEPCList"] = [pack]
        outputs = _outputs(facts, public_url)
        if outputs:
            event["outputEPCList"] = outputs
        if kind == "lotted" and isinstance(data.get("lot"), str):  # a lot's packs and recovery share its ID
            event["transformationID"] = lot_uri(public_url, data["lot"])
        elif kind == "lot_recovered":
            event["transformationID"] = pack
        elif not outputs:  # recycled, dismantled into materials only, a lot withheld: the entry names it
            event["transformationID"] = f"ni:///sha-256;{facts.entry_hash}"
    else:
        event["epcList"] = [pack]
    return [_finish(event, facts, step, public_url)]


def _outputs(facts: EntryFacts, public_url: str) -> list[str]:
    data = facts.data
    if facts.entry_type == "repurposed":
        into = data.get("into")
        codes = [into] if isinstance(into, str) else list(into or ())
        return [epc_uri(public_url, code) for code in codes]
    if facts.entry_type == "dismantled":
        outputs = [out for out in data.get("outputs", ()) if isinstance(out, Mapping)]  # a withheld one is null
        return [epc_uri(public_url, out["code"]) for out in outputs if isinstance(out.get("code"), str)]
    return []


def document(events: Sequence[Mapping[str, Any]], public_url: str, created: str) -> dict[str, Any]:
    """An EPCISDocument (JSON-LD) holding `events`."""
    return {
        "@context": context(public_url),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"eventList": list(events)},
    }


# --- the GS1 event hash (CBV 2.0 §8.9) ---------------------------------------------------------------

_EPC_LISTS = ("epcList", "inputEPCList", "childEPCs", "outputEPCList")
_IGNORED = frozenset({"recordTime", "eventID", "type", "errorDeclaration"})
_ORDER = (
    "eventTime",
    "eventTimeZoneOffset",
    "certificationInfo",
    "parentID",
    "epcList",
    "inputEPCList",
    "childEPCs",
    "outputEPCList",
    "action",
    "transformationID",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
)
_VOCABULARY = {"bizStep": BIZ_STEP_PREFIX, "disposition": DISPOSITION_PREFIX}


def _utc_millis(text: str) -> str:
    moment = datetime.fromisoformat(text).astimezone(UTC)
    moment = moment.replace(microsecond=round(moment.microsecond, -3) % 1_000_000)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


def _canonical(value: Any) -> str:
    """A value as the pre-hash string writes it: trimmed, numbers without trailing zeros or a leading '+'."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number == int(number) else str(number)


def _member(key: str, value: Any, ns: str) -> list[str]:
    """An unordered member (an extension): `key=value`, or key followed by its members; one per list item.
    A `packtrace:` key or value is written with the namespace's URI."""
    if isinstance(value, list | tuple):
        return [text for item in value for text in _member(key, item, ns)]
    if isinstance(value, Mapping):
        inner = sorted(text for k, v in value.items() for text in _member(_expanded(str(k), ns), v, ns))
        return [key + "".join(inner)]
    if isinstance(value, str) and value.startswith(f"{NS_PREFIX}:"):
        value = ns + value.removeprefix(f"{NS_PREFIX}:")
    text = str(value).strip()
    return [f"{key}={_canonical(text)}" if text else key]


def pre_hash(event: Mapping[str, Any], ns: str) -> str:
    """The pre-hash string of an event this module produced."""
    parts = [f"eventType={event['type']}"]
    for key in _ORDER:
        value = event.get(key)
        if value in (None, [], ""):
            continue
        if key == "eventTime":
            parts.append(f"eventTime={_utc_millis(value)}")
        elif key in _EPC_LISTS:
            parts.append(key + "".join(sorted(f"epc={_canonical(epc)}" for epc in value)))
        elif key in ("readPoint", "bizLocation"):
            parts.append(f"{key}id={_canonical(value['id'])}")
        elif key in _VOCABULARY:
            parts.append(f"{key}={_VOCABULARY[key]}{value}" if "://" not in value else f"{key}={value}")
        else:
            parts.append(f"{key}={_canonical(value)}")
    rest = [
        text
        for key, value in event.items()
        if key not in _IGNORED and key not in _ORDER
        for text in _member(_expanded(key, ns), value, ns)
    ]
    return "".join(parts) + "".join(sorted(rest))


def _expanded(key: str, ns: str) -> str:
    prefix, _, name = key.partition(":")
    return f"{{{ns}}}{name}" if prefix == NS_PREFIX and name else key


def event_hash_id(event: Mapping[str, Any], ns: str) -> str:
    """The event's hash ID: `ni:///sha-256;<hex>?ver=CBV2.0`."""
    digest = hashlib.sha256(pre_hash(event, ns).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


# --- the EPCIS 2.0 REST query subset (GET /events) ------------------------------------------------------

EVENT_TYPES = (OBJECT, AGGREGATION, TRANSFORMATION)
ACTIONS = ("ADD", "OBSERVE", "DELETE")


class QueryParameterError(InputError):
    """A query parameter EPCIS 2.0 names, with a value it cannot take (EPCIS `QueryParameterException`)."""

    code = "invalid_filter"
    epcis_exception = "QueryParameterException"


class QuerySecurityError(AuthorisationError):
    """A query the caller may not make (EPCIS `SecurityException`)."""

    code = "forbidden"
    epcis_exception = "SecurityException"


@dataclass(frozen=True)
class EventQuery:
    """The SimpleEventQuery parameters this platform answers: EQ_epc (the packs to read; without it, a
    regulator's query over the whole log), GE_/LT_eventTime, GE_/LT_recordTime, EQ_bizStep (bare CBV words
    or their URIs), eventType, EQ_action."""

    epcs: tuple[str, ...] = ()
    ge_event_time: str | None = None
    lt_event_time: str | None = None
    biz_steps: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    ge_record_time: str | None = None
    lt_record_time: str | None = None


def code_of_epc(epc: str, public_url: str) -> str | None:
    """The battery code an EPC of this platform names (`{public_url}/p/{code}`); None for any other URI."""
    prefix = epc_uri(public_url, "")
    return epc.removeprefix(prefix) if epc.startswith(prefix) and len(epc) > len(prefix) else None


def _bare_step(step: str) -> str:
    return step.removeprefix(BIZ_STEP_PREFIX)


def _steps_of(entry_type: str) -> list[Step]:
    """Every step an entry of this type may map to (its row, its variants, its aggregations)."""
    steps = [STEPS[entry_type], *(step for (kind, _, _), step in VARIANTS.items() if kind == entry_type)]
    if entry_type == "produced":
        steps.append(ASSEMBLED)
    if entry_type == "serviced":
        steps += [MODULE_OUT, MODULE_IN]
    return steps


def _step_answers(step: Step, query: EventQuery) -> bool:
    return (
        (not query.event_types or step.event_type in query.event_types)
        and (not query.biz_steps or step.biz_step in {_bare_step(s) for s in query.biz_steps})
        and (not query.actions or step.action in query.actions)
    )


def entry_types(query: EventQuery) -> tuple[str, ...]:
    """The entry types whose events may answer the query's event type, business step and action: what the
    store filters entries by (the events of those entries are then matched one by one)."""
    return tuple(kind for kind in STEPS if any(_step_answers(step, query) for step in _steps_of(kind)))


def check_query(query: EventQuery) -> None:
    """QueryParameterError naming the first parameter with a value this platform cannot answer."""
    bad_types = [kind for kind in query.event_types if kind not in EVENT_TYPES]
    if bad_types:
        raise QueryParameterError(f"eventType {bad_types[0][:40]!r} is not one of {', '.join(EVENT_TYPES)}")
    bad_actions = [action for action in query.actions if action not in ACTIONS]
    if bad_actions:
        raise QueryParameterError(f"EQ_action {bad_actions[0][:40]!r} is not one of {', '.join(ACTIONS)}")
    for name, value in (("GE_eventTime", query.ge_event_time), ("LT_eventTime", query.lt_event_time),
                        ("GE_recordTime", query.ge_record_time), ("LT_recordTime", query.lt_record_time)):  # fmt: skip
        if value is not None:
            query_time(value, name)


def query_time(text: str, name: str) -> datetime:
    """A query's time parameter: an RFC 3339 date-time with its offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise QueryParameterError(f"{name} {text[:40]!r} is not a date-time (RFC 3339)") from None
    if moment.tzinfo is None:
        raise QueryParameterError(f"{name} {text[:40]!r} has no time zone offset")
    return moment


def matches(event: Mapping[str, Any], query: EventQuery) -> bool:
    """Whether the event answers the query (the times are compared as instants)."""
    if query.event_types and event["type"] not in query.event_types:
        return False
    if query.biz_steps and event["bizStep"] not in {_bare_step(step) for step in query.biz_steps}:
        return False
    if query.actions and event.get("action") not in query.actions:
        return False
    windows = (
        (event["eventTime"], query.ge_event_time, query.lt_event_time),
        (event["recordTime"], query.ge_record_time, query.lt_record_time),
    )
    for value, ge, lt in windows:
        at = datetime.fromisoformat(value)
        if ge is not None and at < datetime.fromisoformat(ge):
            return False
        if lt is not None and at >= datetime.fromisoformat(lt):
            return False
    return True


def query_document(events: Sequence[Mapping[str, Any]], public_url: str, created: str) -> dict[str, Any]:
    """An EPCISQueryDocument answering a SimpleEventQuery with `events`."""
    return {
        "@context": context(public_url),
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": list(events)}}},
    }
