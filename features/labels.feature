Feature: Labels and scanning
  A battery maker prints a QR label for every pack. Whoever handles the pack later scans the label, with
  a phone camera or a handheld scanner, to see what the pack is and what they may do with it next; an
  organisation without its own signing system lets the platform hold its key and sign for it.

  Background:
    Given a battery maker and a recycler on the platform

  Scenario: A recycler scans a label photo and takes custody
    Given the maker has produced a pack and shipped it to the recycler
    And the recycler lets the platform hold its signing key
    When the recycler posts a photo of the pack's label to the scanner
    Then the scan answers the pack's code
    And the recycler may post "received" and nothing else
    When the recycler posts "received" signed with its platform-held key
    Then the pack is "in_stock" in the custody of the recycler
    And the pack's bundle marks the recycler's key as platform-held

  Scenario: A photo without a label is answered clearly
    When the recycler posts a photo of an empty bench to the scanner
    Then the scan is refused with "no_code_found"

  Scenario Outline: A maker prints a sheet for a batch
    Given the maker has produced a batch of <count> packs
    When the maker asks for a label sheet of the batch
    Then the sheet has <pages> page(s)
    And every label on the sheet decodes to its own pack's URL, in batch order

    Examples:
      | count | pages |
      | 1     | 1     |
      | 24    | 1     |
      | 50    | 3     |
