"""The log gathers its witnesses' cosignatures (ledger/usecases/cosigning.py, docs/ledger-format.md §4.3):
each round submits the latest checkpoint with a consistency proof from the size each witness last
cosigned, keeps the verified lines, publishes the round's checkpoint; 409 teaches the witness's size; an
unreachable or refusing witness is marked with its reason and backs off; a restart resumes from the store.

The witnesses here are `api.witness.Witness` objects called in process through the `Post` seam; the
process-level acceptance test is tests/witness/test_gathering_processes.py."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from api.app import create_app
from api.settings import Settings
from api.witness import Witness, init_state
from api.witness_store import HeadStore
from events.orgs import Org, Role
from ledger.format import cosignature
from ledger.format.logkey import LogSigner
from ledger.format.witnessing import Refusal, trusted_logs
from ledger.log import Ledger
from ledger.usecases import cosigning, logreads, tiles
from ledger.usecases.cosigning import Answer, Gatherer, Unreachable, parse_witnesses
from tests import specverify
from tests.api.inprocess import in_process_client
from tests.support import PRODUCED, Actor, add_actor, code, regulator_caller
from tests.web.login import session_cookie
from tests.witness import independent

pytestmark = pytest.mark.served

ORIGIN = "packtrace.test/log"
NOW = 1_780_000_000


class Witnesses:
    """In-process witnesses by URL; a URL not among them is unreachable. Records every submission."""

    def __init__(self) -> None:
        self.by_url: dict[str, Witness] = {}
        self.sent: list[tuple[str, str]] = []  # (url, first line of the body)

    def add(self, state: Path, name: str, logs: list[str]) -> str:
        """A witness trusting `logs`; its `<vkey>=<url>` item for PACKTRACE_WITNESSES."""
        witness = Witness(init_state(state, name), trusted_logs(logs), HeadStore(state), clock=lambda: NOW)
        url = f"http://{name.split('/')[0]}"
        self.by_url[url + "/add-checkpoint"] = witness
        return f"{witness.identity.verifier_key}={url}"

    async def post(self, url: str, body: bytes) -> Answer:
        self.sent.append((url, body.decode().split("\n", 1)[0]))
        witness = self.by_url.get(url)
        if witness is None:
            raise Unreachable("无法连接 unreachable: ConnectError: [Errno 111] Connection refused")
        try:
            return Answer(200, "text/plain; charset=utf-8", witness.add_checkpoint(body))
        except Refusal as refusal:
            return Answer(refusal.status, refusal.media_type, refusal.body)


def produce(ledger: Ledger, maker: Actor, serials: range) -> None:
    ledger.append([maker.claim(code(s), "produced", PRODUCED) for s in serials])


def gather(gatherer: Gatherer, witnesses: Witnesses) -> int | None:
    return asyncio.run(gatherer.gather(witnesses.post))


def verify_served(ledger: Ledger, items: list[str]) -> str:
    """The served checkpoint, checked with the log's key and every witness's key by independent code."""
    served = logreads.latest_checkpoint(ledger, witnessed=True)
    body, _, _ = served.partition("\n\n")
    specverify.verify_checkpoint(served, ledger.signer.verifier_key)
    lines = served.split("\n\n", 1)[1].splitlines(keepends=True)
    for item in items:
        vkey = item.split("=http")[0]
        name = vkey.split("+")[0]
        mine = [line for line in lines if line.startswith(f"\u2014 {name} ")]
        assert len(mine) == 1, served
        assert independent.verify(body + "\n", mine[0], vkey) == NOW
    return served


def test_a_round_gathers_every_witness_and_publishes_the_checkpoint(
    ledger: Ledger, maker: Actor, tmp_path: Path
) -> None:
    witnesses = Witnesses()
    items = [witnesses.add(tmp_path / n, f"w{n}.example/witness", [ledger.signer.verifier_key]) for n in "12"]
    gatherer = Gatherer(ledger, parse_witnesses(",".join(items)))
    produce(ledger, maker, range(5))
    size = ledger.size()
    assert gather(gatherer, witnesses) == size
    assert witnesses.sent == [(f"http://w{n}.example/add-checkpoint", "old 0") for n in "12"]
    served = verify_served(ledger, items)
    assert served.startswith(f"{ORIGIN}\n{size}\n")
    assert [s.cosigned_size for s in gatherer.states()] == [size, size]
    assert [(s.ok, s.error) for s in gatherer.states()] == [(True, None), (True, None)]
    assert gather(gatherer, witnesses) is None  # nothing new: no submission
    assert len(witnesses.sent) == 2
    # (2): the next checkpoint goes with `old <size>` and a consistency proof the witnesses check
    produce(ledger, maker, range(5, 9))
    produce(ledger, maker, range(9, 10))
    assert gather(gatherer, witnesses) == ledger.size()
    assert witnesses.sent[2:] == [(f"http://w{n}.example/add-checkpoint", f"old {size}") for n in "12"]
    verify_served(ledger, items)
    # the lead's reads: the lines of a size, the newest cosigned checkpoint covering a size
    assert cosigning.cosignature_lines(ledger, size).count("\n") == 2
    newest = cosigning.cosigned_checkpoint(ledger, size + 1)
    assert newest is not None and newest.size == ledger.size()
    assert newest.note == logreads.latest_checkpoint(ledger, witnessed=True)
    assert cosigning.cosigned_checkpoint(ledger, ledger.size() + 1) is None


def test_the_served_checkpoint_is_the_published_one_until_the_next_round(
    ledger: Ledger, maker: Actor, tmp_path: Path
) -> None:
    witnesses = Witnesses()
    items = [witnesses.add(tmp_path / "1", "w1.example/witness", [ledger.signer.verifier_key])]
    gatherer = Gatherer(ledger, parse_witnesses(items[0]))
    produce(ledger, maker, range(3))
    before = logreads.latest_checkpoint(ledger, witnessed=True)  # no round yet: the latest, uncosigned
    assert before == ledger.latest_checkpoint().note  # type: ignore[union-attr]
    gather(gatherer, witnesses)
    published = ledger.size()
    produce(ledger, maker, range(3, 4))
    assert logreads.latest_checkpoint(ledger, witnessed=True).startswith(f"{ORIGIN}\n{published}\n")
    # without witnesses configured the latest is served, with whatever was gathered for it (nothing yet)
    assert logreads.latest_checkpoint(ledger) == ledger.latest_checkpoint().note  # type: ignore[union-attr]
    gather(gatherer, witnesses)
    assert logreads.latest_checkpoint(ledger, witnessed=True).startswith(f"{ORIGIN}\n{published + 1}\n")


def test_409_teaches_the_witness_size_and_the_round_submits_again(ledger: Ledger, maker: Actor, tmp_path: Path) -> None:
    witnesses = Witnesses()
    items = [witnesses.add(tmp_path / "1", "w1.example/witness", [ledger.signer.verifier_key])]
    produce(ledger, maker, range(4))
    first = Gatherer(ledger, parse_witnesses(items[0]))
    gather(first, witnesses)  # the witness holds this size; a log process that lost the answer does not know it
    held = ledger.size()
    produce(ledger, maker, range(4, 6))
    other = Gatherer(ledger, parse_witnesses(items[0]))
    other._tracked[0].held = other._tracked[0].cosigned = 0  # as if its store had not kept the size
    assert gather(other, witnesses) == ledger.size()
    assert [line for _, line in witnesses.sent[1:]] == ["old 0", f"old {held}"]
    assert [(s.ok, s.cosigned_size) for s in other.states()] == [(True, ledger.size())]
    verify_served(ledger, items)


def test_a_restarted_log_resumes_from_the_stored_size(ledger: Ledger, maker: Actor, tmp_path: Path) -> None:
    witnesses = Witnesses()
    items = [witnesses.add(tmp_path / n, f"w{n}.example/witness", [ledger.signer.verifier_key]) for n in "12"]
    produce(ledger, maker, range(3))
    gather(Gatherer(ledger, parse_witnesses(",".join(items))), witnesses)
    size = ledger.size()
    restarted = Gatherer(ledger, parse_witnesses(",".join(items)))
    states = restarted.states()
    assert [(s.cosigned_size, s.ok, s.error) for s in states] == [(size, None, None)] * 2
    assert all(isinstance(s.cosigned_at, datetime) and s.cosigned_at.timestamp() == NOW for s in states)
    assert gather(restarted, witnesses) is None  # the published checkpoint is cosigned already
    produce(ledger, maker, range(3, 5))
    gather(restarted, witnesses)
    assert [line for _, line in witnesses.sent[2:]] == [f"old {size}", f"old {size}"]  # no 409 on the way
    verify_served(ledger, items)


def test_an_unreachable_witness_is_marked_and_backs_off_while_the_others_cosign(
    ledger: Ledger, maker: Actor, tmp_path: Path
) -> None:
    witnesses = Witnesses()
    good = witnesses.add(tmp_path / "1", "w1.example/witness", [ledger.signer.verifier_key])
    dead_key = cosignature.verifier_key("dead.example/witness", Ed25519PrivateKey.generate().public_key())
    now = [100.0]
    gatherer = Gatherer(ledger, parse_witnesses(f"{good},{dead_key}=http://127.0.0.1:9"), clock=lambda: now[0])
    produce(ledger, maker, range(2))
    assert gather(gatherer, witnesses) == ledger.size()
    good_state, dead = gatherer.states()
    assert (good_state.ok, dead.ok, dead.cosigned_size, dead.cosigned_at) == (True, False, 0, None)
    assert dead.error == "无法连接 unreachable: ConnectError: [Errno 111] Connection refused"
    verify_served(ledger, [good])
    # (2): backing off: the next round (0.5 s later) does not ask it; one after the backoff (1 s) does
    produce(ledger, maker, range(2, 3))
    now[0] += 0.5
    gather(gatherer, witnesses)
    assert [url for url, _ in witnesses.sent].count("http://127.0.0.1:9/add-checkpoint") == 1
    produce(ledger, maker, range(3, 4))
    now[0] += 1.0
    gather(gatherer, witnesses)
    assert [url for url, _ in witnesses.sent].count("http://127.0.0.1:9/add-checkpoint") == 2
    # the backoff doubles: 2 s now
    produce(ledger, maker, range(4, 5))
    now[0] += 1.5
    gather(gatherer, witnesses)
    assert [url for url, _ in witnesses.sent].count("http://127.0.0.1:9/add-checkpoint") == 2
    verify_served(ledger, [good])


def test_a_refusing_witness_shows_its_reason(ledger: Ledger, maker: Actor, tmp_path: Path) -> None:
    witnesses = Witnesses()
    other_log = LogSigner("other.example/log", Ed25519PrivateKey.generate()).verifier_key
    item = witnesses.add(tmp_path / "1", "w1.example/witness", [other_log])  # not configured for this log
    gatherer = Gatherer(ledger, parse_witnesses(item))
    produce(ledger, maker, range(2))
    gather(gatherer, witnesses)
    (state,) = gatherer.states()
    assert (state.ok, state.cosigned_size) == (False, 0)
    assert state.error == f"HTTP 404: 未知日志 unknown log: this witness is not configured for origin {ORIGIN!r}"
    assert logreads.latest_checkpoint(ledger, witnessed=True) == ledger.latest_checkpoint().note  # type: ignore[union-attr]


def test_a_cosignature_by_another_key_is_not_kept(ledger: Ledger, maker: Actor, tmp_path: Path) -> None:
    witnesses = Witnesses()
    item = witnesses.add(tmp_path / "1", "w1.example/witness", [ledger.signer.verifier_key])
    impostor = cosignature.verifier_key("w1.example/witness", Ed25519PrivateKey.generate().public_key())
    gatherer = Gatherer(ledger, parse_witnesses(impostor + "=" + item.split("=http")[1].join(["http", ""])))
    produce(ledger, maker, range(2))
    gather(gatherer, witnesses)
    (state,) = gatherer.states()
    label = cosignature.parse_verifier_key(impostor).label
    assert (state.ok, state.error) == (False, f"副署无效 bad cosignature: the answer holds no cosignature by {label}")
    assert cosigning.cosignature_lines(ledger, ledger.size()) == ""


def test_the_pack_proof_and_the_export_carry_the_cosignatures(ledger: Ledger, maker: Actor, tmp_path: Path) -> None:
    witnesses = Witnesses()
    items = [witnesses.add(tmp_path / n, f"w{n}.example/witness", [ledger.signer.verifier_key]) for n in "12"]
    gatherer = Gatherer(ledger, parse_witnesses(",".join(items)))
    produce(ledger, maker, range(3))
    gather(gatherer, witnesses)
    cosigned = logreads.latest_checkpoint(ledger, witnessed=True)
    produce(ledger, maker, range(3, 4))  # a later checkpoint, not yet cosigned
    proof = tiles.pack_proof(ledger, regulator_caller(), code(1))
    assert proof.endswith("\n\n" + cosigned)  # the cosigned checkpoint holds the entry: it is the one used
    proof = tiles.pack_proof(ledger, regulator_caller(), code(3))
    assert proof.endswith("\n\n" + ledger.latest_checkpoint().note)  # type: ignore[union-attr]
    exported = dict(tiles.export(ledger, entries=False, witnessed=True))
    assert exported["checkpoint"] == cosigned.encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nonsense", "PACKTRACE_WITNESSES item 1 'nonsense': expected <witness verifier key>=<http(s) base URL>"),
        (
            "w.example+00000000+AAAA=http://w.example",
            "PACKTRACE_WITNESSES item 1 'w.example+00000000+AAAA=http://w.example': bad witness verifier key: ",
        ),
        ("{key}=ftp://w.example", "PACKTRACE_WITNESSES item 1 '{key}=ftp://w.example': expected <witness verifier"),
        ("{key}=http://w.example?x=1", "PACKTRACE_WITNESSES item 1 '{key}=http://w.example?x=1': bad URL: a base"),
        (
            "{key}=http://a.example, {key}=http://b.example",
            "PACKTRACE_WITNESSES item 2 '{key}=http://b.example': witness 'w.example/one' is named twice",
        ),
    ],
)
def test_the_witnesses_setting_refuses_a_bad_item_naming_it(value: str, message: str) -> None:
    key = cosignature.verifier_key("w.example/one", Ed25519PrivateKey.generate().public_key())
    with pytest.raises(ValidationError) as refused:
        Settings(witnesses=value.format(key=key))
    assert message.format(key=key) in str(refused.value)


def test_the_witnesses_setting_reads_each_key_and_base_url() -> None:
    key = cosignature.verifier_key("w.example/one", Ed25519PrivateKey.generate().public_key())
    other = cosignature.verifier_key("w.example/two", Ed25519PrivateKey.generate().public_key())
    settings = Settings(witnesses=f" {key}=http://127.0.0.1:8001/ , {other}=https://w2.example/prefix ")
    assert [(w.name, w.url) for w in parse_witnesses(settings.witnesses)] == [
        ("w.example/one", "http://127.0.0.1:8001"),
        ("w.example/two", "https://w2.example/prefix"),
    ]
    assert Settings(witnesses=" , ").witnesses == ""


@pytest.mark.parametrize(
    ("answers", "error", "held"),
    [
        ([Answer(500, "text/plain", "database is down\nmore\n")], "HTTP 500: database is down", 0),
        ([Answer(200, "text/plain", "")], "副署无效 bad cosignature: the answer holds no cosignature by {label}", 0),
        ([Answer(200, "text/plain", "not a signature line\n")], "副署无效 bad cosignature: ", 0),
        ([Answer(409, "text/plain", "7\n")], "HTTP 409: 7", 0),  # not a size body: a plain refusal
        (
            [Answer(409, "text/x.tlog.size", "999999\n")],
            "见证者状态超前 the witness holds size 999999, beyond the log's {size}",
            999999,
        ),
        (
            [Answer(409, "text/x.tlog.size", "1\n"), Answer(409, "text/x.tlog.size", "2\n")],
            "HTTP 409: 见证者持有 the witness holds size 2 (another root?)",
            2,
        ),
        (
            [Answer(409, "text/x.tlog.size", "0\n")],
            "HTTP 409: 见证者持有 the witness holds size 0 (another root?)",
            0,
        ),
    ],
)
def test_each_failing_answer_names_its_reason(
    ledger: Ledger, maker: Actor, answers: list[Answer], error: str, held: int
) -> None:
    vkey = cosignature.verifier_key("w.example/one", Ed25519PrivateKey.generate().public_key())
    gatherer = Gatherer(ledger, parse_witnesses(f"{vkey}=http://w.example"))
    produce(ledger, maker, range(2))
    script = list(answers)

    async def post(url: str, body: bytes) -> Answer:
        return script.pop(0)

    asyncio.run(gatherer.gather(post))
    (state,) = gatherer.states()
    label = cosignature.parse_verifier_key(vkey).label
    assert (state.ok, state.cosigned_size) == (False, 0)
    assert state.error is not None and state.error.startswith(error.format(label=label, size=ledger.size()))
    assert gatherer._tracked[0].held == held and script == []


def test_healthz_and_the_overview_show_each_witness(ledger: Ledger, maker: Actor, tmp_path: Path) -> None:

    regulator = add_actor(ledger, Org("fj-miit", "福建省工信厅", frozenset({Role.REGULATOR})))
    witnesses = Witnesses()
    good = witnesses.add(tmp_path / "1", "w1.example/witness", [ledger.signer.verifier_key])
    dead_key = cosignature.verifier_key("dead.example/witness", Ed25519PrivateKey.generate().public_key())
    settings = Settings(witnesses=f"{good},{dead_key}=http://127.0.0.1:9", environment="development")
    app = create_app(ledger, settings=settings)
    produce(ledger, maker, range(2))
    with in_process_client(app) as http:
        before = http.get("/healthz").json()["witnesses"]
        assert [(w["name"], w["url"], w["cosigned_size"], w["ok"], w["error"]) for w in before] == [
            ("w1.example/witness", "http://w1.example", 0, None, None),
            ("dead.example/witness", "http://127.0.0.1:9", 0, None, None),
        ]
        asyncio.run(app.state.cosigner.gatherer.gather(witnesses.post))  # one round, as the cosigner runs it
        after = http.get("/healthz").json()["witnesses"]
        assert [(w["cosigned_size"], w["ok"], w["error"]) for w in after] == [
            (ledger.size(), True, None),
            (0, False, "无法连接 unreachable: ConnectError: [Errno 111] Connection refused"),
        ]
        assert after[0]["cosigned_at"] == "2026-05-28T20:26:40Z"  # the cosignature's own time, NOW
        assert http.get("/v1/log/checkpoint").text == logreads.latest_checkpoint(ledger, witnessed=True)
        cookie = session_cookie(ledger, regulator.token)
        page = http.get("/regulator", headers=cookie).text
        panel = page[page.index('<section class="card" id="witnesses">') :]
        assert "见证者副署" in panel and "已副署的日志规模" in panel
        assert '<span class="badge s-in_use">正常</span>' in panel and '<span class="badge late">异常</span>' in panel
        assert f'<td class="n">{ledger.size()}</td><td>2026-05-29 04:26</td>' in panel  # China time
        assert "无法连接 unreachable: ConnectError" in panel
        panel = http.get("/regulator?lang=en", headers=cookie).text
        assert "Witness cosignatures" in panel and ">OK</span>" in panel and ">Failing</span>" in panel


def test_the_overview_says_when_no_witness_is_configured(ledger: Ledger) -> None:

    regulator = add_actor(ledger, Org("fj-miit", "福建省工信厅", frozenset({Role.REGULATOR})))
    app = create_app(ledger, settings=Settings(environment="development"))
    with in_process_client(app) as http:
        assert http.get("/healthz").json()["witnesses"] == []
        page = http.get("/regulator", headers=session_cookie(ledger, regulator.token)).text
        assert '<p id="witness-none">未配置见证者（PACKTRACE_WITNESSES）。</p>' in page
