Feature: Anyone can mirror the log and check a pack's place in it with standard tools
  The log publishes its tree as C2SP tlog-tiles (static files a CDN can serve), a pack's head entry as a
  C2SP tlog-proof, and commits to every chain's head so that a pack's bundle proves it is complete.

  Background:
    Given the province's organisations are registered with their signing keys
    And "catl" has produced pack 1
    And "catl" has shipped pack 1 to "byd-auto", which received it

  Scenario: A monitor rebuilds the checkpoint's root from the exported tiles behind a plain web server
    When the operator exports the log as tiles to a directory
    Then a client of a plain static file server rebuilds the signed checkpoint's root from the hash tiles alone

  Scenario: A pack's tlog-proof checks with "packtrace verify-bundle" and the entry it proves
    When a regulator fetches the tlog-proof of pack 1 and its head entry
    Then "packtrace verify-bundle" accepts the proof with the entry and the log's verifier key
    And "packtrace verify-bundle" refuses the proof once one of its hashes is changed

  Scenario: The operator commits to every chain's head and "packtrace verify" checks the commitment
    When the operator commits to every chain's head
    Then committing again appends nothing, as no entry followed
    And "packtrace verify" accepts the log with its head commitment
