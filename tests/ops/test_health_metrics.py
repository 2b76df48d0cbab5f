"""`/healthz` readiness and the Prometheus `/metrics` (docs/operations.md §6): ready, and 503 `not_ready` with
one reason per fault (the database not answering, the schema behind this version's migrations, the log key
or sealing secret not the log's own); the exposition parsed with prometheus_client's own parser: the log's
entries, the group-commit queue's depth, each witness's lag, request latency by route template."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from api.app import create_app
from api.cosigner import Cosigner
from ledger.format.logkey import LogSigner
from ledger.format.logkeys import label
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.store.migrate import alembic_config, migrate
from ledger.usecases.cosigning import parse_witnesses
from ledger.usecases.keybinding import sealing_key_id
from tests.api.inprocess import in_process_client
from tests.api.problem import assert_problem
from tests.ops.served import deployment_settings
from tests.support import PRODUCED, Actor, code, province
from tests.witness.test_gathering import Witnesses

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    made = create_app(deployment_settings(database_url, tmp_path))
    yield made
    made.state.ledger.close()
    made.state.ledger.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with in_process_client(app) as http:
        yield http


@pytest.fixture
def maker(app: FastAPI) -> Actor:
    return province(app.state.ledger)["catl"]


def samples(client: httpx.Client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def not_ready(client: httpx.Client, *reasons: str) -> None:
    assert_problem(client.get("/healthz"), 503, "not_ready", "not ready: " + "; ".join(reasons))


# -- readiness ------------------------------------------------------------------------------------------


def test_a_deployment_is_ready(client: httpx.Client, app: FastAPI) -> None:
    size = app.state.ledger.size()
    assert size > 0  # the log's key entry, at least
    assert client.get("/healthz").json() == {"status": "ok", "log_size": size, "witnesses": []}


def test_a_database_that_does_not_answer_is_not_ready() -> None:
    engine = make_engine("postgresql://packtrace@127.0.0.1:1/packtrace")  # nothing listens on port 1
    ledger = Ledger(engine, LogSigner("trace.example.cn/packtrace", Ed25519PrivateKey.generate()))
    with in_process_client(create_app(ledger)) as client:
        not_ready(
            client,
            'database unreachable: OperationalError: connection failed: connection to server at "127.0.0.1", '
            "port 1 failed: Connection refused",
        )
        metrics = samples(client)  # still served, without the log's figures
    assert metrics[("packtrace_append_queue_depth", ())] == 0
    assert not any(name == "packtrace_log_entries_total" for name, _ in metrics)
    ledger.close()
    engine.dispose()


def test_a_schema_behind_this_version_s_migrations_is_not_ready(client: httpx.Client, app: FastAPI) -> None:
    engine = app.state.ledger.engine
    assert migrate(engine) == "stamped"  # a database made by the server's start, then managed
    assert client.get("/healthz").status_code == 200
    heads = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'e1000fac4028'"))
    not_ready(
        client,
        f"database schema at revision e1000fac4028, this version needs {', '.join(sorted(heads))}: "
        "run `packtrace migrate`",
    )


def test_a_log_key_other_than_the_log_s_is_not_ready(app: FastAPI) -> None:
    served = app.state.ledger
    other = Ledger(served.engine, LogSigner(served.signer.origin, Ed25519PrivateKey.generate()))
    with in_process_client(create_app(other)) as client:
        not_ready(
            client,
            f"log key not loaded: the log's key in force is {label(served.signer.verifier_key)}, this server holds "
            f"{label(other.signer.own_key)} (PACKTRACE_LOG_KEY_FILE)",
        )
    other.close()


def test_a_sealing_secret_other_than_the_log_s_is_not_ready(client: httpx.Client, app: FastAPI) -> None:
    recorded = sealing_key_id(app.state.sealing_key)
    app.state.sealing_key = bytes(32)
    not_ready(
        client,
        f"sealing secret not loaded: the database records the sealing secret {recorded}, this server holds "
        f"{sealing_key_id(bytes(32))} (PACKTRACE_SEALING_KEY_FILE)",
    )


def test_every_reason_is_named(app: FastAPI) -> None:
    served = app.state.ledger
    other = Ledger(served.engine, LogSigner(served.signer.origin, Ed25519PrivateKey.generate()))
    recorded = sealing_key_id(app.state.sealing_key)
    wrong = create_app(other)
    wrong.state.sealing_key = bytes(32)
    with in_process_client(wrong) as client:
        not_ready(
            client,
            f"log key not loaded: the log's key in force is {label(served.signer.verifier_key)}, this server holds "
            f"{label(other.signer.own_key)} (PACKTRACE_LOG_KEY_FILE)",
            f"sealing secret not loaded: the database records the sealing secret {recorded}, this server holds "
            f"{sealing_key_id(bytes(32))} (PACKTRACE_SEALING_KEY_FILE)",
        )
    other.close()


# -- metrics --------------------------------------------------------------------------------------------


def test_the_log_entries_counter_is_the_log_s_size_and_counts_appends(
    client: httpx.Client, app: FastAPI, maker: Actor
) -> None:
    ledger: Ledger = app.state.ledger
    before = samples(client)[("packtrace_log_entries_total", ())]
    assert before == ledger.size()
    ledger.append([maker.claim(code(n), "produced", PRODUCED) for n in range(1, 6)])
    assert samples(client)[("packtrace_log_entries_total", ())] == before + 5 == ledger.size()


def test_queue_depth_counts_the_appends_waiting_for_the_writer(
    client: httpx.Client, app: FastAPI, maker: Actor
) -> None:
    ledger: Ledger = app.state.ledger
    assert samples(client)[("packtrace_append_queue_depth", ())] == 0
    release, writing = threading.Event(), threading.Event()
    write = ledger.commits.write

    def held(*args: Any) -> Any:
        writing.set()
        assert release.wait(30)
        return write(*args)

    ledger.commits.write = held
    claims = [maker.claim(code(n), "produced", PRODUCED) for n in range(1, 4)]
    threads = [threading.Thread(target=ledger.append_one, args=claim) for claim in claims]
    threads[0].start()  # the writer: it takes its request off the queue and is held writing it
    assert writing.wait(30)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 30
    while len(ledger.commits.queue) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert samples(client)[("packtrace_append_queue_depth", ())] == 2
    finally:
        release.set()
        for thread in threads:
            thread.join(30)
    assert samples(client)[("packtrace_append_queue_depth", ())] == 0
    assert all(ledger.pack_state(code(n)) is not None for n in range(1, 4))


def test_witness_lag_is_the_entries_beyond_each_witness_s_cosigned_checkpoint(
    client: httpx.Client, app: FastAPI, maker: Actor, tmp_path: Path
) -> None:
    ledger: Ledger = app.state.ledger
    witnesses = Witnesses()
    reached = witnesses.add(tmp_path / "w1", "w1.example/witness", [ledger.signer.verifier_key])
    unreachable = witnesses.add(tmp_path / "w2", "w2.example/witness", [ledger.signer.verifier_key])
    del witnesses.by_url["http://w2.example/add-checkpoint"]  # it does not answer
    app.state.cosigner = Cosigner(ledger, parse_witnesses(f"{reached},{unreachable}"))
    assert not any(name == "packtrace_witness_up" for name, _ in samples(client))  # not asked yet
    ledger.append([maker.claim(code(n), "produced", PRODUCED) for n in range(1, 4)])
    asyncio.run(app.state.cosigner.gatherer.gather(witnesses.post))
    cosigned = ledger.size()
    ledger.append([maker.claim(code(n), "produced", PRODUCED) for n in range(4, 6)])
    found = samples(client)
    w1, w2 = (("witness", "w1.example/witness"),), (("witness", "w2.example/witness"),)
    assert found[("packtrace_witness_lag_entries", w1)] == ledger.size() - cosigned == 2
    assert found[("packtrace_witness_lag_entries", w2)] == ledger.size()  # it cosigned nothing
    assert (found[("packtrace_witness_up", w1)], found[("packtrace_witness_up", w2)]) == (1, 0)


def test_request_latency_is_counted_by_route_template(client: httpx.Client, maker: Actor, app: FastAPI) -> None:
    app.state.ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    for _ in range(3):
        client.get(f"/v1/packs/{code(1)}")
    client.get("/no/such/page")
    found = samples(client)
    pack = (("method", "GET"), ("route", "/v1/packs/{code}"), ("status", "200"))
    assert found[("packtrace_http_request_duration_seconds_count", pack)] == 3
    assert found[("packtrace_http_request_duration_seconds_bucket", tuple(sorted((*pack, ("le", "+Inf")))))] == 3
    assert found[("packtrace_http_request_duration_seconds_sum", pack)] > 0
    missing = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert found[("packtrace_http_request_duration_seconds_count", missing)] == 1
    assert not any(code(1) in value for _, labels in found for _, value in labels)
