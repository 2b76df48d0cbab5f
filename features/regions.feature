Feature: Places and scope: a city's regulator sees its city, the province's regulator sees everything
  Organisations carry a region (a GB/T 2260 division code). A regulator registered in a city or county is
  scoped to it: it sees the organisations located there and the packs that touch it (made, held or recorded
  by one of them), in the pack list, the reports and the pages, and reads any other pack as an ordinary
  organisation. A regulator registered at province level sees everything and may pick any region.

  Background:
    Given the province's organisations are registered with their signing keys
    And the organisations are located: "catl" in "350902", "byd-auto" in "350100", "xm-collect" in "350205", "fz-service" in "350111", "gem-recycling" in "350500", "grey-recycling" in "350600", "fj-miit" in "350000"
    And a regulator "xm-miit" is registered in "350200"
    And "catl" has produced pack 1
    And "catl" has shipped pack 1 to "byd-auto", which received it
    And "catl" has produced pack 2
    And "catl" has shipped pack 2 to "byd-auto", which received it
    And "byd-auto" has shipped pack 2 to "xm-collect", which received it

  Scenario: The city's regulator lists only the packs that touch its city
    When "xm-miit" lists the packs
    Then it sees pack 2 and not pack 1
    When "fj-miit" lists the packs
    Then it sees pack 1 and pack 2
    When "fj-miit" lists the packs of region "350200"
    Then it sees pack 2 and not pack 1

  Scenario: A pack outside the city is read at the legitimate-interest tier
    When "xm-miit" reads pack 1
    Then it reads it at the "legitimate_interest" tier
    When "xm-miit" reads pack 2
    Then it reads it at the "authority" tier

  Scenario: The city's reports cover the organisations located in the city
    When "xm-miit" reads the organisation statistics
    Then the statistics list only "xm-collect" and "xm-miit" and cover region "350200"

  Scenario: A region outside the jurisdiction is refused
    When "xm-miit" reads the compliance report of region "350100"
    Then it is refused with 403 "out_of_jurisdiction": "region 350100 (Fuzhou) is outside your jurisdiction, 350200 (Xiamen)"
