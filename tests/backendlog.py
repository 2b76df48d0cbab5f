"""Which tests depend on the database backend, so that the PostgreSQL run can leave out the ones that never ask.

The backend is chosen in one place, `tests.conftest.backend_url`, and it calls `asked()`. In the SQLite run,
with `PACKTRACE_TEST_BACKEND_LOG=FILE`, this plugin records who asked: the test file being collected or run,
and every fixture being set up at the time, by name (a fixture set up once for many files asks for all the
tests that use it). In the PostgreSQL run, with `PACKTRACE_TEST_BACKEND_ONLY=FILE`, it deselects every test
that neither sits in a recorded file nor uses a recorded fixture (directly or through another fixture): such a
test never read the backend, so it ran exactly as it would on PostgreSQL. Without a whole record (the SQLite run
did not finish, or the backend was asked for outside any test) nothing is deselected.

Each xdist worker writes its own `FILE.<worker>`; the PostgreSQL run reads them all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_fixtures: list[str] = []  # the fixtures being set up (one may set up another)
_where: list[str] = []  # the test file being collected or run
_asked_by_fixture: set[str] = set()
_asked_by_file: set[str] = set()


def asked() -> None:
    """Note that the backend was asked for, and by whom (written at once: a worker that crashes has told)."""
    new = [f"fixture {name}" for name in _fixtures if name not in _asked_by_fixture]
    _asked_by_fixture.update(_fixtures)
    # outside any test, fixture or collection (a plugin, a hook): count every test as asking
    where = _where[-1] if _where else "*"
    if where not in _asked_by_file:
        _asked_by_file.add(where)
        new.append(f"file {where}")
    _write(new)


def _write(lines: list[str]) -> None:
    target = os.environ.get("PACKTRACE_TEST_BACKEND_LOG")
    if target and lines:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        with Path(f"{target}.{worker}").open("a", encoding="utf-8") as part:
            part.write("".join(f"{line}\n" for line in lines))


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Iterator[None]:
    _fixtures.append(fixturedef.argname)
    try:
        return (yield)
    finally:
        _fixtures.pop()


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[Any]:
    _where.append(_file_of(collector.nodeid))
    try:
        return (yield)
    finally:
        _where.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    _where.append(_file_of(item.nodeid))
    try:
        return (yield)
    finally:
        _where.pop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    # the controller (or a run without workers), after every worker: the record is whole. Asked of the
    # session, not of PYTEST_XDIST_WORKER, which a pytest started inside a worker's test inherits.
    if not hasattr(session.config, "workerinput"):
        _write(["done"])


def _record(source: str) -> tuple[set[str], set[str]] | None:
    fixtures: set[str] = set()
    files: set[str] = set()
    done = False
    for part in sorted(Path(source).parent.glob(f"{Path(source).name}.*")):
        for line in part.read_text(encoding="utf-8").splitlines():
            kind, _, name = line.partition(" ")
            done = done or kind == "done"
            (fixtures if kind == "fixture" else files).add(name)
    return (fixtures, files) if done else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    source = os.environ.get("PACKTRACE_TEST_BACKEND_ONLY")
    if not source:
        return
    record = _record(source)
    if record is None or "*" in record[1]:
        return
    fixtures, files = record
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        asks = _file_of(item.nodeid) in files or not fixtures.isdisjoint(getattr(item, "fixturenames", ()))
        (keep if asks else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
