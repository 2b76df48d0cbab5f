"""What `rules.apply` keeps in `PackState.extra` (JSON values only, so `to_dict` round-trips):

status_since         RFC 3339 `at` of the event that gave the pack its current status
retired_at           RFC 3339 `at` of the `retired` event
collected_at         RFC 3339 `at` of the first receipt, after retirement, by a collector,
                     second-life company or recycler (流向不明 stops counting then)
authors              sorted org ids that have posted on this pack (the `corrected` rule)
last_removal_reason  `removed.reason` of the last removal ("swap" after a `swapped` `out` too)
reused               True once the pack went into another vehicle after a non-swap removal
remanufactured       True once a `serviced` event declared remanufacturing
swap_site            the swap station the last `swapped` `out` names (`site`), if it names one
owner                the owner (所有权人) after an `ownership_transferred`; absent: the producer owns it
lease                the active lease (`leased`): lessee, lessor, since, and vin, site, until when given
box_code             the GB/T 40098 swap battery box code `produced` bound to the pack (换电电池箱编码)
successors           an original repurposed into two or more products (one-to-many): their codes, in
                     the order `repurposed.into` lists them (`successor` is the first); absent for one
imported             an imported pack's `produced.imported`: foreign_manufacturer {name, country},
                     customs_declaration (报关单号), import_date
transferred          handed over to another platform (`transferred`): platform (its log origin), to
arrived              handed over by another platform (`arrived`): platform (its log origin), manufacturer
                     (who produced the pack there)
lot                  the recycler lot (`lotted.lot`, lot:<recycler>:<lot id>) the pack went into
recovered_from       a module's chain started by its dismantler (`produced.recovered_from`): the code of
                     the dismantled pack it was taken out of whole (docs/modules.md)
"""

from __future__ import annotations

STATUS_SINCE = "status_since"
RETIRED_AT = "retired_at"
COLLECTED_AT = "collected_at"
AUTHORS = "authors"
LAST_REMOVAL_REASON = "last_removal_reason"
REUSED = "reused"
REMANUFACTURED = "remanufactured"
BOX_CODE = "box_code"
SWAP_SITE = "swap_site"
IMPORTED = "imported"
OWNER = "owner"
LEASE = "lease"
LOT = "lot"
SUCCESSORS = "successors"
RECOVERED_FROM = "recovered_from"
TRANSFERRED = "transferred"
ARRIVED = "arrived"
