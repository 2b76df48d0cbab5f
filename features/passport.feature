Feature: A pack's EU battery passport, built from its signed entries and the signed claims of its maker and custodian
  The platform fills the attributes of the Catena-X BatteryPass 6.1.0 that its signed entries hold, each
  valid against its schema definition, tiered like the pack view; it never invents a required value but
  names it and who must supply it; and it points to the tlog proof of the entries it was built from.
  The pack's maker and its custodian supply the rest as signed `passport` claims, each attribute checked
  against its definition and its supplier, so that the passport can be complete and validate whole.

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

  Scenario: The maker and the custodian complete the passport with signed claims
    Given "byd-auto" has retired pack 1 and handed it to "xm-collect", which graded it
    When "catl" claims the maker's passport attributes of pack 1
    And "xm-collect" claims the measured passport attributes of pack 1
    And a regulator reads the passport of pack 1
    Then nothing required is missing and the passport validates against the whole BatteryPass schema
    And its claimed attributes name "catl" and "xm-collect" as who posted them
    And the public tier's passport holds the carbon footprint but not the detailed composition

  Scenario: A pack's history shows an organisation no more of a claim than its passport does
    When "catl" claims the maker's passport attributes of pack 1
    Then "byd-auto" reads the claim in the pack's history without its test results, as its passport withholds them
    And a regulator reads the claim in the pack's history with its test results

  Scenario: A claim is not corrected but replaced by a later claim
    When "catl" claims a warranty of 8 years for pack 1
    And "catl" corrects that claim's warranty to 9 years
    Then the claim is refused as uncorrectable_field: 'corrected' cannot change 'attributes' of 'passport' entries: a passport claim is never corrected: post a later claim, whose attributes replace the earlier claim's (latest wins)

  Scenario: A claim mixing in what its poster may not supply is refused
    When "byd-auto" claims a warranty of 8 years for pack 1
    Then the claim is refused as forbidden: org 'byd-auto' (automaker) may not supply passport attribute 'characteristics.warranty.lifeValue': the pack's maker ('catl') supplies it; passport attribute 'characteristics.warranty.lifeUnit': the pack's maker ('catl') supplies it

  Scenario: An attribute the platform fills from entries cannot be claimed
    When "catl" claims a rated energy of 70 kWh for pack 1
    Then the claim is refused as invalid_payload: invalid 'passport' payload: data.attributes.performance.rated.energy: filled by the platform from the 'produced' entry; a claim cannot post it

  Scenario: A member the BatteryPass does not have is refused
    When "catl" claims a colour for pack 1
    Then the claim is refused as invalid_payload: invalid 'passport' payload: data.attributes.identification.colour: the BatteryPass has no such attribute

  Scenario: A later claim replaces an attribute
    When "catl" claims a warranty of 8 years for pack 1
    And "catl" claims a warranty of 10 years for pack 1
    And a regulator reads the passport of pack 1
    Then its warranty is 10 years, from the later claim
