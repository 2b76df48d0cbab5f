Feature: Quality early warning (产品质量预警)
  After a fire the market regulator screens the same model and batch. The regulator sees incident rates
  per batch, maker, spec, plant, chemistry and production month, weighed by how long the packs have been
  at risk, and an alarm for each group significantly above the rest, which opens the recall trace of
  exactly that group.

  Background:
    Given a province of 31 batches of 100 packs where batch "B1" has 6 thermal events and the others 2
    And the regulator is logged in to the workspace

  Scenario: A batch that keeps catching fire raises an alarm
    When the regulator opens the quality early warning page
    Then batch "B1" of maker "catl" alarms with 6 incidents, 18 weighted, over 17,700 pack-days
    And no other group alarms
    And the alarm's rate, baseline rate, ratio and p-value are those of the JSON report
    And the alarm's link opens the recall trace of the 100 packs of batch "B1"

  Scenario: Before the fires nothing alarms
    When the regulator opens the quality early warning page for "2026-05-31"
    Then the page says no group is significantly above the rest
