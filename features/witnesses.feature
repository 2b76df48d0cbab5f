Feature: Independent witnesses cosign the checkpoints the log serves
  A checkpoint signed by the log's key proves what that key signed, not that everyone was shown the same
  log. The log submits each new checkpoint to independent witnesses (C2SP tlog-witness), which cosign it
  only if it is consistent with every checkpoint they cosigned before, and serves the checkpoint with
  their cosignatures. A witness that is down or refuses never holds up an append.

  Background:
    Given the province's organisations are registered with their signing keys

  @slow
  Scenario: Two witnesses, each its own process, cosign the checkpoint after 1,000 appends
    Given two witnesses, each a process with its own state, that witness this log
    And the log is served with both witnesses configured
    When 1,000 events are appended, in batches and one at a time
    Then within 5 seconds the log serves a checkpoint of its whole size
    And that checkpoint carries a cosignature of each witness, which independent code verifies
    And /healthz shows both witnesses healthy at that size

  Scenario: A witness nobody answers holds up no append and shows in /healthz
    Given a witness process that witnesses this log, and a witness at a port where nobody answers
    And the log is served with both witnesses configured
    When 20 events are appended one at a time
    Then no append waited for a witness
    And within 5 seconds the log serves a checkpoint of its whole size cosigned by the reachable witness
    And /healthz shows the other witness failing with "无法连接 unreachable: ConnectError"
