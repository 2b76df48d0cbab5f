"""Issue 19: every user error of the command line ends in one line on stderr and exit status 1, never a
traceback (api/cli_errors.py catches what a command did not handle, at the CLI's entry): a forgotten --url,
an unreachable server, a refused token, a bad key file, a file that cannot be read, no database, a database
that cannot be used; and no command but those that make a platform creates a database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import api.cli
import api.cli_calendar
import api.cli_tiles
from api.app import create_app
from api.cli import app as cli
from api.cli_errors import describe
from api.settings import Settings
from tests.api.scenario import code
from tests.api.served import cli_environment, served
from tests.api.test_cli import MAKER_ROW, make_maker, write_jsonl

pytestmark = pytest.mark.served

runner = CliRunner()
CALENDAR_2027 = Path(__file__).resolve().parents[1] / "data" / "calendar-2027-test.json"
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there
REFUSED = "[Errno 111] Connection refused"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback would have reached the user
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return cli_environment(tmp_path, database_url, monkeypatch)


@pytest.fixture
def server(env: Path) -> Iterator[str]:
    with served(create_app(Settings())) as url:
        yield url


@pytest.fixture
def submission(env: Path) -> list[str]:
    """`packtrace submit` of one good row by a manufacturer with its key (no --url, no --token yet)."""
    token, key_file = make_maker(env)
    rows = write_jsonl(env / "events.jsonl", [{"pack": code(1), "type": "produced", "at": "2026-03-02T01:00:00Z",
                                               "data": MAKER_ROW}])  # fmt: skip
    (env / "token").write_text(token)
    return ["submit", str(rows), "--actor", "catl", "--key-id", "catl/1", "--key-file", key_file]


def token_of(env: Path) -> str:
    return (env / "token").read_text()


def test_a_forgotten_url_says_which_address_was_tried_and_what_to_give(
    env: Path, submission: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", NOWHERE)
    assert run(*submission, "--token", token_of(env)) == (
        1,
        "",
        f"cannot reach {NOWHERE}（无法连接服务器）: {REFUSED}; no --url given, so PACKTRACE_PUBLIC_URL or its "
        "default was used: give --url\n",
    )


def test_an_unreachable_server_names_it(env: Path, submission: list[str]) -> None:
    assert run(*submission, "--token", token_of(env), "--url", NOWHERE) == (
        1,
        "",
        f"cannot reach {NOWHERE}（无法连接服务器）: {REFUSED}; check --url\n",
    )


def test_an_address_that_is_no_server_address(env: Path, submission: list[str]) -> None:
    assert run(*submission, "--token", token_of(env), "--url", "ftp://files.example") == (
        1,
        "",
        "not a server address（服务器地址无效）: Request URL has an unsupported protocol 'ftp://'.; give --url "
        "http(s)://host[:port]\n",
    )


def test_a_refused_token(env: Path, submission: list[str], server: str) -> None:
    exit_code, out, err = run(*submission, "--token", "pt_catl_wrong", "--url", server)
    assert (exit_code, out) == (1, "")
    assert err.startswith("invalid_token (HTTP 401): ") and err.count("\n") == 1
    assert err.endswith("; the server refused the token（令牌无效）: check --token or PACKTRACE_TOKEN\n")


def test_a_key_file_that_is_not_a_key(env: Path, submission: list[str], server: str) -> None:
    not_a_key = env / "events.jsonl"
    args = [str(not_a_key) if a.endswith(".key") else a for a in submission]
    assert run(*args, "--token", token_of(env), "--url", server) == (
        1,
        "",
        f"bad key file（私钥文件无效）: {not_a_key} is not a private key in PEM, as `packtrace keygen` writes it\n",
    )


def test_a_key_file_that_is_a_directory(env: Path, submission: list[str], server: str) -> None:
    args = [str(env) if a.endswith(".key") else a for a in submission]
    assert run(*args, "--token", token_of(env), "--url", server) == (
        1,
        "",
        f"{env}: Is a directory（无法读取或写入文件）\n",
    )


@pytest.mark.parametrize(
    "command",
    [
        ["verify"],
        ["export", "out.jsonl"],
        ["export-tiles", "tiles"],
        ["orgs", "list"],
        ["orgs", "rotate-token", "catl"],
        ["keys", "list", "catl"],
        ["calendar", "show", "2027"],
        ["log", "commit-heads"],
    ],
)
def test_no_database_is_said_and_none_is_created(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run outside a platform's directory, a command says so instead of making an empty database and keys."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PACKTRACE_DATABASE_URL", raising=False)
    for name in ("LOG_KEY_FILE", "SEALING_KEY_FILE", "LOG_ORIGIN"):
        monkeypatch.delenv(f"PACKTRACE_{name}", raising=False)
    assert run(*command) == (
        1,
        "",
        f"configuration refused: no database at {tmp_path / 'packtrace.db'}; run it where the platform's database "
        "is, or pass --database-url or set PACKTRACE_DATABASE_URL (nothing was created)\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "postgresql+psycopg://nobody@127.0.0.1:9/packtrace",
            'connection failed: connection to server at "127.0.0.1", port 9 failed: Connection refused',
        ),
        ("nonsense", "Could not parse SQLAlchemy URL from given URL string"),
        ("sqlite:///{tmp}/garbage.db", "file is not a database"),
    ],
)
def test_a_database_that_cannot_be_used(url: str, problem: str, tmp_path: Path) -> None:
    (tmp_path / "garbage.db").write_bytes(b"not a database, " * 100)
    assert run("verify", "--database-url", url.format(tmp=tmp_path)) == (
        1,
        "",
        f"cannot use the database（无法使用数据库）: {problem}; check --database-url or PACKTRACE_DATABASE_URL\n",
    )


def test_an_error_no_command_expected_is_one_line_and_debug_shows_it(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("tile writer broke\nsecond line")

    monkeypatch.setattr(api.cli_tiles, "_write", broken)
    assert run("orgs", "create", "catl", "--name", "宁德时代", "--role", "manufacturer")[0] == 0
    assert run("export-tiles", str(env / "tiles")) == (
        1,
        "",
        "internal error（内部错误）: RuntimeError: tile writer broke (PACKTRACE_DEBUG=1 shows where)\n",
    )
    monkeypatch.setenv("PACKTRACE_DEBUG", "1")
    result = runner.invoke(cli, ["export-tiles", str(env / "tiles")])
    assert isinstance(result.exception, RuntimeError)


def test_usage_errors_stay_the_parser_s(env: Path) -> None:
    """A missing argument or file is a usage error (status 2), said by the parser, not caught as an error."""
    exit_code, out, err = run("submit", str(env / "none.csv"), "--actor", "a", "--key-id", "a/1", "--key-file",
                              str(env / "none.key"), "--token", "t")  # fmt: skip
    assert (exit_code, out) == (2, "") and "does not exist" in err and "Traceback" not in err


def test_describe_reads_each_kind() -> None:
    assert (
        describe(ValueError("the year must be a number")) == "[red]refused（已拒绝）[/red]: the year must be a number"
    )
    assert describe(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")) == (
        "[red]not UTF-8 text（不是 UTF-8 文本）[/red]: invalid byte at offset 0"
    )


def test_orgs_create_makes_the_platform(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`orgs create` is a platform's first step: it makes the database the settings name."""
    database = tmp_path / "new.db"
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", f"sqlite:///{database}")
    assert run("orgs", "create", "catl", "--name", "宁德时代", "--role", "manufacturer")[0] == 0
    assert database.exists()


class Recorder:
    """Stands in for api.progress.progress_bar: what each long command reported."""

    def __init__(self) -> None:
        self.bars: list[dict[str, Any]] = []

    @contextmanager
    def __call__(self, _console: object, description: str, *, total: int | None = None, shown: bool = True) -> Any:
        bar: dict[str, Any] = {"description": description, "total": total, "done": 0}
        self.bars.append(bar)

        class Bar:
            def __call__(self, done: int, total: int) -> None:
                bar.update(done=done, total=total)

            def advance(self, steps: int) -> None:
                bar["done"] += steps

        yield Bar()


def test_the_long_commands_show_their_progress(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    for module in (api.cli, api.cli_tiles, api.cli_calendar):
        monkeypatch.setattr(module, "progress_bar", recorder)
    assert run("orgs", "create", "catl", "--name", "宁德时代", "--role", "manufacturer")[0] == 0
    assert run("export", str(env / "log.jsonl"))[0] == 0
    entries = len((env / "log.jsonl").read_text().splitlines())
    assert recorder.bars[-1] == {"description": "entries", "total": entries, "done": entries}
    assert run("export-tiles", str(env / "tiles"))[0] == 0
    files = sum(1 for p in (env / "tiles").rglob("*") if p.is_file())
    assert recorder.bars[-1] == {"description": "files", "total": None, "done": files}
    assert run("calendar", "import", str(CALENDAR_2027))[0] == 0
    assert recorder.bars[-1]["description"] == "recording, recounting deadlines（记录并重算期限）"


def test_a_refused_token_on_the_commands_that_ask_a_server(env: Path, server: str) -> None:
    """`watch-org` (exit 2 there: it could not check) says the same of a refused token, naming the server."""
    make_maker(env)
    known = env / "known-keys.txt"
    known.write_text("catl/1\n")
    exit_code, out, err = run("watch-org", "catl", "--known-keys", str(known), "--token", "pt_wrong", "--url", server)
    assert (exit_code, out) == (2, "") and err.startswith(f"invalid_token (HTTP 401 from {server}): ")
    assert err.endswith("; the server refused the token（令牌无效）: check --token or PACKTRACE_TOKEN\n")
    assert err.count("\n") == 1
