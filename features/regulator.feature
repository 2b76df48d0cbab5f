Feature: The regulator's workspace
  The provincial regulator (工信厅) traces a recall batch to where every pack is now, finds who reports
  late and which packs have dropped out of sight (流向不明), and reads any pack's history with proof,
  checked with the log's public key, that nothing in the record was altered.

  Background:
    Given a province of makers, automakers, collection points and recyclers, some of them reporting late
    And the regulator is logged in to the workspace

  Scenario: A regulator traces a recall batch
    When the regulator traces the "NCM" packs of maker "0RJ" produced from "2026-01-01" to "2026-03-31"
    Then every pack of that batch is listed with its status, custodian and vehicle
    And the batch's CSV download lists the same packs

  Scenario: A regulator finds late reporters
    When the regulator opens the compliance page
    Then every organisation that reported late is listed with its late reports per rule
    And each late report names the rule, the pack and how many working days late it was

  Scenario: A regulator finds packs whose whereabouts are unknown
    When the regulator opens the compliance page
    Then the packs shipped but not received for over 30 days are listed as 流向不明
    And the packs retired but not collected for over 30 days are listed as 流向不明
    And no pack that was received or collected in time is listed

  Scenario: A regulator reads a pack's verified history
    When the regulator searches for the code of a pack that was repaired
    Then the pack's record opens with a badge saying it is verified
    And its timeline shows every event of the pack in order
    And its vehicles and custody history are shown

  Scenario: The platform administrator is not a regulator and is not shown the workspace
    When the platform administrator logs in with the admin token
    Then the administrator lands on the scan page
    And every link the administrator is shown opens, and none leads into the workspace
