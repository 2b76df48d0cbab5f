Feature: Ownership and leases (车电分离)
  A pack has an owner (所有权人) beside its custodian: its maker from production, then whoever the owner
  transfers it to. A lessor that owns a pack leases it out for a vehicle: the lessor stays the owner
  throughout the lease while the pack's custodians change with installs and swaps. The regulator sees the
  owner and the lease on the pack's page and in its history; an organisation without a part in the pack
  sees neither.

  Background:
    Given the province's organisations are registered with their signing keys
    And the lessor "fj-baas" is registered
    And "catl" has sold pack "A" to "fj-baas", which installed it in vehicle "V1"
    And pack "B" is in the stock of "nio-swap"

  Scenario: A lease: the lessor is owner throughout, custodians change with installs and swaps
    When "fj-baas" leases pack "A" to "nio-swap" for vehicle "V1" until "2031-12-31"
    Then pack "A" is owned by "fj-baas" and held by "fj-baas", leased to "nio-swap"
    When "nio-swap" swaps pack "A" out of vehicle "V1" for pack "B"
    Then pack "A" is owned by "fj-baas" and held by "nio-swap", leased to "nio-swap"
    And pack "B" is owned by "catl" and held by "nio-swap", not leased
    And the regulator's page of pack "A" shows the owner "fj-baas", the custodian "nio-swap" and the lease to "nio-swap"
    And the regulator's history of pack "A" lists the sale and the lease
    And "nio-swap" reads the owner and the lease of pack "A", and "byd-auto" reads neither
    When "fj-baas" ends the lease of pack "A"
    Then pack "A" is owned by "fj-baas" and held by "nio-swap", not leased

  Scenario: Only the owner transfers or leases, and only to an organisation that may own a pack
    When "catl" transfers pack "A" to "byd-auto"
    Then the request is refused with 403: "org 'catl' (manufacturer) may not post 'ownership_transferred': requires being the pack's owner ('fj-baas')"
    When "fj-baas" transfers pack "A" to "xm-collect"
    Then the request is refused with 422: "invalid 'ownership_transferred' payload: data.to: org 'xm-collect' (collector) may not own a pack; an owner has one of the roles automaker, dealer, importer, lessor, manufacturer, second_life, swap_operator"
    When "fj-baas" leases pack "A" to "nio-swap" for vehicle "V1" until "2031-12-31"
    And "fj-baas" transfers pack "A" to "byd-auto"
    Then the request is refused with 422: "pack {A} is leased to 'nio-swap': the lessor stays the owner throughout a lease; end the lease first"
