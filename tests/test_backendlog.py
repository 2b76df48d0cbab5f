"""The PostgreSQL run leaves out exactly the tests that never asked for the backend in the SQLite run
(tests/backendlog.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.served  # each test runs pytest in another process

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = """
import pytest
from tests import backendlog

def backend_url():
    backendlog.asked()
    return "sqlite"

@pytest.fixture(scope="session")
def shared_db():
    return backend_url()

@pytest.fixture
def wraps_shared(shared_db):
    return shared_db
"""

FILES = {
    "test_pure.py": "def test_arithmetic():\n    assert 1 + 1 == 2\n",
    "test_body.py": "from conftest import backend_url\n\ndef test_asks():\n    assert backend_url() == 'sqlite'\n",
    # set up first by test_first_user.py, then reused: the second file asks through the fixture's name
    "test_first_user.py": "def test_one(shared_db):\n    assert shared_db\n",
    "test_second_user.py": (
        "def test_two(wraps_shared):\n    assert wraps_shared\n\ndef test_pure_too():\n    assert 2 * 2 == 4\n"
    ),
}


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, env: str, record: Path) -> pytest.RunResult:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("PACKTRACE_TEST_BACKEND_LOG", raising=False)
    monkeypatch.delenv("PACKTRACE_TEST_BACKEND_ONLY", raising=False)
    monkeypatch.setenv(env, str(record))
    return pytester.runpytest_subprocess("-p", "tests.backendlog", "-p", "no:cacheprovider", "-v", "-p", "no:randomly")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    for name, source in FILES.items():
        pytester.makepyfile(**{name.removesuffix(".py"): source})
    return pytester


def test_the_postgres_run_keeps_every_test_that_asked_for_the_backend(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record = tmp_path / "backend"
    _run(project, monkeypatch, "PACKTRACE_TEST_BACKEND_LOG", record).assert_outcomes(passed=5)
    second = _run(project, monkeypatch, "PACKTRACE_TEST_BACKEND_ONLY", record)
    second.assert_outcomes(passed=3, deselected=2)
    ran = {line.split(" ")[0] for line in second.outlines if " PASSED" in line}
    assert ran == {
        "test_body.py::test_asks",
        "test_first_user.py::test_one",
        "test_second_user.py::test_two",  # through the shared fixture, set up (and asking) in another file
    }


def test_an_unfinished_record_deselects_nothing(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record = tmp_path / "backend"
    Path(f"{record}.gw0").write_text("file test_body.py\n", encoding="utf-8")  # a run that never finished
    _run(project, monkeypatch, "PACKTRACE_TEST_BACKEND_ONLY", record).assert_outcomes(passed=5)
