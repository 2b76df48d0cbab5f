Feature: Health and metrics for the province's IT department
  A deployment is watched from outside: /healthz says whether the server can serve the log now (the database
  answering, its schema at this version's migrations, the log's own keys loaded) and names every reason when
  it cannot; /metrics gives Prometheus the log's entries (the append rate), the append queue, each witness's
  lag behind the log and the request latency by route.

  Background:
    Given a deployment serving its log with its key files
    And the maker "catl" is registered

  Scenario: A ready server and its metrics
    When "catl" records 3 packs
    Then /healthz answers ready with the log's size
    And /metrics counts the log's entries as its size
    And /metrics shows 0 appends waiting in the queue
    And /metrics counts 1 request to route "/healthz" answered 200

  Scenario: A witness behind the log shows its lag
    Given a witness "w1.example/witness" that has cosigned the log
    When "catl" records 4 packs
    Then /metrics shows witness "w1.example/witness" 4 entries behind and up

  Scenario: A schema behind this version is not ready, and says what to run
    When the database's schema is left at revision "e1000fac4028"
    Then /healthz answers 503 not ready: "database schema at revision e1000fac4028, this version needs {head}: run `packtrace migrate`"

  Scenario: Another server's log key is not ready
    When a server starts on this database with another log key
    Then its /healthz answers 503 not ready: "log key not loaded: the log's key in force is {log key}, this server holds {other key} (PACKTRACE_LOG_KEY_FILE)"
