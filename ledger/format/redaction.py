"""What the legitimate-interest tier may not read in a claim's payload (DESIGN §5: "the history without
personal data"), decided by what a field means rather than by its exact name or place.

Three rules, applied to every event type:

1. the payload fields that name a vehicle, a place or a counterparty (PERSONAL_FIELDS, per event type);
2. inside any nested object (a correction's `fields`, above all), every member whose name means one of
   those, whatever its case or spelling (`VIN`, `Vin`, `scrapCertificate`, `Scrap-Certificate`), at any
   depth;
3. every text, anywhere, that holds something VIN-shaped or names another organisation (its id or its
   name): free text such as a correction's `reason` or an incident's `description` is withheld whole;
4. in a `passport` claim, the BatteryPass sections Annex XIII gives to authorities only (test results,
   `events.passport.CLAIM_TIERS`): the entry never shows more than the reader's passport does.

A withheld member is removed; a withheld item of a list becomes null. Each is listed by its path
(`data.fields.owner.vin`, `data.fields.vins[0]`), so the reader knows what is missing.

Rule 3 over-redacts on purpose: any 17-character run of VIN characters holding a digit counts, check
digit or not (a VIN of a vehicle built outside China need not carry one), and an organisation id that is
also an ordinary word hides the text that uses it. Withholding too much costs a reader a sentence; too
little would leak what the tier must never see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from events import passport

# Payload fields that name a vehicle, a place or a counterparty (rule 1).
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "produced": ("box_code",),  # the swap box code is the authority tier's (docs/swaps.md)
    "shipped": ("to", "waybill"),
    "received": ("from",),
    "installed": ("vin", "site"),
    "retired": ("scrap_certificate",),
    "found": ("custodian",),
    "swapped": ("vin", "site"),
    "ownership_transferred": ("to", "reference"),
    "leased": ("lessee", "vin", "site"),
}

# Names that mean one of them (rule 2), compared after `_meaning`: lower case, letters and digits only.
PERSONAL_NAMES = frozenset(
    {
        "vin", "vins", "vehicle", "vehicleid", "vehicleidentificationnumber", "site", "sites", "location",
        "address", "to", "from", "sender", "receiver", "recipient", "consignee", "shipper", "counterparty",
        "custodian", "holder", "owner", "customer", "waybill", "waybillno", "waybillnumber", "trackingnumber",
        "scrapcertificate", "certificate", "contact", "phone", "email",
        "customsdeclaration",  # an import's 报关单号 (produced.imported), authority tier only
        "boxcode",  # a swap box code (produced.box_code), authority tier only, wherever it is copied (arrived)
    }
)  # fmt: skip

# 17 VIN characters (no I, O, Q) standing alone, any case (rule 3); `_has_vin` also wants a digit in it.
_VIN_SHAPED = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NPR-Za-hj-npr-z]{17}(?![0-9A-Za-z])")
_ORG_EDGE_BEFORE = r"(?<![0-9A-Za-z-])"
_ORG_EDGE_AFTER = r"(?![0-9A-Za-z-])"


def _meaning(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _has_vin(text: str) -> bool:
    return any(any(ch.isdigit() for ch in m.group()) for m in _VIN_SHAPED.finditer(text))


class Redactor:
    """Withholds personal data from payloads for one reader.

    `others`: ids and names of the organisations whose mention in free text is withheld — every
    registered organisation except the reader itself and those the reader may see anyway (the pack's
    maker, which is public).
    """

    def __init__(self, others: Iterable[str] = ()) -> None:
        names = sorted({n for n in others if len(n.strip()) >= 2}, key=lambda n: (-len(n), n))
        self._orgs = (
            re.compile(_ORG_EDGE_BEFORE + "(?:" + "|".join(map(re.escape, names)) + ")" + _ORG_EDGE_AFTER, re.I)
            if names
            else None
        )

    def personal_text(self, text: str) -> bool:
        """Does `text` hold a VIN or name another organisation?"""
        return _has_vin(text) or (self._orgs is not None and self._orgs.search(text) is not None)

    def withhold(self, event_type: str, data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The payload without personal data, and the paths of what was withheld (in payload order)."""
        shown: dict[str, Any] = {}
        redacted: list[str] = []
        top = PERSONAL_FIELDS.get(event_type, ())
        for name, value in data.items():
            path = f"data.{name}"
            if name in top or self.personal_text(name):
                if value is not None:
                    redacted.append(path)
                continue
            kept = self._value(value, path, redacted)
            if kept is not _WITHHELD:
                shown[name] = kept
        if event_type == passport.CLAIM_TYPE and isinstance(shown.get("attributes"), Mapping):  # rule 4
            shown["attributes"], above = passport.tiered_claim(shown["attributes"], _READER_TIER)
            redacted += [f"data.attributes.{section}" for section in above]
        return shown, redacted

    def _value(self, value: Any, path: str, redacted: list[str]) -> Any:
        if isinstance(value, str):
            if self.personal_text(value):
                redacted.append(path)
                return _WITHHELD
            return value
        if isinstance(value, Mapping):
            kept: dict[str, Any] = {}
            for name, item in value.items():
                inner = f"{path}.{name}"
                if _meaning(str(name)) in PERSONAL_NAMES or self.personal_text(str(name)):
                    redacted.append(inner)
                    continue
                shown = self._value(item, inner, redacted)
                if shown is not _WITHHELD:
                    kept[name] = shown
            return kept
        if isinstance(value, list | tuple):
            items = [self._value(item, f"{path}[{i}]", redacted) for i, item in enumerate(value)]
            return [None if item is _WITHHELD else item for item in items]
        return value

    def mentions(self, value: Any) -> bool:
        """Does any text in `value`, member names included, hold a VIN or name another organisation (rule 3)?"""
        if isinstance(value, str):
            return self.personal_text(value)
        if isinstance(value, Mapping):
            return any(self.personal_text(str(name)) or self.mentions(item) for name, item in value.items())
        if isinstance(value, list | tuple):
            return any(self.mentions(item) for item in value)
        return False

    def withholds_nothing(self, event_type: str, data: Mapping[str, Any]) -> bool:
        return not self.withhold(event_type, data)[1]


_WITHHELD: Any = object()
_READER_TIER = "legitimate_interest"  # the tier a Redactor reads for (the authority tier reads payloads whole)
