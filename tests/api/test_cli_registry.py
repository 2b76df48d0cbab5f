"""The registry's commands (issue 13): `packtrace orgs update`, `keys add/revoke --sign-with` over HTTP, and
`packtrace watch-org`, the monitor an organisation runs from cron."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.client import PacktraceClient
from api.settings import Settings
from tests.api.served import cli_environment, served

pytestmark = pytest.mark.served

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cli_environment(tmp_path, database_url, monkeypatch)


@pytest.fixture
def server(env: Path) -> Iterator[str]:
    with served(create_app(Settings())) as url:
        yield url


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    exit_code, out, err = run(*args)
    assert exit_code == 0, err
    return out


def catl_with_a_key(env: Path) -> tuple[str, Path, str]:
    """catl registered with its first key `catl/1` (keygen, then the administrator): (token, key file, public key)."""
    token = ok("orgs", "create", "catl", "--name", "宁德时代", "--role", "manufacturer", "--maker-code", "001").strip()
    key_file = env / "catl-1.key"
    public = ok("keygen", str(key_file)).strip()
    ok("keys", "add", "catl", "catl/1", public)
    return token, key_file, public


def test_orgs_update_changes_an_organisation_and_refuses_an_incomplete_whitelist_change(env: Path) -> None:
    ok("orgs", "create", "gem", "--name", "格林美", "--role", "recycler", "--whitelisted")

    exit_code, _, err = run(
        "orgs", "update", "gem", "--name", "格林美股份", "--role", "recycler", "--role", "collector",
        "--region", "350000", "--not-whitelisted", "--effective", "2026-06-01", "--reference", "工信部公告2026年第12号",
    )  # fmt: skip

    assert exit_code == 0, err
    assert err == (
        "changed gem: 格林美股份 (collector, recycler); codes -; region 350000; not on the 规范条件 list today\n"
    )
    assert "格林美股份" in ok("orgs", "list")
    incomplete = run("orgs", "update", "gem", "--whitelisted")
    assert incomplete[0] == 1
    assert incomplete[2] == (
        "whitelist_needs_date_and_reference: a 规范条件 change needs `effective` (the date it takes effect) and "
        "`reference` (e.g. the MIIT announcement number)（规范条件变更须注明生效日期和依据文号）\n"
    )
    assert run("orgs", "update", "nobody", "--name", "x")[2] == "unknown_org: unknown organisation 'nobody'\n"
    bad_day = run("orgs", "update", "gem", "--whitelisted", "--effective", "1 June", "--reference", "x")
    assert bad_day[0] == 2 and "1 June" in bad_day[2]


def test_keys_add_with_sign_with_registers_a_later_key_signed_by_the_current_one(env: Path, server: str) -> None:
    token, key_file, _ = catl_with_a_key(env)
    later = ok("keygen", str(env / "catl-2.key")).strip()
    over_http = ["--sign-with", str(key_file), "--signing-key", "catl/1", "--token", token, "--url", server]

    exit_code, _, err = run("keys", "add", "catl", "catl/2", later, *over_http)

    assert exit_code == 0, err
    assert err.startswith("registered catl/2 for catl by a claim signed with catl/1: log entry ")
    with PacktraceClient(server, token=token) as api:
        keys = {k["key_id"]: k for k in api.list_keys("catl")}
        assert keys["catl/2"]["public_key"] == later and keys["catl/2"]["revoked_at"] is None
        assert api.org_history("catl")[-1]["entry"]["claim"]["by"] == "signature"
    forged = run("keys", "add", "catl", "catl/3", later, "--sign-with", str(env / "catl-2.key"), *over_http[2:])
    assert forged[0] == 1
    assert forged[2].startswith("bad_signature (HTTP 403 from http://127.0.0.1:")
    assert forged[2].endswith("the signature does not verify with key 'catl/1'\n")
    revoked = run("keys", "revoke", "catl", "catl/2", *over_http)
    assert revoked[0] == 0 and revoked[2].startswith("revoked catl/2 of catl by a claim signed with catl/1: log entry ")
    mixed = run("keys", "add", "catl", "catl/4", later, "--sign-with", str(key_file), "--token", token)
    assert mixed == (2, "", "--sign-with goes with --signing-key and --token (and --url), not --database-url\n")


def test_watch_org_catches_a_key_the_administrator_added_that_the_organisation_did_not_list(
    env: Path, server: str
) -> None:
    """Acceptance 5 of issue 13: whoever holds the admin token (or runs the database) can add a key in an
    organisation's name; the log shows it, and the organisation's monitor says so."""
    token, _, public = catl_with_a_key(env)
    known = env / "known-keys.txt"
    known.write_text(f"# catl's keys\ncatl/1 {public}\n")
    watch = ["watch-org", "catl", "--known-keys", str(known), "--token", token, "--url", server]
    exit_code, out, err = run(*watch)
    assert (exit_code, err) == (0, ""), err
    assert out == f"OK: catl: 1 key in the log, each in {known} (registry entries through index 2)\n"

    extra = ok("keygen", str(env / "operator.key")).strip()
    ok("keys", "add", "catl", "catl/extra", extra)  # the administrator, on the database
    exit_code, out, err = run(*watch)

    assert exit_code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith(f"UNEXPECTED KEY catl/extra (public key {extra}) added by log entry 3 at 20")
    assert lines[0].endswith(", authorised by the platform administrator's token（平台管理员）")
    assert lines[1:] == [f"FAILED: catl: 1 of 2 keys in the log are not in {known}（日志中有本企业未知的密钥）"]


def test_watch_org_exits_2_when_it_cannot_check(env: Path, server: str) -> None:
    token, _, public = catl_with_a_key(env)
    known = env / "known-keys.txt"
    known.write_text(public + "\n")
    assert run("watch-org", "catl", "--known-keys", str(known), "--token", token, "--url", server)[0] == 0

    bad_token = run("watch-org", "catl", "--known-keys", str(known), "--token", "pt_catl_wrong", "--url", server)
    assert bad_token[0] == 2 and bad_token[1] == ""
    assert bad_token[2].startswith(f"invalid_token (HTTP 401 from {server}): ")
    unreachable = run("watch-org", "catl", "--known-keys", str(known), "--token", token, "--url", "http://127.0.0.1:9")
    assert unreachable[0] == 2 and unreachable[2].startswith("cannot reach http://127.0.0.1:9（无法连接服务器）: ")
    assert "Traceback" not in unreachable[2]
    other = run("watch-org", "nobody", "--known-keys", str(known), "--token", token, "--url", server)
    assert other[0] == 2 and other[2].startswith(f"forbidden (HTTP 403 from {server}): only 'nobody' itself")
    missing = run("watch-org", "catl", "--known-keys", str(env / "none.txt"), "--token", token, "--url", server)
    assert missing == (2, "", f"{env / 'none.txt'}: No such file or directory\n")
    known.write_text("catl/1 not-a-key\n")
    garbled = run("watch-org", "catl", "--known-keys", str(known), "--token", token, "--url", server)
    assert garbled[0] == 2 and "line 1: 'not-a-key' is neither a key id" in garbled[2]
