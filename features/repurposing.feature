Feature: Repurposing one-to-many and many-to-one (梯次利用)
  A second-life company repurposes retired packs into second-life products: several packs into one product
  (many-to-one), or one pack into two or more products (one-to-many), each product's genesis naming the
  pack in `from`. Either way it is one request, recorded on every chain at once or not at all, and the link
  reads both ways: what a pack became, what a product was made from.

  Background:
    Given the province's organisations are registered with their signing keys
    And packs "A" and "B" are retired and held by "s2l-energy"

  Scenario: One retired pack becomes two storage products in one request
    When "s2l-energy" repurposes pack "A" into products "P1" and "P2" in one request
    Then the request records 3 entries
    And pack "A" is repurposed and became "P1, P2"
    And product "P1" was made from "A"
    And product "P2" was made from "A"
    And the regulator's page of pack "A" lists "P1, P2" under "梯次利用为", and the page of "P2" lists "A" under "改制自"

  Scenario: Two retired packs become one product, and the link reads both ways
    When "s2l-energy" repurposes packs "A" and "B" into product "P1" in one request
    Then the request records 3 entries
    And pack "A" is repurposed and became "P1"
    And pack "B" is repurposed and became "P1"
    And product "P1" was made from "A, B"

  Scenario: A split missing one product's genesis records nothing
    When "s2l-energy" repurposes pack "A" into products "P1" and "P2" but sends the genesis of "P1" only
    Then the request is refused with 422 at position 0: "'repurposed' of {A} into {P2} (position 0) needs, in the same batch, the 'produced' of {P2} listing {A} in 'from'"
    And pack "A" is still retired, "P1" does not exist and the log did not grow
