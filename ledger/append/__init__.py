"""The append unit of work: the steps of an append, one transaction boundary, one rule for key validity.
No SQL (that is ledger.store) and no threads (that is ledger.groupcommit)."""
