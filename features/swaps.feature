Feature: Battery swaps (换电)
  A swap station takes the pack out of a vehicle and puts one of its own in: one `swapped` event, one
  claim on each pack's chain, recorded together or not at all. The packs the station holds in stock are
  its pool (换电站电池池), which the station reads on its scan page and the regulator on its pages.

  Background:
    Given the province's organisations are registered with their signing keys
    And pack "A" is in vehicle "V1", installed by "nio-swap", and packs "B" and "C" are in the stock of "nio-swap"

  Scenario: A swap station swaps a pack from its phone
    When "nio-swap" scans pack "A" on the scan page
    Then the page offers the swap, with "B" and "C" in the pool
    When "nio-swap" swaps in pack "B" at "厦门海沧换电站"
    Then pack "A" is in_stock with "nio-swap", out of vehicle "V1"
    And pack "B" is in_vehicle in vehicle "V1"
    And both chains end with the same swap, and the log verifies
    And the pool of "nio-swap" lists "A" from vehicle "V1" at "厦门海沧换电站", and "C"
    And the regulator sees the same pool on its page, linked from the organisations page
    And "byd-auto" may not read the pool of "nio-swap"

  Scenario: If either half of a swap is not allowed, neither is recorded
    Given pack "C" has gone to "fz-service"
    When "nio-swap" posts a swap of pack "A" for pack "C" in one request
    Then the request is refused with 403: the incoming half, because "fz-service" holds pack "C"
    And packs "A" and "C" are as they were, and the log did not grow
