Feature: Ready for an intranet with no way out, and a demo of today
  Provincial intranets and mainland networks often cannot reach public CDNs: every page the platform serves,
  /docs (Swagger UI) included, brings its scripts, styles and images itself. The demo province is a story
  that ends on the day it is built, so "the last 30 days" are full whenever someone tries it.

  Background:
    Given the province's organisations are registered with their signing keys
    And "catl" has produced pack 1

  Scenario: No page names another host
    When a regulator, a collection point and a passer-by open every page the platform serves
    Then every page and its stylesheets answer from the platform itself
    And no page names another host in a src, href, action, srcset, url() or @import

  Scenario: The demo province built on a day ends that day
    When the demo province is built on "2027-03-10" at 18:00 China time
    Then its last entries are recorded on "2027-03-10" China time, none after 18:00
    And built again on the same day it is the same province
