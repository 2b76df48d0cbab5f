Feature: A pack handed over between two platforms (跨平台移交)
  Two packtrace platforms that know each other's log keys hand a pack over: the origin records the
  transfer to an organisation on the other platform (the pack is then transferred, not 流向不明); the
  destination's server fetches the origin's handover document with a request signed by its log key, and the
  receiver records the pack's arrival with the origin's C2SP tlog-proof of the transfer entry. Each
  platform has its own database and log key.

  Background:
    Given two platforms, "fj" and "hb", each with its own database and log key, that know each other's keys
    And a pack made in "fj", installed in a vehicle, retired and transferred to "hb"'s recycler

  Scenario: The origin accounts for the transferred pack
    Then "fj"'s compliance report does not list the pack as 流向不明, but lists a pack retired and kept there
    And the pack is "transferred" on "fj"

  Scenario: The pack arrives in the destination with the origin's proof and is recycled there
    When "hb"'s recycler fetches the handover document from "fj" and records the arrival
    And "hb"'s recycler retires, dismantles and recycles the pack
    Then the pack is "recycled" on "hb"
    And "hb"'s regulator sees the whole life on the pack page, "fj"'s part verified against its log key
    And "verify-bundle" on "hb"'s bundle with "fj"'s key as a peer says the origin part is verified

  Scenario: The origin's regulator sees the pack's life on the destination, verified against its log key
    When "hb"'s recycler fetches the handover document from "fj" and records the arrival
    And "hb"'s recycler retires, dismantles and recycles the pack
    Then "fj"'s regulator sees "hb"'s part after its own on the pack page, verified against "hb"'s log key
    When what "hb" answers "fj" has one byte of an entry changed
    Then "fj"'s regulator sees "hb"'s part not verified: "signature does not verify with key 'recycler/1'"
    When "hb" is down
    Then "fj"'s regulator sees "hb"'s part unavailable: "Connection refused"

  Scenario: The destination's reports see the origin's producer and batch
    When "hb"'s recycler fetches the handover document from "fj" and records the arrival
    Then "hb"'s recall trace lists the pack by the recycler, its producer "manufacturer (fj.packtrace.test/log)"
    And "hb"'s pack list for the batch "B7" holds the pack

  Scenario Outline: The destination refuses an arrival whose proof was tampered with
    When "hb"'s recycler records the arrival with the handover document's <part> changed
    Then the arrival is refused with 422 "<message>"
    And the pack is unknown on "hb"

    Examples:
      | part                 | message                                                                    |
      | proof_hash           | the origin's proof of the transfer entry does not verify: inclusion proof  |
      | checkpoint_signature | the origin's proof of the transfer entry does not verify: signature by     |
      | transfer_to          | signature does not verify with key 'automaker/1'                           |
