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

  Scenario: The regulator queries every pack's shipments, a page at a time (按业务步骤查询全省事件并分页)
    Given "catl" has produced pack 2
    And "catl" has shipped pack 2 to "byd-auto", which received it
    When "fj-miit" queries the EPCIS events with "EQ_bizStep=shipping&perPage=1"
    Then the page holds the shipping event of pack 1 and links to the next page
    And the page validates against GS1's EPCIS 2.0 JSON Schema with the reference eventIDs
    When "fj-miit" follows the link to the next page
    Then the page holds the shipping event of pack 2 and links to no further page
    And the page validates against GS1's EPCIS 2.0 JSON Schema with the reference eventIDs

  Scenario: Any other organisation names its packs with EQ_epc; without, it is refused (SecurityException)
    When "byd-auto" queries the EPCIS events with "EQ_bizStep=shipping"
    Then the answer is 403 "only a regulator may query EPCIS events without EQ_epc; name your packs with EQ_epc (http://localhost:8000/p/{code}); you are org 'byd-auto' (automaker)"
    And the problem's type is "epcisException:SecurityException"
    When "byd-auto" queries the EPCIS events with "EQ_epc=http://localhost:8000/p/001PB12ABCDEFGG1F0000001&EQ_bizStep=receiving"
    Then the page holds the receiving event of pack 1 and links to no further page

  Scenario: A bad query parameter is a QueryParameterException
    When "fj-miit" queries the EPCIS events with "EQ_action=UPDATE"
    Then the answer is 422 "EQ_action 'UPDATE' is not one of ADD, OBSERVE, DELETE"
    And the problem's type is "epcisException:QueryParameterException"

  Scenario: A recycler's lot is tied to the packs put into it, and its EPC resolves to its events (回收批次)
    Given "byd-auto" has shipped pack 1 to "gem-recycling", which received it
    And "gem-recycling" has retired pack 1, opened lot "lot:gem-recycling:L7", put pack 1 into it and reported its recovery
    When "fj-miit" queries the EPCIS events with "eventType=TransformationEvent"
    Then the page's transformations are, with their transformation ID the lot's EPC "http://localhost:8000/v1/epcis/lots/gem-recycling/L7":
      | entryType               | input                                              |
      | packtrace:lotted        | http://localhost:8000/p/001PB12ABCDEFGG1F0000001   |
      | packtrace:lot_recovered | http://localhost:8000/v1/epcis/lots/gem-recycling/L7 |
    When "gem-recycling" resolves the lot's EPC
    Then it is an EPCISDocument of these events:
      | type                | action | bizStep       | disposition |
      | ObjectEvent         | ADD    | commissioning | active      |
      | TransformationEvent | None   | destroying    | destroyed   |
    And every eventID is the hash GS1's reference package computes for the event
    And the document validates against GS1's EPCIS 2.0 JSON Schema
