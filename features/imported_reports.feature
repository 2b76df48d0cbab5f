Feature: The foreign manufacturer of an imported pack in the regulator's reports
  An importer registers a pack made abroad under its own maker code, so the reports name the importer as the
  pack's maker. The recall trace and the quality warnings name the foreign manufacturer (境外生产企业) beside it.

  Background:
    Given the province's organisations are registered with their signing keys
    And the importer "xm-import" with maker code "0XM" has registered 6 packs made by "LG Energy Solution" of "KR"

  Scenario: The recall trace names the foreign manufacturer beside the importer
    When the regulator traces the packs of maker "0XM"
    Then every pack of the trace is from "xm-import", made abroad by "LG Energy Solution (KR)"
    And the regulator's recall page shows "境外生产企业: LG Energy Solution (KR)"

  Scenario: A quality warning on imported packs names their foreign manufacturer
    Given each of the imported packs had 2 thermal events and 40 packs of "catl" had 1 collision in all
    When the regulator reads the quality warnings
    Then the alarm of maker "xm-import" names "LG Energy Solution (KR)"
