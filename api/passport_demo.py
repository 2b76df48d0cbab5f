"""The demo province's battery passport claims (docs/passport.md): a maker's full claim and a custodian's measured
values, for a pack whose passport is then complete and validates whole against the Catena-X BatteryPass 6.1.0
schema. Every value is the demo's: plausible for a traction pack of its chemistry, energy and voltage, never
real data. Documents point to `DEMO_DOCUMENTS` (a reserved `.example` domain) and say they are the demo's;
the Catena-X business partner numbers are made up (`BPNL000DEMO…`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

DEMO_DOCUMENTS = "https://docs.packtrace-demo.example"
DEMO_BPNL = "BPNL000DEMO00001"  # the maker's (made up for the demo)
DEMO_BPNA = "BPNA000DEMO00001"  # its plant's
DEMO_SUPPLIER_BPNL = "BPNL000DEMO00002"  # the spare parts' producer


def _document(header: str, name: str) -> list[dict[str, str]]:
    return [{"header": header, "contentType": "URL", "content": f"{DEMO_DOCUMENTS}/{name} (演示数据 demo data)"}]


def _active(recycled: float, name: str) -> dict[str, Any]:
    return {"location": "正极 cathode", "recycled": recycled, "critical": True,
            "documentation": _document(f"{name} recycled content", f"materials/{name}.pdf")}  # fmt: skip


def _substance(name: str, concentration: float, *, active: bool) -> dict[str, Any]:
    member = {"impactOfSubstances": _document(f"{name} impact", f"substances/{name}-impact.pdf"),
              "concentration": concentration, "location": "无 none (below detection)",
              "materialUnit": "unit:partPerMillion", "critical": False,
              "documentation": _document(f"{name} test", f"substances/{name}.pdf")}  # fmt: skip
    return {**member, "recycled": 0.0} if name == "lead" or active else member


def maker_attributes(
    code: str, chemistry: str, rated_kwh: float, nominal_v: float, made: date, *, purpose: str = "automotive"
) -> dict[str, Any]:
    """The maker's attributes of a pack (`passport` claim `attributes`): everything the manufacturer supplies."""
    capacity_ah = round(rated_kwh * 1000 / nominal_v, 1)
    power_w = round(rated_kwh * 2500, 0)  # 2.5 C peak
    nickel = chemistry in ("NCM", "NCA")
    passport_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO_DOCUMENTS}/passport/{code}"))
    return {
        "identification": {"identification": {
            "type": {"manufacturerPartId": f"DEMO-{code[5:7]}-{chemistry}-{int(rated_kwh)}",
                     "nameAtManufacturer": f"演示电池包 demo {chemistry} pack {rated_kwh:g} kWh"},
            "dataCarrier": {"carrierType": "QR", "carrierLayout": "GB/T 34014 label, QR code to /p/{code}"},
            "classification": [{"classificationStandard": "GB/T 34014-2017", "classificationID": "P",
                                "classificationDescription": "traction battery pack"}],
        }},
        "operation": {"manufacturer": {"facility": [{"facility": DEMO_BPNA}], "manufacturer": DEMO_BPNL}},
        "characteristics": {"warranty": {"lifeValue": 8, "lifeUnit": "unit:year"},
                            "physicalDimension": {"length": {"value": 1800.0, "unit": "unit:millimetre"},
                                                  "width": {"value": 1300.0, "unit": "unit:millimetre"},
                                                  "height": {"value": 140.0, "unit": "unit:millimetre"}}},
        "sustainability": {
            "documents": {"separateCollection": _document("separate collection", "separate-collection.pdf"),
                          "wastePrevention": _document("waste prevention", "waste-prevention.pdf")},
            "carbonFootprint": [{
                "value": round(rated_kwh * (75.0 if chemistry == "LFP" else 90.0), 1), "unit": "kg CO2e",
                "type": "Climate Change Total", "lifecycle": "main product production",
                "rulebook": _document("PEFCR batteries", "carbon/rulebook.pdf"), "performanceClass": "B",
                "manufacturingPlant": [{"facility": DEMO_BPNA}],
                "declaration": _document("carbon footprint declaration", f"carbon/{code}.pdf"),
            }],
        },
        "materials": {
            "active": {"nickel": _active(4.0 if nickel else 0.0, "nickel"), "lithium": _active(6.0, "lithium"),
                       "cobalt": _active(12.0 if nickel else 0.0, "cobalt"),
                       "lead": _substance("lead", 0.0, active=True)},
            "hazardous": {"cadmium": _substance("cadmium", 0.0, active=False),
                          "mercury": _substance("mercury", 0.0, active=False),
                          "lead": _substance("lead", 0.0, active=False)},
            "composition": [{"id": [{"id": "15365-14-7" if chemistry == "LFP" else "346417-97-8", "type": "CAS",
                                     "name": "LiFePO4" if chemistry == "LFP" else "LiNiMnCoO2"}],
                             "concentration": 30.0, "unit": "unit:percent", "critical": True,
                             "documentation": _document("cathode material", "materials/cathode.pdf"),
                             "recycled": 6.0, "location": "正极 cathode", "renewable": 0.0}],
        },
        "performance": {"rated": {
            "voltage": {"min": round(nominal_v * 0.8, 1), "max": round(nominal_v * 1.15, 1)},
            "roundTripEfficiency": {"depthOfDischarge": 100.0, "initial": 95.0, "50PercentLife": 92.0},
            "resistance": {"cell": 0.0005, "pack": 0.09},
            "power": {"value": power_w, "at20SoC": round(power_w * 0.75, 0), "at80SoC": power_w},
            "capacity": {"value": capacity_ah, "thresholdExhaustion": 70.0},
            "temperature": {"lower": -20.0, "upper": 55.0},
            "selfDischargingRate": 2.0,
            "lifetime": {"expectedYears": 10, "report": _document("cycle life report", "lifetime.pdf"),
                         "cycleLifeTesting": {"temperature": 25.0, "cycles": 3000, "depthOfDischarge": 80.0,
                                              "appliedChargeRate": 0.5, "appliedDischargeRate": 1.0}},
        }},
        "conformity": {
            "declarationOfConformity": _document("EU declaration of conformity", f"conformity/{code}.pdf"),
            "resultOfTestReport": _document("GB 38031-2025 test report", "conformity/tests.pdf"),
            "thirdPartyAssurance": _document("third-party assurance", "conformity/assurance.pdf"),
            "dueDiligencePolicy": _document("due diligence policy", "due-diligence.pdf"),
        },
        "safety": {
            "usableExtinguishAgent": [{"media": "water", "fireClass": "A"}],
            "safetyMeasures": _document("safety measures", "safety/measures.pdf"),
            "meaningOfLabels": _document("meaning of labels", "safety/labels.pdf"),
            "dismantling": _document("dismantling information", "safety/dismantling.pdf"),
        },
        "metadata": {"version": "1.0.0", "issueDate": made.isoformat(),
                     "expirationDate": date(made.year + 15, made.month, min(made.day, 28)).isoformat(),
                     "economicOperatorId": DEMO_BPNL, "passportIdentifier": passport_id,
                     "predecessor": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO_DOCUMENTS}/predecessor/{code}")),
                     "backupReference": f"{DEMO_DOCUMENTS}/backup/{code}"},
        "commercial": {"purpose": [purpose], "placedOnMarket": made.isoformat()},
        "handling": {"applicable": True, "content": {
            "producer": [{"id": DEMO_SUPPLIER_BPNL}],
            "sparePart": [{"manufacturerPartId": "DEMO-BMS-01", "nameAtManufacturer": "电池管理单元 BMS unit"}],
        }},
    }  # fmt: skip


def custodian_attributes(rated_kwh: float, nominal_v: float, soh_pct: float, at: datetime) -> dict[str, Any]:
    """The custodian's measured values (`performance.dynamic` but for what `inspected` fills), at `at`."""
    time = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    capacity_ah = round(rated_kwh * 1000 / nominal_v * soh_pct / 100, 1)
    fade = round(100 - soh_pct, 1)

    def measured(value: float) -> dict[str, Any]:
        return {"value": value, "time": time}

    return {"performance": {"dynamic": {
        "stateOfCharge": measured(50.0),
        "fullCycles": measured(900),
        "selfDischargingRate": 2.5,
        "power": {"fade": measured(round(fade * 1.2, 1)),
                  "remaining": measured(round(rated_kwh * 2500 * soh_pct / 100))},
        "capacity": {"fade": measured(fade), "throughput": measured(round(900 * capacity_ah, 0)),
                     "capacity": measured(capacity_ah)},
        "roundTripEfficiency": {"fade": measured(3.0), "remaining": measured(92.0)},
        "resistance": {"increase": {"pack": measured(35.0), "cell": measured(30.0)},
                       "remaining": {"cell": measured(0.00065)}},
    }}}  # fmt: skip
