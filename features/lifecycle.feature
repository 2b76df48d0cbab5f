Feature: A battery pack's life on the record
  Every step a pack takes is an event posted and signed by the organisation that did it. The platform
  refuses steps the lifecycle does not allow, keeps who holds each pack and which vehicle or storage
  site it is in, and tells the regulator when a step was reported late.

  Background:
    Given the province's organisations are registered with their signing keys

  Scenario: A pack's whole life, from the factory to recycling
    Given "catl" has produced pack 1
    When "catl" ships pack 1 to "byd-auto"
    And "byd-auto" receives pack 1
    And "byd-auto" installs pack 1 in vehicle "LSJA24U64MS000001"
    And "byd-auto" retires pack 1 because "end_of_life"
    And "byd-auto" ships pack 1 to "xm-collect"
    And "xm-collect" receives pack 1
    And "xm-collect" grades pack 1 at 62 % state of health for "recycle"
    And "xm-collect" ships pack 1 to "gem-recycling"
    And "gem-recycling" receives pack 1
    And "gem-recycling" dismantles pack 1
    And "gem-recycling" recycles pack 1
    Then pack 1 is "recycled" in the custody of "gem-recycling"
    And pack 1 has 12 entries in its chain
    And the whole log verifies

  Scenario: A recycler off the whitelist may not dismantle a pack
    Given "catl" has produced pack 2
    And "catl" has shipped pack 2 to "grey-recycling", which received it
    When "grey-recycling" tries to dismantle pack 2
    Then the platform refuses with "'grey-recycling' is not on the 规范条件 whitelist"
    And pack 2 is "in_stock" in the custody of "grey-recycling"

  Scenario: Second life in a storage site, then recycling
    Given "catl" has produced pack 3
    And pack 3 has been used and retired by "byd-auto" and handed to "s2l-energy"
    When "s2l-energy" repurposes pack 3 into a second-life product
    And "s2l-energy" installs the product at storage site "厦门储能站 1"
    And "s2l-energy" removes the product for "retirement"
    And "s2l-energy" retires the product because "end_of_life"
    And "s2l-energy" ships the product to "gem-recycling"
    And "gem-recycling" receives the product
    And "gem-recycling" dismantles the product
    And "gem-recycling" recycles the product
    Then pack 3 is "repurposed" and names the product as its successor
    And the product is "recycled" and names pack 3 as its origin
    And the product was bound to storage site "厦门储能站 1" for one interval
    And the whole log verifies

  Scenario: A battery swap between two vehicles
    Given "catl" has produced pack 4
    And "catl" has shipped pack 4 to "nio-swap", which received it
    When "nio-swap" installs pack 4 in vehicle "LSJA24U64MS000001"
    And "nio-swap" removes pack 4 for "swap"
    And "nio-swap" installs pack 4 in vehicle "LGXCE4CB9P0123456"
    Then pack 4 is "in_vehicle" in the custody of "nio-swap"
    And pack 4 was bound to vehicle "LSJA24U64MS000001" and then to "LGXCE4CB9P0123456"

  Scenario: A pack lost in transit
    Given "catl" has produced pack 5
    When "catl" ships pack 5 to "byd-auto"
    And "catl" reports pack 5 lost because "the truck never arrived"
    Then pack 5 is "lost" in the custody of "catl"
    When "byd-auto" tries to receive pack 5
    Then the platform refuses with "'byd-auto' (automaker) may not post 'received'"

  Scenario: A late report is flagged with the rule that applied
    Given "catl" produced pack 6 on 2026-01-20 and "byd-auto" received it on 2026-01-26
    And today is 2026-03-16 in Fuzhou
    When "byd-auto" reports installing pack 6 in vehicle "LSJA24U64MS000001" on 2026-02-02
    Then the installation of pack 6 is late under rule "installation-15wd"
    And it was due on 2026-02-28 and is 11 working days late
