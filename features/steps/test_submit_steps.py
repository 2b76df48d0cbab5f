"""Steps of features/submit.feature: `packtrace submit` of CSV files against a server on a local port
(tests/api/submitting.py)."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from tests.api.scenario import code
from tests.api.submitting import MAKER_ROW, Submitter, submitting

scenarios("submit.feature")

AT = "2026-03-02T01:00:00Z"
INCIDENT = {"kind": "other", "severity": "low", "description": "dropped"}


@dataclass
class Submitting:
    maker: Submitter
    answers: list[tuple[int, str, str]] = field(default_factory=list)

    def write(self, name: str, rows: list[dict[str, object]]) -> None:
        self.maker.write_csv(name, rows)

    def submit(self, name: str) -> None:
        self.answers.append(self.maker.submit(self.maker.dir / name))


def produced(serial: int, mass_kg: float = 380.0) -> dict[str, object]:
    return {"pack": code(serial), "type": "produced", "at": AT, "data": {**MAKER_ROW, "mass_kg": mass_kg}}


def incident(serial: int) -> dict[str, object]:
    return {"pack": code(serial), "type": "incident", "at": "2026-03-02T02:00:00Z", "data": INCIDENT}


@pytest.fixture
def world(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Submitting]:
    with submitting(tmp_path, database_url, monkeypatch) as maker:
        yield Submitting(maker)


@given(parsers.parse('the manufacturer "{org}" with its signing key and a server'))
def _maker(world: Submitting, org: str) -> None:
    assert org == "catl"  # tests/api/submitting.py registers catl


@given(parsers.parse('the file "{name}" with the production and an incident of packs {a:d} and {b:d}'))
def _incidents(world: Submitting, name: str, a: int, b: int) -> None:
    world.write(name, [produced(a), produced(b), incident(a), incident(b)])


@given(parsers.parse('the file "{name}" with the production of packs {a:d} and {b:d}'))
@when(parsers.parse('the file "{name}" is written again with the production of packs {a:d} and {b:d}'))
def _daily(world: Submitting, name: str, a: int, b: int) -> None:
    world.write(name, [produced(a), produced(b)])


@given(
    parsers.parse(
        'the file "{name}" with the production of pack {a:d}, a production of pack {b:d} weighing -1 kg '
        "and an incident of pack {c:d}"
    )
)
def _mixed(world: Submitting, name: str, a: int, b: int, c: int) -> None:
    world.write(name, [produced(a), produced(b, -1.0), incident(c)])


@given(parsers.parse('"{org}" submits "{name}"'))
@when(parsers.parse('"{org}" submits "{name}"'))
def _submits(world: Submitting, org: str, name: str) -> None:
    world.submit(name)


@when(parsers.parse('"{source}" is copied to "{copy}" and "{org}" submits "{name}"'))
def _copied(world: Submitting, source: str, copy: str, org: str, name: str) -> None:
    shutil.copy(world.maker.dir / source, world.maker.dir / copy)
    world.submit(name)


@then(parsers.parse("the summary says {recorded:d} recorded, {already:d} already recorded, {refused:d} refused"))
def _summary(world: Submitting, recorded: int, already: int, refused: int) -> None:
    exit_code, out, err = world.answers[-1]
    assert (exit_code, err) == (0, "")
    assert out.startswith(f"OK: {recorded} recorded, {already} already recorded, {refused} refused, from ")


@then(
    parsers.parse(
        "the summary says {recorded:d} recorded, {already:d} already recorded, {refused:d} refused, "
        'and names the file "{name}"'
    )
)
def _summary_with_file(world: Submitting, recorded: int, already: int, refused: int, name: str) -> None:
    exit_code, out, _ = world.answers[-1]
    assert exit_code == 1
    assert out.startswith(f"{recorded} recorded, {already} already recorded, {refused} refused, from ")
    assert out.endswith(f"; refused rows written to {world.maker.dir / name}\n")


@then(parsers.parse("the log holds {a:d} entries of pack {p:d} and {b:d} entries of pack {q:d}"))
def _chains(world: Submitting, a: int, p: int, b: int, q: int) -> None:
    assert (world.maker.chain_length(code(p)), world.maker.chain_length(code(q))) == (a, b)


@then(parsers.parse('"{name}" holds the rows of pack {serial:d}, each with why it was refused'))
def _refused_rows(world: Submitting, name: str, serial: int) -> None:
    with (world.maker.dir / name).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["pack"], row["type"]) for row in rows] == [(code(serial), "produced"), (code(serial), "incident")]
    assert rows[0]["refused"].startswith("row 2: invalid_payload: invalid 'produced' payload: data.mass_kg:")
    assert rows[1]["refused"].startswith("row 3: not_found: ")
