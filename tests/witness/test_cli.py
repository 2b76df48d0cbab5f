"""`packtrace witness init` and `serve`: the key file, the printed verifier key, the refusals."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app as cli
from api.witness import load_identity
from ledger.format import cosignature

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_init_makes_a_private_key_and_prints_the_cosigner_verifier_key(tmp_path: Path) -> None:
    code, out, err = run("witness", "init", "--state", str(tmp_path / "w"), "--name", "witness.example.org/gxt")
    assert code == 0, err
    assert stat.S_IMODE((tmp_path / "w" / "witness.key").stat().st_mode) == 0o600
    identity = load_identity(tmp_path / "w")
    assert out == identity.verifier_key + "\n"
    parsed = cosignature.parse_verifier_key(out.strip())  # type 0x04, key id matching name and key
    assert parsed.name == "witness.example.org/gxt"
    assert err.startswith(f"见证者已创建 witness created in {tmp_path / 'w'}; give logs its verifier key:")


def test_init_refuses_to_replace_a_witness_key(tmp_path: Path) -> None:
    run("witness", "init", "--state", str(tmp_path), "--name", "w.example/1")
    before = (tmp_path / "witness.key").read_bytes()
    code, out, err = run("witness", "init", "--state", str(tmp_path), "--name", "w.example/2")
    assert (code, out) == (1, "")
    assert err == f"已存在 exists: {tmp_path / 'witness.key'}; refusing to replace a witness key\n"
    assert (tmp_path / "witness.key").read_bytes() == before


def test_init_refuses_a_name_with_a_space(tmp_path: Path) -> None:
    code, _, err = run("witness", "init", "--state", str(tmp_path), "--name", "my witness")
    assert code == 1
    assert err == "名称无效 invalid name: key name 'my witness' contains a space or '+'\n"
    assert not (tmp_path / "witness.key").exists()


def test_serve_refuses_an_uninitialised_state(tmp_path: Path) -> None:
    code, _, err = run("witness", "serve", "--state", str(tmp_path), "--log", "x")
    assert code == 1
    assert err == f"未初始化 not initialised: run `packtrace witness init --state {tmp_path}` first\n"


def test_serve_refuses_a_bad_log_key(tmp_path: Path) -> None:
    run("witness", "init", "--state", str(tmp_path), "--name", "w.example/1")
    code, _, err = run("witness", "serve", "--state", str(tmp_path), "--log", "log.example+0000")
    assert code == 1
    assert err == "日志公钥无效 invalid log key: verifier key must be <name>+<key id>+<key>, found 2 fields\n"
