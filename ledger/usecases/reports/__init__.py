"""The regulator's reports (DESIGN §5, §7), one module each. Regulators only
(`Caller.is_regulator`: not the administrator).

    recall          the pack projection through its indexes (maker code or producer + production date)
    compliance      late entries from the report tables (ledger.usecases.report_index), 流向不明 from the pack
                    projection and each candidate's latest receipt and retirement (events.whereabouts)
    recovery        per recycler and element, from the report tables; an entry's element whose masses
                    are outside the plausible range (events.quantities: recorded before the payloads
                    were bounded) is left out of the sums and listed apart, so no sum overflows and no
                    real rate is hidden behind it
    organisations   per organisation, from the report tables and the pack projection
    csvtext         any report's rows as CSV

Each report brings the report tables up to date first (`report_index.refresh`), so it counts every entry
committed before it started.
"""
