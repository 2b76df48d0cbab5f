Feature: A verifier believes a checkpoint only when the witnesses it trusts cosigned it
  Whoever holds the log's key can sign two histories and show each to someone else (a split view). A
  witness cosigns a checkpoint only if it is consistent with every checkpoint it cosigned before, so a
  verifier whose trust policy needs a quorum of witnesses is never shown a history those witnesses did not
  see (docs/ledger-format.md §9).

  Background:
    Given a packtrace log, a fork of it signed with the same key, and two witnesses with their own state
    And both witnesses have cosigned the log's latest checkpoint

  Scenario: The witnesses refuse a split view signed with the log's own key
    When the log's key signs the fork's checkpoint of the same size with another root
    Then each witness refuses it with status 409 and its state files are unchanged
    When the fork grows and the log's key signs its larger checkpoint
    Then each witness refuses it with status 422 and its state files are unchanged

  Scenario: The log's key alone cannot meet a quorum of one witness
    Given a trust policy with the log's key, both witnesses and the quorum "w1"
    Then a checkpoint without cosignatures is refused, saying "cosigned by: none; not cosigned by: w1, w2"
    And a checkpoint with a cosignature forged under w1's name is refused, saying "signatures by keys the policy does not name (ignored): w1.witness.test+"
    And a checkpoint carrying w1's cosignature of another checkpoint is refused, saying "not counted: w1: cosignature by w1.witness.test+"
    And the checkpoint the witnesses cosigned is accepted, cosigned by "w1, w2"

  Scenario: verify-bundle --policy passes the bundle with the cosigned checkpoint
    Given a trust policy with the log's key, both witnesses and the quorum "all" of them
    When someone runs verify-bundle --policy on pack 1's bundle with the cosigned checkpoint
    Then it passes, saying "cosigned by w1, w2; quorum regulators: all of (w1, w2)"
    When someone runs verify-bundle --policy on pack 1's bundle with the checkpoint the log's key alone signed
    Then it fails, saying "未达到见证法定人数 witness quorum not met"
