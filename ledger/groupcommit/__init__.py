"""Group commit: concurrent appends share one transaction and one checkpoint. Requests wait in a queue; the
first waiting thread (or, for requests from an event loop, the ledger's writer thread) writes every request
queued meanwhile, a group per transaction, and a group that fails is written again in halves so one
request's failure fails it alone. No SQL here (ledger.store) and no append rules (ledger.append)."""
