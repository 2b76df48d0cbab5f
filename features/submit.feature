Feature: packtrace submit: a file of events posted once, whatever the file is called
  A maker's system exports its events as a CSV file and `packtrace submit` signs and posts them. A row's
  claim id comes from what the row says and who says it, not from the file's name or the row's place, so
  a renamed or re-exported copy records nothing twice and a new file under an old name collides with
  nothing. Rows the platform refuses are set aside in a file of their own; the others are recorded.

  Background:
    Given the manufacturer "catl" with its signing key and a server

  Scenario: The same rows under two file names are recorded once
    Given the file "incidents.csv" with the production and an incident of packs 1 and 2
    When "catl" submits "incidents.csv"
    Then the summary says 4 recorded, 0 already recorded, 0 refused
    When "incidents.csv" is copied to "incidents (fixed).csv" and "catl" submits "incidents (fixed).csv"
    Then the summary says 0 recorded, 4 already recorded, 0 refused
    And the log holds 2 entries of pack 1 and 2 entries of pack 2

  Scenario: A daily file reusing yesterday's name records today's rows
    Given the file "daily.csv" with the production of packs 1 and 2
    And "catl" submits "daily.csv"
    When the file "daily.csv" is written again with the production of packs 3 and 4
    And "catl" submits "daily.csv"
    Then the summary says 2 recorded, 0 already recorded, 0 refused

  Scenario: Refused rows are written to a file named in the summary
    Given the file "mixed.csv" with the production of pack 1, a production of pack 2 weighing -1 kg and an incident of pack 2
    When "catl" submits "mixed.csv"
    Then the summary says 1 recorded, 0 already recorded, 2 refused, and names the file "mixed.refused.csv"
    And "mixed.refused.csv" holds the rows of pack 2, each with why it was refused
