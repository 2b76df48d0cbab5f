Feature: The pages in Chinese, for people
  A regulator's clerk and a recycler's worker read the pages in Chinese (English one tap away): fields,
  values, statuses, rules and errors named in Chinese, organisations by name, numbers rounded, CSV
  downloads in the page's language; on the phone the likeliest action comes first and the receiver of a
  shipment is picked by name.

  Background:
    Given a province of makers, automakers, collection points and recyclers

  Scenario: A pack's record names everything in Chinese
    When the regulator opens the record of a pack that was recycled
    Then its timeline names the recycling's members in Chinese with masses in kg
    And the organisations are named, not given by their ids
    And the same record in English names the members in English

  Scenario: A mistyped date is said in Chinese
    When the regulator traces a recall from the date "2026-13-01"
    Then the page says "“2026-13-01”不是有效日期（格式为 YYYY-MM-DD）。"
    And in English it says "produced_from: '2026-13-01' is not a date (YYYY-MM-DD)"

  Scenario: A CSV download is in the page's language
    When the regulator downloads the recovery CSV
    Then its header names the columns in Chinese and its numbers carry no float noise
    And the English download keeps the field names

  Scenario: A collection point acknowledges a receipt first
    When the collection point types the code of a pack shipped to it in lower case
    Then the pack is found and "确认接收" is the first action offered
    And once received, shipping it onwards picks the receiver by name from the organisations that may hold a pack
