"""Ownership and leases (车电分离) on the regulator's pages: Simplified Chinese, English; with the names of
the `ownership_transferred`, `leased` and `lease_ended` events."""

from __future__ import annotations

MESSAGES_OWNERS: dict[str, tuple[str, str]] = {
    "owner": ("所有权人", "Owner"),
    "lease": ("租赁（车电分离）", "Lease (battery as a service)"),
    "lease_none": ("未租赁", "Not leased"),
    "lessor": ("出租方", "Lessor"),
    "lessee": ("承租方", "Lessee"),
    "lease_since": ("租赁开始", "Leased since"),
    "lease_until": ("约定到期", "Agreed end"),
    "owned_unaccounted": ("所有权人名下流向不明", "Unaccounted, as owner"),
}

EVENT_NAMES_OWNERS: dict[str, tuple[str, str]] = {
    "ownership_transferred": ("所有权转移", "ownership transferred"),
    "leased": ("租赁开始", "leased"),
    "lease_ended": ("租赁结束", "lease ended"),
}
