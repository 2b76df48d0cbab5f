"""Bundles are written against a checkpoint the witnesses cosigned, so that a verifier's policy
(docs/ledger-format.md §9) can require their quorum: the newest cosigned checkpoint covering the pack's
head and its head commitment, waited for briefly when a commitment was just made; without witnesses, the
latest checkpoint at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ledger.format.policy import parse_policy, verify_bundle_by_policy
from ledger.log import Ledger
from ledger.usecases import bundles
from ledger.usecases.bundles import make_bundle
from ledger.usecases.cosigning import Gatherer, parse_witnesses
from ledger.usecases.heads import commit_heads
from tests.support import Actor, code
from tests.witness.test_gathering import NOW, Witnesses, gather, produce


def _world(ledger: Ledger, tmp_path: Path) -> tuple[Witnesses, Gatherer, str]:
    witnesses = Witnesses()
    items = [witnesses.add(tmp_path / n, f"w{n}.example/witness", [ledger.signer.verifier_key]) for n in "12"]
    policy = "\n".join(
        [f"log {ledger.signer.verifier_key}"]
        + [f"witness w{n} {item.split('=http')[0]}" for n, item in zip("12", items, strict=True)]
        + ["group both all w1 w2", "quorum both", ""]
    )
    return witnesses, Gatherer(ledger, parse_witnesses(",".join(items))), policy


def test_a_bundle_carries_the_cosignatures_its_policy_requires(ledger: Ledger, maker: Actor, tmp_path: Path) -> None:
    witnesses, gatherer, policy = _world(ledger, tmp_path)
    produce(ledger, maker, range(3))
    commit_heads(ledger)
    gather(gatherer, witnesses)
    bundle = make_bundle(ledger, code(1))
    summary, accepted = verify_bundle_by_policy(bundle, parse_policy(policy), now=NOW)
    assert summary.complete_through == 0 and summary.tree_size == ledger.size()
    assert sorted(accepted.cosigned) == ["w1", "w2"]


def test_a_bundle_waits_for_the_witnesses_to_cosign_a_commitment_just_made(
    ledger: Ledger, maker: Actor, tmp_path: Path
) -> None:
    """Pack 5 is newer than the latest commitment: the bundle makes one and waits (at most COSIGN_WAIT) for
    a cosigned checkpoint covering it, here gathered 0.3 s later."""
    witnesses, gatherer, policy = _world(ledger, tmp_path)
    produce(ledger, maker, range(3))
    commit_heads(ledger)
    gather(gatherer, witnesses)
    produce(ledger, maker, range(5, 6))
    later = threading.Timer(0.3, lambda: gather(gatherer, witnesses))
    later.start()
    started = time.monotonic()
    bundle = make_bundle(ledger, code(5))
    waited = time.monotonic() - started
    later.join()
    assert 0.3 <= waited < bundles.COSIGN_WAIT
    summary, accepted = verify_bundle_by_policy(bundle, parse_policy(policy), now=NOW)
    assert summary.committed_size == bundle["heads"]["entry"]["index"] and sorted(accepted.cosigned) == ["w1", "w2"]


def test_without_witnesses_a_bundle_uses_the_latest_checkpoint_at_once(ledger: Ledger, maker: Actor) -> None:
    produce(ledger, maker, range(2))
    started = time.monotonic()
    bundle = make_bundle(ledger, code(1))
    assert time.monotonic() - started < 1.0
    assert bundle["checkpoint"] == ledger.latest_checkpoint().note  # type: ignore[union-attr]


def test_the_witnesses_cosign_each_commitments_checkpoint_not_only_the_latest(
    ledger: Ledger, maker: Actor, tmp_path: Path
) -> None:
    """A commitment followed by more entries before the round: the round gives each witness the
    commitment's checkpoint, then the latest, so bundles proven against the commitment carry the quorum."""
    witnesses, gatherer, policy = _world(ledger, tmp_path)
    produce(ledger, maker, range(3))
    made = commit_heads(ledger)
    assert made is not None
    produce(ledger, maker, range(3, 6))
    gather(gatherer, witnesses)
    for n in "12":
        sent = [line for url, line in witnesses.sent if url == f"http://w{n}.example/add-checkpoint"]
        assert sent == ["old 0", f"old {made.index + 1}"]  # the commitment's checkpoint, then the latest
    bundle = make_bundle(ledger, code(1))
    summary, accepted = verify_bundle_by_policy(bundle, parse_policy(policy), now=NOW)
    assert summary.tree_size == made.index + 1 and sorted(accepted.cosigned) == ["w1", "w2"]
