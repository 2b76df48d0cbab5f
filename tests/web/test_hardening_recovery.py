"""Issue 11 item 2: masses beyond any pack (1e308 kg) recorded before the payloads were bounded must not
poison the recovery figures: the reports and pages answer 200, the sums stay finite, the real rate of
the other entries is shown, and `verify` still passes on the honest log. Runs on both backends."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from pydantic import Field

from events import catalogue
from events.catalogue import EventType, Payload
from events.orgs import Role
from ledger.append.rules import DOMAIN
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.api.parties import Party
from tests.api.scenario import code, post, produced

HUGE = 1e308


class RecycledBeforeTheBounds(Payload):
    """`recycled` as the schema read before issue 11: any positive finite mass."""

    feed_mass_kg: float = Field(strict=True, gt=0)
    content_kg: dict[str, float] = Field(min_length=1)
    recovered_kg: dict[str, float]


@contextmanager
def validator_before_the_bounds(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as patch:
        patch.setitem(catalogue.PAYLOAD_MODELS, EventType.RECYCLED, RecycledBeforeTheBounds)
        yield


def recycled(client: httpx.Client, parties: dict[Role, Party], serial: int, data: dict[str, Any]) -> None:
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    pack = code(serial)
    produced(client, parties, serial)
    post(client, maker, maker.claim(pack, "retired", {"reason": "end_of_life"}))
    post(client, maker, maker.claim(pack, "shipped", {"to": recycler.id}))
    post(client, recycler, recycler.claim(pack, "received", {"from": maker.id}))
    outputs = [{"kind": "material", "name": "black mass", "mass_kg": 300.0}]
    post(client, recycler, recycler.claim(pack, "dismantled", {"outputs": outputs}))
    post(client, recycler, recycler.claim(pack, "recycled", data))


REAL = {"feed_mass_kg": 300.0, "content_kg": {"Li": 10.0, "Ni": 20.0}, "recovered_kg": {"Li": 1.0, "Ni": 19.8}}
OVERFLOWING = {"feed_mass_kg": HUGE, "content_kg": {"Li": HUGE}, "recovered_kg": {"Li": HUGE}}


@pytest.fixture
def poisoned(client: httpx.Client, parties: dict[Role, Party], monkeypatch: pytest.MonkeyPatch) -> dict[Role, Party]:
    """A real recycling at 10 % Li, then two `recycled` entries of 1e308 kg recorded by a ledger whose
    schema predated the bounds (the log is append-only: they stay)."""
    recycled(client, parties, 1, REAL)
    with validator_before_the_bounds(monkeypatch):
        recycled(client, parties, 2, OVERFLOWING)
        recycled(client, parties, 3, OVERFLOWING)
    return parties


def regulator(parties: dict[Role, Party]) -> dict[str, str]:
    return parties[Role.REGULATOR].auth


def test_item2_the_recovery_report_leaves_implausible_masses_out_and_shows_the_real_rate(
    client: httpx.Client, poisoned: dict[Role, Party]
) -> None:
    response = client.get("/v1/reports/recovery", headers=regulator(poisoned))
    assert response.status_code == 200, response.text
    report = response.json()
    recycler = poisoned[Role.RECYCLER].id
    li = next(row for row in report["rows"] if (row["recycler"], row["element"]) == (recycler, "Li"))
    assert (li["events"], li["content_kg"], li["recovered_kg"], li["rate"]) == (1, 10.0, 1.0, 10.0)
    assert li["below"] is True and li["threshold"] == 90.0
    total = next(row for row in report["totals"] if row["element"] == "Li")
    assert (total["content_kg"], total["recovered_kg"], total["rate"]) == (10.0, 1.0, 10.0)
    for row in report["rows"] + report["totals"]:
        assert all(math.isfinite(row[k]) for k in ("content_kg", "recovered_kg", "rate")), row
    assert [(row["pack"], row["element"], row["content_kg"]) for row in report["implausible"]] == [
        (code(2), "Li", HUGE),
        (code(3), "Li", HUGE),
    ]


def test_item2_the_recovery_csv_shows_the_real_rate(client: httpx.Client, poisoned: dict[Role, Party]) -> None:
    response = client.get("/v1/reports/recovery", params={"format": "csv"}, headers=regulator(poisoned))
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    li = next(row for row in rows if row["element"] == "Li")
    assert (li["events"], li["content_kg"], li["recovered_kg"], li["rate"]) == ("1", "10.0", "1.0", "10.0")


def test_item2_the_regulator_pages_answer_and_show_the_real_rate(
    client: httpx.Client, poisoned: dict[Role, Party]
) -> None:
    login = client.post("/login", data={"token": poisoned[Role.REGULATOR].token, "next": "/regulator"})
    assert login.status_code == 303, login.text
    overview = client.get("/regulator")
    assert overview.status_code == 200, overview.text
    assert '<svg class="chart"' in overview.text and ">10.0%</text>" in overview.text
    page = client.get("/regulator/recovery")
    assert page.status_code == 200, page.text
    assert ">10.0%</text>" in page.text and "nan" not in page.text.lower().replace("nanjing", "")
    left_out = page.text.split('id="implausible"', 1)[1]  # the entries left out of the sums are named
    assert "1e+308" in left_out and "未计入回收率" in left_out
    client.cookies.clear()


def test_item2_verify_passes_on_a_log_recorded_before_the_bounds(
    ledger: Ledger, base: int, poisoned: dict[Role, Party]
) -> None:
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    assert report.problems == [] and report.entries == base + 18
    strict = verify_database(ledger.engine, ledger.signer.verifier_key, validator=DOMAIN)  # today's admission
    refused = sorted(p for p in strict.problems if p.message.startswith("replay refuses"))
    assert [(p.step, p.index) for p in refused] == [(5, base + 11), (5, base + 17)]
    assert "must be at most 10,000 kg (a pack is under 10 t), got 1e+308" in refused[0].message


def test_item2_the_same_masses_are_refused_now(client: httpx.Client, parties: dict[Role, Party]) -> None:
    with pytest.raises(AssertionError, match="must be at most 10,000 kg"):
        recycled(client, parties, 4, OVERFLOWING)
