"""The battery passport's tables (events/passport.py) against the Catena-X BatteryPass 6.1.0 schema: every
platform-filled attribute names its entry, every tier section exists, attributes split as documented."""

from __future__ import annotations

from events import batterypass, passport


def test_every_attribute_the_platform_fills_names_its_entry() -> None:
    assert set(passport.FILLED_FROM) == {path for path, _, _ in passport.FACTS} | {"specVersion"}
    for path in passport.FILLED_FROM:
        assert batterypass.definition_of(path) is not None, path


def test_every_tier_section_is_a_member_of_the_schema() -> None:
    for section, tier in passport.CLAIM_TIERS:
        assert tier in passport.TIERS
        assert section == "" or batterypass.definition_of(section) is not None, section
    assert passport.CLAIM_TIERS[-1] == ("", "public")


def test_the_tiers_of_annex_xiii() -> None:
    tiers = {
        "sustainability.carbonFootprint": "public",
        "conformity.dueDiligencePolicy": "public",
        "materials.hazardous.cadmium.concentration": "public",
        "materials.active.lithium.recycled": "public",
        "performance.rated.power.value": "public",
        "materials.composition": "legitimate_interest",
        "handling.content.sparePart": "legitimate_interest",
        "safety.dismantling": "legitimate_interest",
        "performance.dynamic.stateOfCharge.value": "legitimate_interest",
        "conformity.resultOfTestReport": "authority",
    }
    assert {path: passport.claim_tier(path) for path in tiers} == tiers


def test_a_claim_splits_into_required_attributes_and_optional_members_whole() -> None:
    attributes, problems = passport.split_attributes(
        {
            "characteristics": {
                "warranty": {"lifeValue": 8},
                "physicalDimension": {"height": {"value": 140.0, "unit": "unit:millimetre"}},
            },
            "sources": [],
            "performance": {"rated": {"voltage": {"min": 280.0}}},
        }
    )
    assert problems == []
    assert attributes == [
        ("characteristics.warranty.lifeValue", 8),
        ("characteristics.physicalDimension.height", {"value": 140.0, "unit": "unit:millimetre"}),
        ("sources", []),
        ("performance.rated.voltage.min", 280.0),
    ]
    assert passport.filled_by_platform("performance.rated.voltage") == "performance.rated.voltage.nominal"
    assert passport.filled_by_platform("performance.rated.voltage.min") is None
