Feature: A pack's EU battery passport, built from its signed entries
  The platform fills the attributes of the Catena-X BatteryPass 6.1.0 that its signed entries hold, each
  valid against its schema definition, tiered like the pack view; it never invents a required value but
  names it and who must supply it; and it points to the tlog proof of the entries it was built from.

  Background:
    Given the province's organisations are registered with their signing keys
    And "catl" has produced pack 1
    And "catl" has shipped pack 1 to "byd-auto", which received it

  Scenario: Anyone reads the public part of the passport
    When an anonymous caller reads the passport of pack 1
    Then it is the public tier's, and every attribute it holds is valid against its BatteryPass definition
    And its battery status is "original" and its chemistry "LFP"
    And it names the carbon footprint as missing, to be supplied by the manufacturer

  Scenario: A regulator's passport points to the proof of the entries it was built from
    When a regulator reads the passport of pack 1
    Then it is the authority tier's, and every attribute it holds is valid against its BatteryPass definition
    And its source lists the pack's entries under the log's latest checkpoint

  Scenario: An unknown pack has no passport
    When an anonymous caller reads the passport of pack 9
    Then the answer is "unknown pack" for pack 9
