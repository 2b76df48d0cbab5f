Feature: Who answers for a pack whose whereabouts are unknown (流向不明)
  The compliance report names, for every 流向不明 pack, who answers for it. The custodian does, except for the
  end-of-life duties the rules put on the owner -- a retired pack goes to a collector, and to nobody without
  the right to hold it -- when an ownership transfer made someone other than the producer its owner: under
  车电分离 the lessor answers for where the battery it leases out ends up, whoever holds it.

  Background:
    Given the province's organisations are registered with their signing keys
    And the lessor "fj-baas" is registered
    And "catl" has sold pack "A" to "fj-baas", which installed it in vehicle "V1" and leased it to "nio-swap"
    And "fz-service" has taken pack "A" out of vehicle "V1" and retired it
    And "catl" has shipped pack "B" to "byd-auto", which retired it

  Scenario: The lessor answers for its retired pack left uncollected; a maker that never sold its pack does not
    When 40 days have passed
    Then the compliance report lists pack "A" as "retired-not-collected", held by "fz-service", owned by "fj-baas", answered for by "fj-baas"
    And the compliance report lists pack "B" as "retired-not-collected", held by "byd-auto", owned by "catl", answered for by "byd-auto"
    And the compliance report for "fj-baas" lists pack "A" and not pack "B"
    And the regulator's compliance page names "fj-baas" as answerable for pack "A", in Chinese "责任方（所有权人）"

  Scenario: Within the limit nobody answers for anything
    When 20 days have passed
    Then the compliance report lists neither pack "A" nor pack "B"
