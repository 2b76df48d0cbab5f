Feature: Upgrading a database made before the registry was in the log
  A province that ran an earlier version keeps its organisations and keys in tables outside the log.
  `packtrace migrate` records them as the log's registry entries, after its history, which it never
  rewrites; until then `packtrace verify` refuses the database and says what to run.

  Scenario: An earlier version's database is migrated and verifies
    Given a database made by the version before the registry was in the log
    When the operator runs packtrace verify
    Then it fails, saying to run packtrace migrate first
    When the operator runs packtrace migrate
    Then it reports 20 registry entries for 9 organisations recorded in the log
    And packtrace verify passes on the whole database
    And the six pack entries of the earlier version are still the log's first entries
