"""Steps of features/operations.feature: a deployment made from settings (both key files on disk), read
through /healthz and /metrics (the exposition parsed by prometheus_client's own parser)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import text

from api.app import create_app
from api.cosigner import Cosigner
from events.orgs import Org, Role
from ledger.format.logkey import LogSigner
from ledger.format.logkeys import label
from ledger.log import Ledger
from ledger.store.migrate import alembic_config, migrate
from ledger.usecases.cosigning import parse_witnesses
from tests.api.inprocess import in_process_client
from tests.api.problem import assert_problem
from tests.ops.served import deployment_settings
from tests.support import PRODUCED, Actor, add_actor, code
from tests.witness.test_gathering import Witnesses

scenarios("operations.feature")


@dataclass
class Deployment:
    app: FastAPI
    client: httpx.Client
    tmp: Path
    actors: dict[str, Actor] = field(default_factory=dict)
    serial: int = 0
    witnesses: Witnesses = field(default_factory=Witnesses)
    other: Ledger | None = None

    @property
    def ledger(self) -> Ledger:
        ledger: Ledger = self.app.state.ledger
        return ledger

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        exposition = self.client.get("/metrics").text
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(exposition)
            for s in family.samples
        }


@pytest.fixture
def deployment(database_url: str, tmp_path: Path) -> Iterator[Deployment]:
    app = create_app(deployment_settings(database_url, tmp_path))
    with in_process_client(app) as client:
        made = Deployment(app, client, tmp_path)
        yield made
    if made.other is not None:
        made.other.close()
    app.state.ledger.close()
    app.state.ledger.engine.dispose()


@given("a deployment serving its log with its key files")
def _deployment(deployment: Deployment) -> None:
    assert deployment.app.state.settings.log_key_file.is_file()
    assert deployment.app.state.settings.sealing_key_file.is_file()


@given(parsers.parse('the maker "{org}" is registered'))
def _maker(deployment: Deployment, org: str) -> None:
    deployment.actors[org] = add_actor(
        deployment.ledger, Org(org, "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"}))
    )


@given(parsers.parse('a witness "{name}" that has cosigned the log'))
def _witness(deployment: Deployment, name: str) -> None:
    item = deployment.witnesses.add(deployment.tmp / "witness", name, [deployment.ledger.signer.verifier_key])
    deployment.app.state.cosigner = Cosigner(deployment.ledger, parse_witnesses(item))
    asyncio.run(deployment.app.state.cosigner.gatherer.gather(deployment.witnesses.post))


@when(parsers.parse('"{org}" records {count:d} packs'))
def _records(deployment: Deployment, org: str, count: int) -> None:
    maker = deployment.actors[org]
    first = deployment.serial + 1
    deployment.serial += count
    deployment.ledger.append([maker.claim(code(n), "produced", PRODUCED) for n in range(first, first + count)])


@when(parsers.parse('the database\'s schema is left at revision "{revision}"'))
def _old_schema(deployment: Deployment, revision: str) -> None:
    engine = deployment.ledger.engine
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


@when("a server starts on this database with another log key")
def _other_server(deployment: Deployment) -> None:
    served = deployment.ledger
    deployment.other = Ledger(served.engine, LogSigner(served.signer.origin, Ed25519PrivateKey.generate()))


@then("/healthz answers ready with the log's size")
def _ready(deployment: Deployment) -> None:
    answer = deployment.client.get("/healthz")
    assert answer.json() == {"status": "ok", "log_size": deployment.ledger.size(), "witnesses": []}


@then("/metrics counts the log's entries as its size")
def _entries(deployment: Deployment) -> None:
    assert deployment.samples()[("packtrace_log_entries_total", ())] == deployment.ledger.size()


@then(parsers.parse("/metrics shows {depth:d} appends waiting in the queue"))
def _queue(deployment: Deployment, depth: int) -> None:
    assert deployment.samples()[("packtrace_append_queue_depth", ())] == depth


@then(parsers.parse('/metrics counts {count:d} request to route "{route}" answered {status}'))
def _latency(deployment: Deployment, count: int, route: str, status: str) -> None:
    key = (("method", "GET"), ("route", route), ("status", status))
    assert deployment.samples()[("packtrace_http_request_duration_seconds_count", key)] == count


@then(parsers.parse('/metrics shows witness "{name}" {lag:d} entries behind and up'))
def _witness_lag(deployment: Deployment, name: str, lag: int) -> None:
    found = deployment.samples()
    assert found[("packtrace_witness_lag_entries", (("witness", name),))] == lag
    assert found[("packtrace_witness_up", (("witness", name),))] == 1


@then(parsers.parse('/healthz answers 503 not ready: "{reason}"'))
def _not_ready(deployment: Deployment, reason: str) -> None:
    engine = deployment.ledger.engine
    heads = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads()
    detail = "not ready: " + reason.replace("{head}", ", ".join(sorted(heads)))
    assert_problem(deployment.client.get("/healthz"), 503, "not_ready", detail)


@then(parsers.parse('its /healthz answers 503 not ready: "{reason}"'))
def _other_not_ready(deployment: Deployment, reason: str) -> None:
    assert deployment.other is not None
    detail = "not ready: " + reason.replace("{log key}", label(deployment.ledger.signer.verifier_key)).replace(
        "{other key}", label(deployment.other.signer.own_key)
    )
    with in_process_client(create_app(deployment.other)) as client:
        assert_problem(client.get("/healthz"), 503, "not_ready", detail)
