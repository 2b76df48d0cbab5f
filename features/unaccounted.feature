Feature: 流向不明: a retired pack held by an organisation not allowed to hold it
  A retired pack must go to a collection point, a second-life company or a recycler on MIIT's 规范条件
  list. A pack received by a recycler off the list, or by an organisation whose roles do not allow it to
  hold a retired pack, is 流向不明 from the day it is received: the regulator sees it the same day, with
  its reason. A recycler counts by its 规范条件 status on the day it received the pack.

  Background:
    Given the province's organisations are registered with their signing keys
    And "byd-auto" has retired pack 1 on "2026-03-02"

  Scenario: A retired pack received by a recycler off the 规范条件 list is listed the same day
    When "grey-recycling" receives retired pack 1 on "2026-03-02"
    And the regulator reads the compliance report on "2026-03-02"
    Then pack 1 is listed as 流向不明 because "held-by-unauthorised": "退役电池由无资质企业持有（未列入规范条件或无回收角色）" / "Retired pack held by an organisation not allowed to hold it"
    And pack 1 is listed since its receipt, 0 days ago, with a limit of 0 days
    And the report counts 1 pack "held-by-unauthorised" and none for any other reason

  Scenario: A retired pack received by an organisation whose roles do not allow it is listed the same day
    When "fz-service" receives retired pack 1 on "2026-03-02"
    And the regulator reads the compliance report on "2026-03-02"
    Then pack 1 is listed as 流向不明 because "held-by-unauthorised": "退役电池由无资质企业持有（未列入规范条件或无回收角色）" / "Retired pack held by an organisation not allowed to hold it"

  Scenario: A retired pack received by a recycler on the 规范条件 list is not listed
    When "gem-recycling" receives retired pack 1 on "2026-03-02"
    And the regulator reads the compliance report on "2026-03-02"
    Then pack 1 is not listed as 流向不明

  Scenario: A recycler counts by its 规范条件 status on the day it received the pack
    Given "grey-recycling" is on the 规范条件 list from "2026-03-10"
    And "gem-recycling" is off the 规范条件 list from "2026-03-10"
    And "byd-auto" has retired pack 2 on "2026-03-02"
    And "byd-auto" has retired pack 3 on "2026-03-02"
    When "grey-recycling" receives retired pack 1 on "2026-03-05"
    And "gem-recycling" receives retired pack 2 on "2026-03-06"
    And "gem-recycling" receives retired pack 3 on "2026-03-12"
    And the regulator reads the compliance report on "2026-03-20"
    Then pack 1 is listed as 流向不明 because "held-by-unauthorised": "退役电池由无资质企业持有（未列入规范条件或无回收角色）" / "Retired pack held by an organisation not allowed to hold it"
    And pack 3 is listed as 流向不明 because "held-by-unauthorised": "退役电池由无资质企业持有（未列入规范条件或无回收角色）" / "Retired pack held by an organisation not allowed to hold it"
    And pack 1 is listed since its receipt, 15 days ago, with a limit of 0 days
    And pack 2 is not listed as 流向不明
