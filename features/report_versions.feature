Feature: The compliance report under a chosen rule version (规则版本)
  Deadline rules are versioned data: the default version is the one reports have been computed under, and a
  regulator may ask for another by name (`?rules=`), for instance the 2018 provisions read with the
  importer's 15-working-day deadline. An unknown version is refused with the versions there are.

  Background:
    Given the province's organisations are registered with their signing keys

  Scenario: The regulator reads the report under the importer version, and an unknown version is refused
    When the regulator asks for the compliance report
    Then the report is counted under "2018-interim", without the rule "import-15wd"
    When the regulator asks for the compliance report with rules "2018-interim-importers"
    Then the report is counted under "2018-interim-importers", with the rule "import-15wd" first
    When the regulator asks for the compliance report with rules "2019-final"
    Then the request is refused with 422: "unknown deadline rule set '2019-final'; known: 2018-interim, 2018-interim-importers"
