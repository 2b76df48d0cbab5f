"""Issue 16's remaining pages (h-life16): what a pack became and was made from (repurposing one-to-many and
many-to-one, on the regulator's pack page and the scan page); the scan page's ownership actions and their
fields (ownership_transferred, leased, lease_ended); the report's rule version. Simplified Chinese, English."""

from __future__ import annotations

MESSAGES_LIFE16: dict[str, tuple[str, str]] = {
    "became": ("梯次利用为", "Became"),
    "made_from": ("改制自", "Made from"),
    "answerable": ("责任方（所有权人）", "Answerable (owner)"),
}

# The buttons of the ownership actions on the scan page: what the owner does.
ACTION_NAMES_LIFE16: dict[str, tuple[str, str]] = {
    "ownership_transferred": ("转移所有权", "Transfer ownership"),
    "leased": ("出租（车电分离）", "Lease out (battery as a service)"),
    "lease_ended": ("结束租赁", "End the lease"),
}

# The labels of the ownership actions' fields (api/web/actions.FORMS).
FIELD_LABELS_LIFE16: dict[str, tuple[str, str]] = {
    "owner_to": ("新所有权人", "New owner"),
    "owner_reference": ("合同编号（可空）", "Contract reference (optional)"),
    "lessee": ("承租方", "Lessee"),
    "lease_vin": ("车辆识别代号 VIN（空：当前所装车辆）", "VIN (blank: the vehicle it is in)"),
    "lease_site": ("或储能电站（空：当前所在电站）", "or storage site (blank: the site it is in)"),
    "lease_until": ("约定到期日 (YYYY-MM-DD，可空)", "Agreed end (YYYY-MM-DD, optional)"),
    "lease_end_reason": ("结束原因", "Reason"),
}
