"""The locked installs (issue 19): requirements.lock (the dependencies, for the image) and
requirements-test.lock (with the test extras, for scripts/setup) pin every dependency pyproject.toml names,
each with its hashes, at the same versions in both; the Dockerfile and scripts/setup install from them with
--require-hashes; docker-compose.yml passes the database by parts and requires the public URL."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, str]:
    return {canonical(name): version for name, version in PIN.findall((ROOT / lock).read_text())}


def requirement_names(requirements: list[str]) -> set[str]:
    return {canonical(re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0]) for r in requirements}


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]


@pytest.mark.parametrize(
    ("lock", "required"),
    [
        ("requirements.lock", PROJECT["dependencies"]),
        (
            "requirements-test.lock",
            PROJECT["dependencies"] + EXTRAS["test"] + EXTRAS["bench"],
        ),
    ],
)
def test_the_lock_pins_every_dependency(lock: str, required: list[str]) -> None:
    missing = requirement_names(required) - set(pins(lock))
    assert not missing, f"{lock} lacks {sorted(missing)}: regenerate it (docs/operations.md §8)"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock"])
def test_every_pin_carries_its_hashes(lock: str) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
    unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
    assert unhashed == []


def test_the_image_and_the_tests_install_the_same_versions() -> None:
    runtime, test = pins("requirements.lock"), pins("requirements-test.lock")
    assert {name: test.get(name) for name in runtime} == runtime


def test_the_image_and_the_setup_install_from_the_locks() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    setup = (ROOT / "scripts" / "setup").read_text()
    assert "--require-hashes -r requirements-test.lock" in setup and "--no-deps -e ." in setup


def test_compose_passes_the_database_by_parts_and_requires_the_public_url() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "PACKTRACE_DATABASE_URL" not in compose
    for part in ("HOST", "PORT", "NAME", "USER", "PASSWORD"):
        assert f"PACKTRACE_DB_{part}:" in compose
    assert "PACKTRACE_PUBLIC_URL: ${PACKTRACE_PUBLIC_URL:?" in compose
    assert "http://127.0.0.1:8000/healthz" in compose
    assert '- "127.0.0.1:8000:8000"' in compose  # plain HTTP never beyond the host: the TLS proxy is in front
