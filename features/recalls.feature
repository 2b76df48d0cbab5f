Feature: Recall campaigns
  A regulator (or a maker, for its own packs) starts a recall campaign (召回活动) over a batch: every pack
  in scope gets a `recalled` entry signed by the one who recalls, and the regulator follows how far the
  campaign got: which packs were remedied, the completion rate, and the packs still not remedied after
  the due date.

  Background:
    Given the province's organisations are registered with their signing keys
    And "catl" has produced 1000 packs of batch "B7" and 5 packs of batch "B8"

  Scenario: A regulator follows a campaign over 1,000 packs to completion
    When the regulator creates campaign "R-B7" over batch "B7" due "2026-03-02", signing each recalled entry
    Then the campaign lists 1000 packs, 0 remedied, completion 0 and 1000 overdue
    When "catl" services 600 of them with the campaign id and 10 without it
    Then the campaign lists 1000 packs, 600 remedied, completion 0.6 and 400 overdue
    And the campaign page and its CSV show the same packs, remedied and overdue
    And the log verifies with the campaign's entries

  Scenario: A maker may recall its own packs only, and a campaign id is used once
    Given "maker-two" has produced 2 packs of batch "B7"
    When "catl" asks for the scope of campaign "C-1" over batch "B7"
    Then it is refused with 403 "not_own_packs"
    When the regulator creates campaign "R-B8" over batch "B8" due "2026-03-02", signing each recalled entry
    And the regulator asks for the scope of campaign "R-B8" over batch "B8"
    Then it is refused with 409 "campaign_exists"
    When the regulator asks for the scope of campaign "R-X" over batch "NONE"
    Then it is refused with 422 "empty_scope"
