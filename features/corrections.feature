Feature: Corrections count: the regulator sees the corrected figure and the correction behind it
  The record is never edited: a `corrected` entry gives new values for members of an earlier entry of the
  same pack. Reports and projections use the corrected values and say that a figure was corrected, with a
  link to the correction; the correction links back to the entry it corrects. What a correction may not
  change (who holds the pack, where it went, when something happened) is refused, saying what to do instead.

  Background:
    Given the province's organisations are registered with their signing keys
    And the regulator is logged in to the workspace
    And "catl" has produced pack 1 with a rated capacity of 60 kWh

  Scenario: The dossier shows the corrected figure beside the reported one, with the link to the correction
    When "catl" corrects the rated capacity of pack 1 to 62.5 kWh
    Then the dossier of pack 1 shows a rated capacity of "62.5 kWh" marked "已更正"
    And its "produced" entry shows "额定容量：原报 60 → 更正为 62.5" with a link to the correction
    And the link opens the dossier at the correction, which links back to the "produced" entry
    And the API's pack view gives a rated capacity of 62.5 kWh, recorded as 60.0

  Scenario: A corrected recovered mass counts in the recovery report, marked with the correction
    Given "gem-recycling" has recycled pack 2, recovering 4.0 of 5.0 kg of lithium
    When "gem-recycling" corrects the recovered lithium of pack 2 to 4.75 kg
    Then the recovery report gives "gem-recycling" a lithium rate of 95.0 %, 1 entry of it counted as corrected
    And the recovery page and its CSV name the correction

  Scenario: A correction may not change who holds the pack
    Given "catl" has shipped pack 1 to "byd-auto", which received it
    When "catl" posts a correction of the shipment of pack 1 naming "nio-swap" as its receiver
    Then it is refused with 422 "uncorrectable_field": "'corrected' cannot change 'to' of 'shipped' entries: a correction never changes who holds the pack or where it went: record the events that really happened; corrections of 'shipped' entries may change: waybill"
    And pack 1 is held by "byd-auto"
