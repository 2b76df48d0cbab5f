Feature: Module recall (模组与电芯追溯)
  A pack holds modules (模组) and a module holds cells (单体/电芯). Who held what, and when, is recorded as
  links that open and close with the entries: `produced` lists the modules and their cells, a `serviced`
  module replacement takes one module out and puts another in, a `dismantled` output takes a module out,
  and its dismantler may give a module taken out whole a chain of its own (`produced.recovered_from`).
  A regulator's recall trace by cell or module code finds every pack that ever held it, and when.

  Background:
    Given the province's organisations are registered with their signing keys
    And pack "A" was produced by "catl" with module "M1" holding cells "X" and "Y", and module "M2"
    And packs "B", "C" and "D" were produced by "catl" with modules "K1", "N1" and "Q1"
    And "fz-service" has taken packs "A", "B", "C" and "D" out of their vehicles for repair

  Scenario: A cell-code recall finds the three packs that held the cell over its life, and not others
    When "fz-service" replaces module "M1" of pack "A" with "S1" over the API
    And "fz-service" replaces module "K1" of pack "B" with "M1" over the API
    And "gem-recycling" dismantles pack "B", taking module "M1" out whole
    And "gem-recycling" gives module "M1" a chain of its own and sells it to "fz-service"
    And "fz-service" replaces module "N1" of pack "C" with "M1" over the API
    Then the regulator's recall trace for cell "X" lists packs "A", "B" and "C", and not "D"
    And "A", "B" and "C" held it through module "M1" one after the other, and "C" holds it still
    And the regulator's recall page for cell "X" shows the same packs and holdings
    And the regulator's page of pack "C" lists module "M1" among what it holds, linked to its recall trace
    And the log verifies with its links

  Scenario: A module one pack holds cannot be fitted into another
    When "fz-service" replaces module "N1" of pack "C" with "M1" over the API
    Then the request is refused with 422 "component_held", naming pack "A"
    And the regulator's recall trace for cell "X" lists only pack "A", not "C"
