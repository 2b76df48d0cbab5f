Feature: Integrating over HTTP
  Battery makers, automakers and regulators use the platform from their own systems: they sign claims
  with their own keys and post them with their API token; anyone can check what they read against the
  log's public key.

  Background:
    Given the platform runs with an administrator token
    And the administrator has registered "catl" as a battery maker owning code "001", "byd-auto" as an automaker and "fj-miit" as the regulator, each with its own signing key

  Scenario: A maker registers a batch of packs
    When "catl" posts one batch registering packs 1 to 50
    Then the batch is recorded as 50 entries in request order
    And anyone can read pack 7's maker, chemistry and production date, but not who holds it

  Scenario: An automaker receives and installs a pack
    Given "catl" has registered pack 1 and shipped it to "byd-auto"
    When "byd-auto" receives pack 1 and installs it in vehicle "LSJA24U64MS000001"
    Then the regulator sees pack 1 "in_vehicle" in vehicle "LSJA24U64MS000001" in the custody of "byd-auto"
    And the public view of pack 1 names no vehicle

  Scenario: A regulator reads a pack's history and verifies its bundle offline
    Given "catl" has registered pack 1 and shipped it to "byd-auto"
    When the regulator fetches the history and the bundle of pack 1
    Then the history lists "produced" then "shipped", each with its entry hash
    And the bundle verifies offline with the key published at /v1/log/key

  Scenario: An organisation rotates its API token
    When "byd-auto" rotates its API token
    Then "byd-auto" registers another signing key with the new token and a claim signed by its current key
    And the new token of "byd-auto" alone may not register a signing key
    And the old token of "byd-auto" is refused as "invalid_token"
    And "catl" may not rotate the token of "byd-auto"

  Scenario: Any organisation reads another organisation's public keys
    When "catl" revokes its signing key "catl/2026-1" after registering "catl/2026-2"
    Then "byd-auto" reads the keys of "catl": "catl/2026-1" revoked and "catl/2026-2" in force, neither held by the platform

  Scenario: A long history is read page by page, and a lower tier's bundle withholds what it may not read
    Given "catl" has registered pack 1 and shipped it to "byd-auto"
    And "byd-auto" has received pack 1, installed it in vehicle "LSJA24U64MS000001" and reported 250 incidents on it
    When "byd-auto" reads the history of pack 1 page by page, 100 entries a page
    Then it reads 254 entries in 3 pages, each once and in chain order
    And the bundle "catl" fetches of pack 1 verifies offline, discloses only its own 2 entries and names no vehicle
