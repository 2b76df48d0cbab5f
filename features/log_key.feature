Feature: The log's own key rolls over by the log's own evidence
  The key that signs the log's checkpoints can be replaced. The log records the rollover in its own
  entries, so a verifier who trusts only the old key moves to the new one by proofs it checks itself,
  never because the server said so.

  Background:
    Given the province's organisations are registered with their signing keys
    And a verifier trusts only the log's current key and has checked its latest checkpoint

  Scenario: A verifier holding the old key follows the rollover to the new key
    When the operator starts a rollover of the log key
    And "catl" produces pack 1
    Then the latest checkpoint is signed by the old and the new key
    And the verifier accepts it and trusts the old and the new key
    When the operator ends the rollover
    And "catl" produces pack 2
    Then the latest checkpoint is signed by the new key alone
    And the verifier accepts it and trusts the new key alone
    And the verifier refuses a checkpoint signed by the old key alone

  Scenario: A checkpoint signed by another key before any rollover is refused
    When someone presents a checkpoint of the log signed by a key the log never announced
    Then the verifier refuses it, saying that no key it trusts signed it
