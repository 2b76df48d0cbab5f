"""Every example of docs/integration.md runs (issue 19: followed literally, the guide's example pack did not
exist and the keys it described answered 405).

How (docs/integration.md says the same at its top): the `sh` and `python` blocks of each `## ` section are
joined, in order, into one bash script (a `python` block runs as `python3 - <<'PY'`, so shell variables
carry from block to block within a section) and run in a fresh working directory against a server on
127.0.0.1 over a fresh province built for that section (SECTIONS below). In the script
`https://packtrace.example` is the server's address; `PACKTRACE_TOKEN` and `TOKEN` hold `catl`'s token;
`packtrace` is `python -m api.cli` of this checkout; `curl` is `curl --fail-with-body -sS`, so an HTTP error
fails the script (`set -euo pipefail`). Every `json` block must parse as JSON. A section with runnable
blocks and no entry in SECTIONS fails, so a new example cannot go untested.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from api.client import PacktraceClient, Signer
from api.settings import Settings
from events.codes import make_code
from ledger.format import note
from tests.api.served import served

pytestmark = pytest.mark.served

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "integration.md"
BASE_URL = "https://packtrace.example"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
RUNNABLE = ("sh", "python")
PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}
RETIRED_PACKS = 501  # one more than the example's page of 500: its cursor loop reads two pages

runner = CliRunner()


@dataclass(frozen=True)
class Block:
    section: str
    line: int
    lang: str
    text: str


def blocks() -> list[Block]:
    text = DOC.read_text(encoding="utf-8")
    found: list[Block] = []
    for match in BLOCK.finditer(text):
        before = text[: match.start()]
        headings = re.findall(r"^## (.+)$", before, flags=re.MULTILINE)
        section = headings[-1] if headings else ""
        found.append(Block(section, before.count("\n") + 1, match.group(1), match.group(2)))
    return found


def cli(*args: str) -> str:
    """The packtrace CLI on the province's database (the administrator's commands)."""
    result = runner.invoke(cli_app, list(args))
    assert result.exit_code == 0, (args, result.stderr, result.exception)
    return result.stdout


@dataclass
class Province:
    """A fresh province for one section: `catl` (manufacturer, maker code 001) and `byd-auto` (automaker)."""

    dir: Path
    token: str
    url: str = ""
    env: dict[str, str] = field(default_factory=dict)  # more variables for the section's script
    public_at_server: bool = False  # the server's public URL is its own address (EPCs, Link headers)

    def register_key(self) -> Signer:
        """catl's key catl/2026-1, registered, its private key in catl-2026-1.key of the working directory."""
        public = cli("keygen", str(self.dir / "catl-2026-1.key")).strip()
        cli("keys", "add", "catl", "catl/2026-1", public)
        return Signer.from_key_file(self.dir / "catl-2026-1.key", actor="catl", key_id="catl/2026-1")


def no_keys(province: Province) -> None:
    """§1 registers catl's first key itself."""


def with_key(province: Province) -> None:
    province.register_key()


def retired_packs(province: Province) -> None:
    """catl's key and RETIRED_PACKS packs produced and retired by catl (seeded once the server is up)."""
    province.register_key()


def seed_retired(province: Province) -> None:
    signer = Signer.from_key_file(province.dir / "catl-2026-1.key", actor="catl", key_id="catl/2026-1")
    made = datetime(2026, 11, 20, 8, tzinfo=UTC)
    codes = [make_code("001", "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), n) for n in range(1, RETIRED_PACKS + 1)]
    events = [signer.sign(code, "produced", PRODUCED, at=made) for code in codes]
    events += [signer.sign(code, "retired", {"reason": "damaged"}, at=made + timedelta(days=1)) for code in codes]
    with PacktraceClient(province.url, token=province.token) as api:
        for _ in api.post_batches(events, size=1_000):
            pass


def epcis_province(province: Province) -> None:
    """catl's key, a regulator whose token is REGULATOR_TOKEN, and the server's public URL its own (the EPCs
    and the query's Link headers name it)."""
    province.register_key()
    province.env["REGULATOR_TOKEN"] = cli(
        "orgs", "create", "fj-miit", "--name", "福建省工信厅", "--role", "regulator"
    ).strip()
    province.public_at_server = True


EPCIS_PACKS = [make_code("001", "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), n) for n in (1, 2, 3)]


def seed_epcis(province: Province) -> None:
    """Three packs produced by catl, the first shipped to byd-auto."""
    signer = Signer.from_key_file(province.dir / "catl-2026-1.key", actor="catl", key_id="catl/2026-1")
    made = datetime(2026, 11, 20, 8, tzinfo=UTC)
    events = [
        signer.sign(code, "produced", PRODUCED, at=made + timedelta(minutes=n)) for n, code in enumerate(EPCIS_PACKS)
    ]
    events.append(signer.sign(EPCIS_PACKS[0], "shipped", {"to": "byd-auto"}, at=made + timedelta(days=1)))
    with PacktraceClient(province.url, token=province.token) as api:
        for _ in api.post_batches(events, size=1_000):
            pass


def seed_shipped(province: Province) -> None:
    """§2's pack: produced by catl and shipped to byd-auto (in transit, catl still its custodian)."""
    signer = Signer.from_key_file(province.dir / "catl-2026-1.key", actor="catl", key_id="catl/2026-1")
    made = datetime(2026, 11, 20, 8, tzinfo=UTC)
    with PacktraceClient(province.url, token=province.token) as api:
        api.post_event(signer.sign(PASSPORT_PACK, "produced", PRODUCED, at=made))
        api.post_event(signer.sign(PASSPORT_PACK, "shipped", {"to": "byd-auto"}, at=made + timedelta(minutes=30)))


PASSPORT_PACK = "001PB12ABCDEFGG1F0000001"

# section heading -> (what the province holds before the server starts, what is posted once it runs,
# what the section's output must show)
SECTIONS: dict[str, tuple[Callable[[Province], None], Callable[[Province], None] | None, list[str]]] = {
    "1. Tokens and keys": (no_keys, None, ["OK: catl: 2 keys in the log"]),
    "2. Signing a claim": (with_key, None, []),
    "4. Idempotency and concurrency": (
        with_key,
        None,
        ["OK: 2 recorded, 0 already recorded, 0 refused", "OK: 0 recorded, 2 already recorded, 0 refused"],
    ),
    "6. Listing packs and pagination": (retired_packs, seed_retired, [f"{RETIRED_PACKS}\n"]),
    "15. GS1 EPCIS 2.0": (
        epcis_province,
        seed_epcis,
        [f"OK: 3 commissioning events on 2 pages: {', '.join(EPCIS_PACKS)}", "403 epcisException:SecurityException"],
    ),
    "14. The battery passport": (
        with_key,
        seed_shipped,
        [
            "tier public complete False missing 120\n",
            "warranty {'lifeUnit': 'unit:year', 'lifeValue': 8}\n",
            "carbon footprint 4500 kg CO2e\n",  # canonical JSON (RFC 8785) writes 4500.0 as 4500
            "422 invalid_payload invalid 'passport' payload: data.attributes.operation.manufacturer.manufacturer: "
            'not a valid BpnlTrait ("CATL" does not match "^BPNL[a-zA-Z0-9]{12}$")\n'
            "422 invalid_payload invalid 'passport' payload: data.attributes.performance.rated.energy: filled by "
            "the platform from the 'produced' entry; a claim cannot post it\n",
        ],
    ),
    "16. Between platforms (federation)": (
        with_key,
        None,
        [
            "transferred\n",
            "OK: handover of 001PB12ABCDEFGG1F0000016 to hb-recycler on hb.packtrace.example/log verified\n",
            "2 entries, the transfer at index ",
        ],
    ),
}
# the environment of a section's server beyond the province's: §16's peer platform (docs/federation.md)
PEER_KEY = note.verifier_key("hb.packtrace.example/log", Ed25519PrivateKey.generate().public_key())
SECTION_ENV: dict[str, dict[str, str]] = {
    "16. Between platforms (federation)": {"PACKTRACE_PEERS": f"{PEER_KEY}=https://packtrace.hb.example"},
}


def script(section: list[Block]) -> str:
    """The bash script of a section's runnable blocks (see the module's doc)."""
    python = sys.executable
    lines = [
        "set -euo pipefail",
        f'packtrace() {{ "{python}" -m api.cli "$@"; }}',
        'curl() { command curl --fail-with-body -sS "$@"; echo; }',
    ]
    for block in section:
        body = block.text.replace(BASE_URL, "$PACKTRACE_URL")
        lines.append(f'echo "== docs/integration.md line {block.line} ({block.lang})" >&2')
        if block.lang == "python":
            body = block.text.replace(f'"{BASE_URL}"', 'os.environ["PACKTRACE_URL"]')
            lines += ["python3 - <<'PY'", "import os", body.rstrip("\n"), "PY"]
        else:
            lines.append(body.rstrip("\n"))
    return "\n".join(lines) + "\n"


def runnable_sections() -> dict[str, list[Block]]:
    sections: dict[str, list[Block]] = {}
    for block in blocks():
        if block.lang in RUNNABLE:
            sections.setdefault(block.section, []).append(block)
    return sections


@pytest.fixture
def province_env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Province]:
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", "docs.test/log")
    monkeypatch.delenv("PACKTRACE_ADMIN_TOKEN", raising=False)
    token = cli("orgs", "create", "catl", "--name", "宁德时代", "--role", "manufacturer", "--maker-code", "001")
    cli("orgs", "create", "byd-auto", "--name", "比亚迪汽车", "--role", "automaker")
    work = tmp_path / "work"
    work.mkdir()
    yield Province(work, token.strip())


def test_every_section_with_examples_has_a_province() -> None:
    assert set(runnable_sections()) == set(SECTIONS)


@contextmanager
def running(section: str, province: Province) -> Iterator[subprocess.CompletedProcess[str]]:
    """The section's script run against a fresh server over `province` (still serving in the block)."""
    prepare, seed, _ = SECTIONS[section]
    prepare(province)
    with pytest.MonkeyPatch.context() as env_of_section:
        for name, value in SECTION_ENV.get(section, {}).items():
            env_of_section.setenv(name, value)
        settings = Settings()
    app = create_app(settings)
    with served(app) as url:
        province.url = url
        if province.public_at_server:
            app.state.settings = app.state.settings.model_copy(update={"public_url": url})
        if seed is not None:
            seed(province)
        env = {
            **os.environ,
            "PACKTRACE_URL": url,
            "PACKTRACE_TOKEN": province.token,
            "TOKEN": province.token,
            "PYTHONPATH": str(REPO),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **province.env,
        }
        yield subprocess.run(
            ["bash", "-c", script(runnable_sections()[section])],
            cwd=province.dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.mark.parametrize("section", list(SECTIONS))
def test_the_examples_of_the_section_run(section: str, province_env: Province) -> None:
    with running(section, province_env) as ran:
        assert ran.returncode == 0, f"{section}:\n{ran.stdout}\n{ran.stderr}"
    for text in SECTIONS[section][2]:
        assert text in ran.stdout, ran.stdout


def test_the_example_pack_exists_after_section_2(province_env: Province) -> None:
    """The issue's complaint: followed literally, the guide posted to a pack nobody produced (404)."""
    with running("2. Signing a claim", province_env) as ran:
        assert ran.returncode == 0, ran.stderr
        with PacktraceClient(province_env.url, token=province_env.token) as api:
            pack = api.pack("001PB12ABCDEFGG1F0000001")
    assert (pack["status"], pack["custodian"], pack["receiver"]) == ("in_transit", "catl", "byd-auto")


@pytest.mark.parametrize("block", [b for b in blocks() if b.lang == "json"], ids=lambda b: f"line{b.line}")
def test_every_json_block_parses(block: Block) -> None:
    json.loads(block.text)


def test_the_python_blocks_are_formatted() -> None:
    """`ruff format --check` reads the Python blocks of Markdown files too."""
    checked = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", str(DOC)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
