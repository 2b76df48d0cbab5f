Feature: A pack's life as GS1 EPCIS 2.0 events (EPCIS 2.0 事件)
  Supply chains exchange traceability events in GS1 EPCIS 2.0. Every entry of a pack's chain maps to an
  EPCIS event with a CBV business step and disposition, names the pack by the URL of its public page, and
  carries the GS1 event hash ID. The document is read with the same access tiers as the pack's history.

  Background:
    Given the province's organisations are registered with their signing keys
    And "catl" has produced pack 1
    And "catl" has shipped pack 1 to "byd-auto", which received it

  Scenario: The regulator reads the pack's life as EPCIS events with GS1 event hash IDs
    When "fj-miit" fetches the EPCIS document of pack 1
    Then it is an EPCISDocument of these events:
      | type        | action  | bizStep       | disposition |
      | ObjectEvent | ADD     | commissioning | active      |
      | ObjectEvent | OBSERVE | shipping      | in_transit  |
      | ObjectEvent | OBSERVE | receiving     | in_progress |
    And every event names pack 1 by its public page "http://localhost:8000/p/"
    And every eventID is the hash GS1's reference package computes for the event
    And the document validates against GS1's EPCIS 2.0 JSON Schema

  Scenario: An organisation with no part in the pack reads the events without the counterparties
    When "xm-collect" fetches the EPCIS document of pack 1
    Then the shipped event withholds "data.to" and the document never names "byd-auto"
    And every eventID is the hash GS1's reference package computes for the event

  Scenario: Nobody reads a pack's EPCIS document without a token, and an unknown pack is not found
    When nobody fetches the EPCIS document of pack 1
    Then the answer is 401 "reading a pack's history needs a bearer token"
    When "fj-miit" fetches the EPCIS document of pack 9
    Then the answer is 404 with the code "unknown_pack"
