Feature: Handing a pack over to another platform from the scan page (移交外省平台)
  A collection point or recycler that holds a pack bound for another province records the hand-over where it
  handles the pack: on its phone, after scanning the label. The page offers the hand-over only when this
  platform has peer platforms (PACKTRACE_PEERS); the platform is picked from them, and the receiver is named
  by its id on that platform, where it is registered. The pack is then transferred, not 流向不明.

  Background:
    Given the province's organisations are registered with their signing keys
    And "xm-collect" has a platform-held key and holds pack "A", retired

  Scenario: The collection point hands the pack over to a peer platform from its phone
    Given this platform's peer is "hb.packtrace.test/log"
    When "xm-collect" scans pack "A" on the scan page
    Then the page offers "移交外省平台", picking the platform from "hb.packtrace.test/log"
    When "xm-collect" hands pack "A" over to "hb-recycler" on "hb.packtrace.test/log" on the scan page
    Then pack "A" is transferred to "hb-recycler" on "hb.packtrace.test/log"

  Scenario: A platform with no peers offers no hand-over, and refuses one forged into the form
    When "xm-collect" scans pack "A" on the scan page
    Then the page does not offer "移交外省平台"
    When "xm-collect" hands pack "A" over to "hb-recycler" on "hb.packtrace.test/log" on the scan page
    Then the page says "本平台未配置对接的追溯平台（PACKTRACE_PEERS），不能移交至“hb.packtrace.test/log”。" and the log did not grow
