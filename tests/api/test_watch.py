"""api/watch.py: the known-keys file and what `packtrace watch-org` finds in an organisation's history."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from api.watch import KnownKey, KnownKeysError, chain_problem, parse_known_keys, unexpected_keys
from ledger.format.canonical import canonical, entry_hash

PUBLIC_1 = base64.b64encode(b"\x01" * 32).decode()
PUBLIC_2 = base64.b64encode(b"\x02" * 32).decode()


def history(*claims: dict[str, Any], start: int = 7) -> list[dict[str, Any]]:
    """Registry entries of one subject, chained as the log chains them."""
    items, prev = [], None
    for seq, claim in enumerate(claims):
        entry = {"claim": claim, "index": start + seq, "prev": prev, "recorded_at": "2026-12-04T10:00:00.000001Z",
                 "seq": seq, "subject": "org:catl", "v": 1}  # fmt: skip
        prev = entry_hash(canonical(entry))
        items.append({"index": start + seq, "hash": prev, "entry": entry})
    return items


def added(key_id: str, public_key: str, by: str = "admin") -> dict[str, Any]:
    return {"type": "key_added", "by": by, "data": {"key_id": key_id, "public_key": public_key}}


def test_a_known_keys_line_names_a_key_by_id_public_key_or_both() -> None:
    text = f"# catl\ncatl/1\n\n{PUBLIC_2}   # the spare\ncatl/3 {PUBLIC_1}\n"
    assert parse_known_keys(text.splitlines()) == [
        KnownKey("catl/1", None),
        KnownKey(None, PUBLIC_2),
        KnownKey("catl/3", PUBLIC_1),
    ]
    with pytest.raises(KnownKeysError, match=r"^line 1: 'catl' is neither a key id"):
        parse_known_keys(["catl"])
    with pytest.raises(KnownKeysError, match=r"^line 1: 'catl/2' is neither a key id .* or repeats one"):
        parse_known_keys(["catl/1 catl/2"])
    with pytest.raises(KnownKeysError, match=r"^lists no key"):
        parse_known_keys(["# nothing yet", ""])


def test_a_key_is_unexpected_unless_a_line_matches_all_it_names() -> None:
    log = history(
        {"type": "org_registered", "by": "admin", "data": {}},
        added("catl/1", PUBLIC_1, by="token") | {"actor": "catl"},
        added("catl/2", PUBLIC_2),
        {"type": "key_revoked", "by": "admin", "data": {"key_id": "catl/2"}},
    )
    same_id_other_key = [KnownKey("catl/1", PUBLIC_1), KnownKey("catl/2", PUBLIC_1)]

    found = unexpected_keys(log, same_id_other_key)

    assert [(k.key_id, k.index, k.revoked_at_index) for k in found] == [("catl/2", 9, 10)]
    assert found[0].describe() == (
        f"UNEXPECTED KEY catl/2 (public key {PUBLIC_2}) added by log entry 9 at 2026-12-04T10:00:00.000001Z, "
        "authorised by the platform administrator's token（平台管理员）; revoked at entry 10"
    )
    assert unexpected_keys(log, [KnownKey("catl/1", None), KnownKey(None, PUBLIC_2)]) == []


def test_a_history_with_an_entry_left_out_or_altered_does_not_chain() -> None:
    log = history(added("catl/1", PUBLIC_1), added("catl/2", PUBLIC_2), added("catl/3", PUBLIC_2))
    assert chain_problem(log) is None
    assert chain_problem([log[0], log[2]]) == "entry 9: seq 2 does not follow the history's entry 0"
    altered = [log[0], {**log[1], "entry": {**log[1]["entry"], "recorded_at": "2026-12-05T00:00:00.000000Z"}}]
    assert chain_problem(altered) == "entry 8: its hash is not the hash of its bytes"
