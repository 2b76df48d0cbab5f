Feature: Finding makers, and packs by flag and batch
  A regulator names a maker the way people do: its organisation id, one of its manufacturer codes or its
  registered name, in any case, or a part of that name only one maker has. A value that names no maker is
  refused, naming it, and never answered with "0 packs"; a value that names several is refused naming
  them. The recall and packs pages offer the makers in a list. The pack list also selects packs by a flag
  (an incident, a recall) and by the batch of their production.

  Background:
    Given the province's organisations are registered with their signing keys
    And "catl" has produced packs 1 to 3 of batch "B1" and pack 4 of batch "B2"
    And the regulator has reported an incident on pack 2

  Scenario Outline: Every way of naming a maker finds the same packs
    When the regulator traces maker "<value>"
    Then the trace, its CSV, the pack list and the recall page all list packs 1 to 4

    Examples:
      | value    |
      | catl     |
      | CATL     |
      | 0rj      |
      | 001      |
      | 宁德时代 |
      | 宁德     |

  Scenario: A maker registered under an English name is found by it in any case
    Given a maker "lg-es" registered as "LG Energy Solution" with code "0LG"
    When the regulator traces maker "lg energy SOLUTION"
    Then the trace names the maker "lg-es", "LG Energy Solution", with no packs

  Scenario: A value that names no maker is refused, not answered with no packs
    When the regulator traces maker "CALB"
    Then the trace, the pack list and the recall page refuse it with 422 "unknown_manufacturer": "unknown manufacturer 'CALB': no maker's organisation id, manufacturer code or registered name matches it"

  Scenario: A value that names two makers is refused naming both
    Given a maker "ndsd" registered as "宁德时代（福建）" with code "0ND"
    When the regulator traces maker "宁德"
    Then the trace refuses it with 422 "ambiguous_manufacturer": "manufacturer '宁德' matches 2 makers: catl (宁德时代), ndsd (宁德时代（福建）); give its organisation id or code"

  Scenario: The regulator picks the maker from a list
    When the regulator opens the recall page
    Then the maker field offers "catl" as "宁德时代 · catl · 001, 0RJ" and "s2l-energy" as "梯次储能 · s2l-energy · S2L", and no other organisation

  Scenario: The regulator types a maker's name in the packs page's search box
    When the regulator searches the packs page for "宁德时代"
    Then the search lists packs 1 to 4

  Scenario: The regulator lists the packs of a batch that had an incident
    When the regulator lists packs with flag "incident" and batch "B1"
    Then only pack 2 is listed, on the API and on the packs page
    And a flag "lost" is refused with 422 "invalid_filter": "unknown flag 'lost'; flags are: corrected, incident, recalled ('lost' is a status: status=lost)"
