"""Steps of features/integration.feature: the payload schemas and an organisation's keys over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from api.app import create_app
from api.settings import Settings
from ledger.log import Ledger
from tests.api.inprocess import in_process_client
from tests.support import Actor

scenarios("integration.feature")

ADMIN_TOKEN = "admin-token-for-the-integration-scenarios-0123"


@dataclass
class Integrator:
    client: httpx.Client
    actors: dict[str, Actor]
    answers: list[httpx.Response] = field(default_factory=list)

    def get(self, path: str, org: str | None = None) -> None:
        token = ADMIN_TOKEN if org == "admin" else (self.actors[org].token if org else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.answers.append(self.client.get(path, headers=headers))


@pytest.fixture
def integrator(ledger: Ledger, actors: dict[str, Actor], tmp_path: Path) -> Iterator[Integrator]:
    settings = Settings(database_url="sqlite:///unused.db", log_key_file=tmp_path / "log.key", admin_token=ADMIN_TOKEN)
    with in_process_client(create_app(ledger, settings=settings)) as client:
        yield Integrator(client, actors)


@given("the API is served")
def _served(integrator: Integrator) -> None:
    assert integrator.client.get("/healthz").status_code in (200, 503)  # 503: no label font, the API runs


@given(parsers.parse('the administrator has revoked the key "{key}" of "{org}"'))
def _revoked(integrator: Integrator, key: str, org: str) -> None:
    answer = integrator.client.delete(f"/v1/orgs/{org}/keys/{key}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert answer.status_code == 200, answer.text


@when(parsers.parse('an integrator without a token asks for the schema of "{event_type}"'))
def _schema(integrator: Integrator, event_type: str) -> None:
    integrator.get(f"/v1/schemas/events/{event_type}")


@when(parsers.parse('"{reader}" lists the keys of "{org}"'))
def _keys(integrator: Integrator, reader: str, org: str) -> None:
    integrator.get(f"/v1/orgs/{org}/keys", reader)


@when(parsers.parse('"{reader}" reads the key "{key}" of "{org}"'))
def _key(integrator: Integrator, reader: str, key: str, org: str) -> None:
    integrator.get(f"/v1/orgs/{org}/keys/{key}", reader)


@then(parsers.parse("the answer is {status:d}"))
def _status(integrator: Integrator, status: int) -> None:
    assert integrator.answers[-1].status_code == status, integrator.answers[-1].text


@then(parsers.parse('the answer is {status:d} with the code "{code}"'))
def _problem(integrator: Integrator, status: int, code: str) -> None:
    answer = integrator.answers[-1]
    assert answer.status_code == status and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code


@then(parsers.parse('the schema requires "{name}" and refuses unknown fields'))
def _required(integrator: Integrator, name: str) -> None:
    schema = integrator.answers[-1].json()
    assert schema["required"] == [name] and schema["additionalProperties"] is False


@then(parsers.parse('its field "{name}" is described as "{zh}" and "{en}"'))
def _described(integrator: Integrator, name: str, zh: str, en: str) -> None:
    prop = integrator.answers[-1].json()["properties"][name]
    assert (prop["x-description-zh"], prop["x-description-en"]) == (zh, en)


@then(parsers.parse('the key "{key}" is listed as "{status}"'))
def _key_status(integrator: Integrator, key: str, status: str) -> None:
    answer = integrator.answers[-1].json()
    keys = {k["key_id"]: k for k in (answer if isinstance(answer, list) else [answer])}
    assert keys[key]["status"] == status
