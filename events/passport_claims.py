"""The signed `passport` claim (电池护照声明): the attributes of the battery passport that only the pack's maker or
its custodian knows, posted on the pack's chain as a partial Catena-X BatteryPass document (docs/passport.md).

A claim is refused, in this order, when:
1. it names a member the BatteryPass does not have, or gives a section that holds required attributes as
   anything but an object of them (InvalidPayload);
2. it posts an attribute the platform fills from entries (`events.passport.FILLED_FROM`): the record has one
   source per attribute (InvalidPayload, naming the entry);
3. its poster may not supply an attribute: the manufacturer's (`events.passport.SUPPLIERS`) are the pack's
   maker's (the organisation that posted `produced`; an imported pack's importer), the custodian's are the
   current custodian's (AuthorisationError, naming who must);
4. an attribute is not valid against its definition in the schema (InvalidPayload, with the schema's words).
Every problem of the first failing kind is named, each with its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events import batterypass, passport
from events.errors import AuthorisationError, InvalidPayload
from events.orgs import Org
from events.state import PackState

_WHERE = "data.attributes"


def _refused(problems: list[tuple[str, str]]) -> InvalidPayload:
    listed = "; ".join(f"{_WHERE}.{path}: {what}" for path, what in problems)
    return InvalidPayload(f"invalid 'passport' payload: {listed}")


def _supplier_of(path: str, state: PackState) -> tuple[str, str]:
    """Who supplies the attribute at `path`: (the org id, how it is named)."""
    if passport.supplier(path) == "custodian":
        return state.custodian, f"the pack's current custodian ({state.custodian!r})"
    return state.manufacturer, f"the pack's maker ({state.manufacturer!r})"


def check_claim(attributes: Mapping[str, Any], actor: Org, state: PackState) -> list[tuple[str, Any]]:
    """The claim's attributes, `(path, value)`, if `actor` may post them on the pack whose state is `state`;
    else the first failing kind of refusal (the module's doc), naming every problem of that kind."""
    claimed, problems = passport.split_attributes(attributes)
    if problems:  # (1)
        raise _refused(problems)
    filled = [(path, passport.filled_by_platform(path)) for path, _ in claimed]
    platform = [
        (path, f"filled by the platform from {passport.FILLED_FROM[source]}; a claim cannot post it")
        for path, source in filled
        if source is not None
    ]
    if platform:  # (2)
        raise _refused(platform)
    others = [(path, _supplier_of(path, state)) for path, _ in claimed]
    denied = [f"passport attribute {path!r}: {named} supplies it" for path, (who, named) in others if who != actor.id]
    if denied:  # (3)
        raise AuthorisationError(f"{actor.describe()} may not supply {'; '.join(denied)}")
    invalid = []
    for path, value in claimed:
        definition = batterypass.definition_of(path) or ""
        complaints = batterypass.definition_problems(value, definition)
        if complaints:
            invalid.append((path, f"not a valid {definition} ({'; '.join(complaints)})"))
    if invalid:  # (4)
        raise _refused(invalid)
    return claimed
