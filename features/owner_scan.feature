Feature: The owner's actions on the scan page (车电分离)
  The owner of a pack takes its ownership actions where it handles the pack: on its phone, after scanning
  the label. A lessor that owns a pack in a vehicle leases it out, and later ends the lease; any owner may
  sell it on. The page offers a lease only when none is active, and its end only when one is.

  Background:
    Given the province's organisations are registered with their signing keys
    And the lessor "fj-baas" is registered, with a platform-held key
    And "catl" has sold pack "A" to "fj-baas", which installed it in vehicle "V1"

  Scenario: The lessor leases the pack out and ends the lease from its phone
    When "fj-baas" scans pack "A" on the scan page
    Then the page offers "出租（车电分离）" and "转移所有权", and not "结束租赁"
    When "fj-baas" leases pack "A" to "nio-swap" for vehicle "V1" until "2031-12-31" on the scan page
    Then pack "A" is owned by "fj-baas", leased to "nio-swap" for vehicle "V1" until "2031-12-31"
    And the page offers "结束租赁", and not "出租（车电分离）"
    When "fj-baas" ends the lease of pack "A" on the scan page, because it "expired"
    Then pack "A" is owned by "fj-baas" and not leased
    When "fj-baas" leases pack "A" to "nio-swap" on the scan page, typing no vehicle
    Then pack "A" is owned by "fj-baas", leased to "nio-swap" for vehicle "V1" until ""

  Scenario: A lease form without a lessee, or naming both a vehicle and a site, records nothing
    When "fj-baas" leases pack "A" to "" for vehicle "V1" until "" on the scan page
    Then the page says "请填写“承租方”。" and the log did not grow
    When "fj-baas" leases pack "A" to "nio-swap" for vehicle "V1" and site "厦门储能站" on the scan page
    Then the page says "租赁对象是车辆（车辆识别代号）或站点，不能同时填写两者。" and the log did not grow
