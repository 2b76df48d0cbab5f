Feature: Importers (进口商)
  A pack made abroad enters the record when its importer registers it: a `produced` entry with `imported`,
  naming the foreign manufacturer (境外生产企业) and the customs declaration (报关单号), under a maker code
  the importer holds. From then on it lives like any other pack. The importer's reporting deadline is a
  rule version of its own.

  Background:
    Given the province's organisations are registered with their signing keys
    And the importer "xm-import" is registered with maker code "0XM"

  Scenario: An importer registers an imported pack, which then goes into a vehicle
    When "xm-import" registers pack "P" made by "LG Energy Solution" of "KR" under customs declaration "370120261000004711"
    Then pack "P" is produced, made and held by "xm-import"
    And the regulator sees the foreign manufacturer "LG Energy Solution (KR)" and the customs declaration "370120261000004711"
    And "byd-auto" sees the foreign manufacturer "LG Energy Solution (KR)" but no customs declaration
    When "xm-import" ships pack "P" to "byd-auto", which installs it in vehicle "V1"
    Then pack "P" is in_vehicle in vehicle "V1"
    And the regulator filtering packs by maker "0xm" finds pack "P"

  Scenario: An importer registers only imports, and only under its own maker code
    When "xm-import" registers pack "Q" without naming the import
    Then the request is refused with 403: "org 'xm-import' (importer) may not post 'produced': requires the manufacturer role and ownership of the maker prefix '0XM'"
    When "xm-import" registers pack "R" under catl's maker code "0RJ"
    Then the request is refused with 403: "org 'xm-import' (importer) may not post 'produced': requires the manufacturer role and ownership of the maker prefix '0RJ', or the importer role and ownership of the maker prefix '0RJ'"

  Scenario: The importer deadline counts under its own rule version
    Given the platform records on 2026-03-24 (China time)
    When "xm-import" registers pack "L" cleared on 2026-03-02 (China time)
    Then under rule set "2018-interim-importers" the registration is 1 working day late by "import-15wd", due 2026-03-23
    And under the default rule set "2018-interim" the registration is not late
