Feature: One rule decides which Ed25519 signatures verify, whichever library checks them
  The ledger verifies claim signatures with libsodium where it is installed, otherwise with OpenSSL. The
  two libraries do not accept the same signatures, so packtrace's rule is applied first: S canonical, R
  canonical and not of small order, the key a point of the prime-order subgroup. A signature the rule
  refuses is refused in a single append and in a batch, and whichever library is underneath.

  Background:
    Given the province's organisations are registered with their signing keys

  Scenario Outline: A signature whose R is the identity is refused although its equation holds
    Given "catl" signs a produced claim for pack 1 choosing the nonce 0, so that R is the identity point
    Then OpenSSL alone accepts the signature and libsodium alone refuses it
    And packtrace's verifier refuses it over either library
    When "catl" posts the claim <how>
    Then the ledger refuses it as a signature that does not verify with key 'catl/1', naming the claim
    And the log has not grown

    Examples:
      | how                           |
      | alone                         |
      | in a batch of 100 good claims |

  Scenario: A signature with a non-canonical S is refused by both libraries and by the ledger
    Given "catl" signs a produced claim for pack 2 and adds the group order L to its S
    Then OpenSSL alone refuses the signature and libsodium alone refuses it
    And packtrace's verifier refuses it over either library
    When "catl" posts the claim alone
    Then the ledger refuses it as a signature that does not verify with key 'catl/1', naming the claim
    And the log has not grown
