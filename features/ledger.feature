Feature: A record nobody can rewrite unnoticed
  The log is append-only and hash-chained; every event is signed by its author and every append is
  sealed by a checkpoint the log signs. Anyone holding the public keys can check it.

  Background:
    Given the province's organisations are registered with their signing keys
    And "catl" has produced packs 1 to 6, each shipped to "byd-auto"

  Scenario: The untouched log verifies
    When the regulator runs "packtrace verify"
    Then it reports OK for the registry's entries and 12 more, in 6 packs

  Scenario: Deleting an entry from the database is found and named
    Given someone deletes entry 5 from the database
    When the regulator runs "packtrace verify"
    Then it fails naming "entry 5: step 2: index 5 is missing"

  Scenario: An incremental verify checks only what came after the checkpoint it verified before
    Given the regulator has verified the log with "packtrace verify --incremental", which stored the checkpoint
    And "catl" has produced packs 7 to 8, each shipped to "byd-auto"
    When the regulator runs "packtrace verify --incremental"
    Then it reports "4 entries after it verified, 2 packs replayed"

  Scenario: An incremental verify refuses a log rewritten before the checkpoint it verified
    Given the regulator has verified the log with "packtrace verify --incremental", which stored the checkpoint
    And the operator edits the shipment of pack 6, rebuilds the tree and signs its checkpoint again
    When the regulator runs "packtrace verify --incremental"
    Then it fails naming "is not consistent with the checkpoint verified at size"

  Scenario: A pack's history checks offline with public keys alone
    When the regulator saves the bundle of pack 3 to a file
    Then "packtrace verify-bundle" accepts the file with the log's verifier key
    And "packtrace verify-bundle" refuses the file once one of its events is altered

  Scenario Outline: A bundle with entries cut from its end is refused, naming why
    Given "byd-auto" has received pack 3 and reported 2 incidents on it
    When the regulator saves the bundle of pack 3 to a file
    And the server removes the last <cut> entries from the file, proving the new last one against the same checkpoint
    Then "packtrace verify-bundle" refuses the file: the log's head commitment says the chain had 5 entries, the file lists <left>

    Examples:
      | cut | left |
      | 1   | 4    |
      | 2   | 3    |
      | 4   | 1    |

  Scenario: A forged head commitment is found by "packtrace verify"
    Given the log appends a head commitment whose root is not that of its chains' heads
    When the regulator runs "packtrace verify"
    Then it fails naming "head commitment at entry"

  Scenario: Posting the same claim twice records it once
    When "byd-auto" posts the same signed claim twice
    Then the log holds one entry for that claim
