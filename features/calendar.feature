Feature: The working-day calendar as data
  Reporting deadlines count Chinese working days: the holidays and make-up working days (调休上班日) of
  the State Council's annual notice. The platform ships the years it knows; the administrator imports a
  later year's notice, recorded in the log so every deadline can be counted again the same way. A deadline
  counted through a year without data is counted Monday to Friday and marked provisional.

  Background:
    Given the province's organisations are registered with their signing keys

  Scenario: A deadline across the 2026 Spring Festival counts the shipped holidays
    Given "byd-auto" installed pack 1 at 10:00 on "2026-02-10" and recorded it on "2026-03-10"
    When the regulator reads the compliance report
    Then pack 1's installation was due on "2026-03-09" and is 1 working day late
    And it is not marked provisional

  Scenario: Without the 2027 calendar a deadline in 2027 is provisional and the overview warns
    Given "byd-auto" installed pack 1 at 10:00 on "2027-02-01" and recorded it on "2027-03-02"
    When the regulator reads the compliance report
    Then pack 1's installation was due on "2027-02-22" and is 6 working days late
    And it is marked provisional
    And the overview warns that the calendar of 2027 is missing

  Scenario: The administrator imports the 2027 calendar and the deadline becomes exact
    Given "byd-auto" installed pack 1 at 10:00 on "2027-02-01" and recorded it on "2027-03-02"
    When the administrator runs "packtrace calendar import" with the 2027 test calendar
    And the regulator reads the compliance report
    Then pack 1's installation was due on "2027-03-01" and is 1 working day late
    And it is not marked provisional
    And "packtrace calendar show 2027" says it was imported by the log's last entry
    And "packtrace verify" accepts the log

  Scenario: A calendar file with a mistake is refused and nothing is recorded
    When the administrator imports a 2027 calendar whose make-up working day is Monday 8 February
    Then the command fails with "invalid_calendar: make-up working day 2027-02-08 is a Monday: a make-up working day is a Saturday or Sunday（调休上班日 2027-02-08 是星期一：调休上班日只能是周六或周日）"
    And the log has no calendar entry
