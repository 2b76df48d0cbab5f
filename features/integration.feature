Feature: For integrators: the payload schemas and an organisation's keys
  A system that posts events reads each event type's payload as JSON Schema, every field described in
  Chinese and English, without a token (docs/events.md is generated from the same schemas). To verify an
  organisation's signatures it reads that organisation's public keys with their status, as the registry
  stands.

  Background:
    Given the province's organisations are registered with their signing keys
    And the API is served

  Scenario: The schema of an event type, described in Chinese and English
    When an integrator without a token asks for the schema of "shipped"
    Then the answer is 200
    And the schema requires "to" and refuses unknown fields
    And its field "to" is described as "接收方的企业标识" and "the receiving organisation's id"

  Scenario: An event type the catalogue does not have
    When an integrator without a token asks for the schema of "sold"
    Then the answer is 404 with the code "unknown_event_type"

  Scenario: An organisation reads another's keys with their status
    Given the administrator has revoked the key "catl/1" of "catl"
    When "byd-auto" lists the keys of "catl"
    Then the answer is 200
    And the key "catl/1" is listed as "revoked"
    When "byd-auto" reads the key "catl/1" of "catl"
    Then the answer is 200
    And the key "catl/1" is listed as "revoked"
    When "byd-auto" reads the key "catl/9" of "catl"
    Then the answer is 404 with the code "unknown_key"
