Feature: Recycler lots and mass balance (回收批次与物料平衡)
  A whitelisted recycler shreds many retired packs, and since 2025 imported black mass (黑粉), in one lot,
  and reports the elements it recovered from the lot as a whole. Each pack enters the lot on its own chain
  and is then accounted for; the lot is a chain of its own. The regulator reads each lot's recovery rates
  against the 规范条件 thresholds, and a mass balance that flags a lot claiming more of an element than its
  inputs could contain, with the numbers.

  Background:
    Given the province's organisations are registered with their signing keys
    And 55 NCM packs of 400 kg have been retired at "gem-recycling"

  Scenario: A lot of 50 packs and imported black mass reports its recovery
    Given "gem-recycling" opens lot "2026-001" with 1000 kg of black mass from "KR" declaring 150 kg of nickel
    When "gem-recycling" puts 50 of the packs into lot "2026-001"
    Then those packs are in_lot in lot "2026-001", and none of them is 流向不明
    When "gem-recycling" reports lot "2026-001": 1970 kg of nickel recovered of 2000 kg, and 301 kg of lithium of 350 kg
    Then the regulator reads lot "2026-001" with 50 packs, an input of 21000 kg, and no mass-balance flag
    And its nickel rate is 98.50 % against 98 %, and its lithium rate 86.00 % is below 90 %
    And the log verifies

  Scenario: A lot claiming more nickel than its inputs contain is flagged with the numbers
    Given "gem-recycling" opens lot "2026-002" without black mass and puts the other 5 packs into it
    When "gem-recycling" reports lot "2026-002": 450 kg of nickel recovered of 460 kg
    Then the regulator reads lot "2026-002" flagged: "Ni: recovered 450 kg, more than the inputs could contain: at most 300 kg (300 kg in 5 packs by chemistry and mass, 0 kg declared in black mass)"
    And the recovery page shows the flag

  Scenario: A recycler off the whitelist opens no lot, and a lot reports only the packs put into it
    Given "gem-recycling" opens lot "2026-003" without black mass and puts the other 5 packs into it
    When "grey-recycling" opens lot "2026-009" of its own
    Then it is refused with 403: "requires being the lot's recycler ('grey-recycling') with the recycler role, whitelisted under 规范条件"
    When "gem-recycling" reports lot "2026-003" listing a pack that is not in it
    Then it is refused with 422: "not in lot lot:gem-recycling:2026-003: a pack enters the lot with 'lotted' before the lot reports its recovery"
