"""The scan page's forms: which fields each next action asks for, and the payload a submitted form makes.

The payload's rules are the domain's (events.catalogue): this only turns form text into the payload's
shape and numbers; whatever the form gets wrong, the ledger refuses with its own message.

`repurposed` (two packs in one transaction) and `corrected` (names an entry hash) are not offered on the
phone: they are posted through the API. `swapped` is: a swap station scans the outgoing pack (the one in
the vehicle) and names the incoming one (scanned into the field, or picked from its pool); the page posts
both halves in one request (ledger.usecases.pages.post_swap). It is offered on the outgoing pack only.
The ownership events (docs/ownership.md) are offered to the owner who scans its pack: `ownership_transferred`
(a sale, with the contract's reference), `leased` (a lessor leasing it for the vehicle or site it is in) and
`lease_ended`; next_actions decides which (a lease needs none active, its end needs one).
`transferred` (a hand-over to an organisation on another packtrace platform, docs/federation.md) is offered
only when the server has peer platforms (PACKTRACE_PEERS): the platform is picked from them, the receiver
typed as its id there (it is not registered here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.web.i18n_life16 import FIELD_LABELS_LIFE16 as L16
from events.catalogue import EventType as E
from events.catalogue import choices
from events.elements import ELEMENT_SYMBOLS
from events.errors import InputError
from events.lifecycle import SWAPPED_FROM
from events.recovery import DEFAULT_VERSION, RECOVERY_THRESHOLDS

# the elements the 规范条件 sets a recovery threshold on: the masses a recycler's phone form asks for
ELEMENTS = tuple(e for e in RECOVERY_THRESHOLDS[DEFAULT_VERSION] if e in ELEMENT_SYMBOLS)


@dataclass(frozen=True)
class Input:
    name: str  # dotted: `content_kg.Li` nests into {"content_kg": {"Li": …}}
    label: tuple[str, str]  # Chinese, English
    required: bool = False
    number: bool = False
    options: tuple[str, ...] = ()
    pool: bool = False  # suggest the codes of the organisation's pool (a swap station's packs in stock)
    org: bool = False  # an organisation, picked by name from those that may receive a pack
    peer: bool = False  # a peer platform, picked from those configured (PACKTRACE_PEERS)


def _masses(kind: str, zh: str, en: str) -> tuple[Input, ...]:
    return tuple(Input(f"{kind}.{e}", (f"{e} {zh} (kg)", f"{e} {en} (kg)"), number=True) for e in ELEMENTS)


FORMS: dict[str, tuple[Input, ...]] = {
    "received": (),
    "shipped": (Input("to", ("收货单位", "Receiving organisation"), required=True, org=True),
                Input("waybill", ("运单号", "Waybill"))),
    "installed": (Input("vin", ("车辆识别代号 (VIN)", "VIN")), Input("site", ("或储能电站", "or storage site"))),
    "removed": (Input("reason", ("原因", "Reason"), required=True,
                      options=choices(E.REMOVED, "reason")),),
    "serviced": (Input("description", ("维修内容", "What was done"), required=True),
                 # a module replacement (docs/modules.md): both codes, or neither
                 Input("module_old", ("换下的模组编码（可空）", "Module taken out (optional)")),
                 Input("module_new", ("换上的模组编码", "Module put in"))),
    "retired": (Input("reason", ("原因", "Reason"), required=True,
                      options=choices(E.RETIRED, "reason")),
                Input("scrap_certificate", ("报废汽车回收证明编号", "Scrap certificate number"))),
    "inspected": (Input("soh_pct", ("健康度 SOH (%)", "State of health (%)"), required=True, number=True),
                  # recycle first, as the form offered before: the verdict a slip of the thumb should give
                  Input("verdict", ("结论", "Verdict"), required=True,
                        options=tuple(sorted(choices(E.INSPECTED, "verdict"))))),
    "dismantled": (Input("output_name", ("产出物名称（可空）", "Output material (optional)")),
                   Input("output_mass_kg", ("产出物重量 (kg)", "Its mass (kg)"), number=True),
                   # a module taken out whole, with its code (docs/modules.md)
                   Input("module_code", ("整体取出的模组编码（可空）", "Module taken out whole (optional)")),
                   Input("module_mass_kg", ("该模组重量 (kg)", "Its mass (kg)"), number=True)),
    "recycled": (Input("feed_mass_kg", ("投料重量 (kg)", "Feed mass (kg)"), required=True, number=True),
                 *_masses("content_kg", "含量", "content"), *_masses("recovered_kg", "回收量", "recovered")),
    # into a recycler lot (docs/recycling-lots.md): the lot reports its recovery through the API
    "lotted": (Input("lot", ("回收批次 (lot:企业标识:批次号)", "Lot (lot:<org id>:<lot id>)"), required=True),),
    "incident": (Input("kind", ("类型", "Kind"), required=True,
                       options=choices(E.INCIDENT, "kind")),
                 Input("severity", ("严重程度", "Severity"), required=True,
                       options=choices(E.INCIDENT, "severity")),
                 Input("description", ("描述", "Description"), required=True)),
    "recalled": (Input("campaign", ("召回活动编号", "Campaign"), required=True),
                 Input("reason", ("原因", "Reason"), required=True)),
    "lost": (Input("reason", ("原因", "Reason"), required=True),),
    "transferred": (Input("platform", ("接收平台", "Receiving platform"), required=True, peer=True),
                    Input("to", ("对方平台上的收货单位标识", "Receiving organisation's id on that platform"),
                          required=True),
                    Input("waybill", ("运单号", "Waybill"))),
    "exported": (Input("destination", ("目的国（两位代码）", "Destination country (2 letters)"), required=True),
                 Input("reason", ("原因", "Reason"))),
    "found": (Input("custodian", ("现持有单位", "Organisation holding it"), required=True, org=True),
              Input("note", ("说明", "Note"), required=True)),
    "swapped": (Input("partner", ("换入电池包编码（扫码或从本站电池池中选）", "Incoming pack (scan it, or pick from "
                                  "the pool)"), required=True, pool=True),
                Input("site", ("换电站", "Swap station"))),
    "ownership_transferred": (Input("to", L16["owner_to"], required=True, org=True),
                              Input("reference", L16["owner_reference"])),
    "leased": (Input("lessee", L16["lessee"], required=True, org=True), Input("vin", L16["lease_vin"]),
               Input("site", L16["lease_site"]), Input("until", L16["lease_until"])),
    "lease_ended": (Input("reason", L16["lease_end_reason"], required=True,
                          options=choices(E.LEASE_ENDED, "reason")),),
}  # fmt: skip


# the actions in order of likelihood: what a person holding the pack most often does first (acknowledging a
# receipt that waits for them above all), the rare and the grave (a loss, a recall, an export) last
LIKELIHOOD: tuple[str, ...] = (
    "received", "swapped", "installed", "shipped", "inspected", "removed", "serviced", "retired",
    "dismantled", "lotted", "recycled", "repurposed", "leased", "lease_ended", "ownership_transferred", "incident",
    "found", "lost", "recalled", "transferred", "exported",
)  # fmt: skip

# the actions whose form picks an organisation
ORG_PICKS = frozenset(action for action, inputs in FORMS.items() if any(field.org for field in inputs))


def forms_for(actions: list[str], status: str, *, peers: bool = False) -> list[tuple[str, tuple[Input, ...]]]:
    """The forms of the actions the phone can post on a pack in `status`, most likely first (LIKELIHOOD): a
    swap starts from the outgoing pack; a hand-over to another platform needs one configured (`peers`)."""
    rank = {action: i for i, action in enumerate(LIKELIHOOD)}
    offered = [
        (action, FORMS[action])
        for action in actions
        if action in FORMS
        and (action != E.SWAPPED or status == SWAPPED_FROM["out"])
        and (action != E.TRANSFERRED or peers)
    ]
    return sorted(offered, key=lambda item: rank.get(item[0], len(rank)))


class FormError(InputError):
    """A form field left blank or not a number; `localized` is its message in Chinese and English."""

    def __init__(self, localized: tuple[str, str]) -> None:
        super().__init__(localized[1], code="invalid_request")
        self.localized = localized


def payload(action: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The event payload a submitted action form makes; blank optional fields are left out."""
    if action not in FORMS:
        raise InputError(f"{action!r} cannot be posted from the scan page; use the API", code="invalid_request")
    data: dict[str, Any] = {}
    for field in FORMS[action]:
        text = str(form.get(field.name, "")).strip()
        if not text:
            if field.required:
                raise FormError((f"请填写“{field.label[0]}”。", f"{field.label[1]} is required"))
            continue
        value: Any = _number(field, text) if field.number else text
        target = data
        *parents, leaf = field.name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    if action == "dismantled":
        name, mass = data.pop("output_name", None), data.pop("output_mass_kg", None)
        data["outputs"] = [{"kind": "material", "name": name, "mass_kg": mass}] if name or mass else []
        module, module_mass = data.pop("module_code", None), data.pop("module_mass_kg", None)
        if module or module_mass:
            data["outputs"].append({"kind": "module", "code": module, "mass_kg": module_mass})
    if action == "serviced":
        old, new = data.pop("module_old", None), data.pop("module_new", None)
        if old or new:
            data["replaced_modules"] = [{"old": old, "new": new}]
    if action == "recycled":
        data.setdefault("content_kg", {})
        data.setdefault("recovered_kg", {})
    return data


def _number(field: Input, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FormError(
            (f"“{field.label[0]}”须为数字：{text}", f"{field.label[1]}: {text!r} is not a number")
        ) from None
