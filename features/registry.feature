Feature: The registry in the log
  Organisations, their 规范条件 status and their signing keys are entries of the same Merkle log as the
  battery events: every change says who authorised it, each entry is judged by the registry as it stood
  when the entry was recorded, and an organisation can watch its own identity from cron.

  Background:
    Given the province's organisations are registered with their signing keys
    And the platform serves them over HTTP with an administrator token

  Scenario: A recycler taken off the 规范条件 whitelist keeps its earlier records
    Given "gem-recycling" has dismantled and recycled pack 1 and dismantled pack 2
    When the administrator takes "gem-recycling" off the whitelist from today, citing "工信部公告2026年第12号"
    Then "gem-recycling" may no longer recycle pack 2: it is refused with 403 "forbidden"
    And packtrace verify passes on the whole database, the recycling of pack 1 included

  Scenario: A token alone cannot add a second key; a claim signed by the current key can
    When "catl" registers a second key "catl/2" with its API token alone
    Then it is refused with 403 "registry_needs_signature", pointing to POST /v1/registry
    When "catl" posts a key_added claim for "catl/2" signed by its current key "catl/1"
    Then the registry history of "catl" ends with "catl/2", authorised by the signature of "catl/1"
    And a claim "catl" signs with "catl/2" is accepted

  Scenario: watch-org catches a key the administrator added that the organisation did not list
    Given "catl" lists its key "catl/1" in its known-keys file
    And watch-org of "catl" reports every key known
    When the administrator registers a key "catl/extra" for "catl"
    Then watch-org of "catl" exits 1 naming "catl/extra", the log entry that added it and the administrator
