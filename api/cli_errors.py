"""The command line's user errors, caught once at its entry: whatever a command did not turn into its own
message ends in one line on stderr, in English with Chinese beside it like the CLI's other messages, and exit
status 1 — never a traceback (PACKTRACE_DEBUG=1 shows it, for a bug). Usage errors stay click's (status 2)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from api.client import ApiError, KeyFileError
from events.errors import PacktraceError
from ledger.usecases.keybinding import KeyBindingError

console = Console(stderr=True, soft_wrap=True)
FAILED = 1
URL_ENV = "PACKTRACE_PUBLIC_URL"
TOKEN_ENV = "PACKTRACE_TOKEN"


def describe(exc: BaseException, argv: Sequence[str] = ()) -> str:
    """The one line that tells a person what went wrong and what to do (rich markup, escaped)."""
    from ledger.store.db import database_problem

    if isinstance(exc, ApiError):
        return _api_error(exc)
    if isinstance(exc, KeyFileError):
        return f"[red]bad key file（私钥文件无效）[/red]: {escape(str(exc))}"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return (
            f"[red]not a server address（服务器地址无效）[/red]: {escape(str(exc))}; give --url http(s)://host[:port]"
        )
    if isinstance(exc, httpx.TransportError):
        return _unreachable(exc, argv)
    if isinstance(exc, PacktraceError):
        return f"[red]{escape(exc.code)}[/red]: {escape(exc.message)}"
    if isinstance(exc, ValidationError | KeyBindingError):
        return f"[red]configuration refused（配置被拒绝）[/red]: {escape(_first_line(exc))}"
    if (problem := database_problem(exc)) is not None:
        return (
            f"[red]cannot use the database（无法使用数据库）[/red]: {escape(problem)}; check --database-url or "
            "PACKTRACE_DATABASE_URL"
        )
    if isinstance(exc, UnicodeDecodeError):
        return f"[red]not UTF-8 text（不是 UTF-8 文本）[/red]: invalid byte at offset {exc.start}"
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else ""
        return f"[red]{escape(str(where))}[/red]: {escape(exc.strerror or type(exc).__name__)}（无法读取或写入文件）"
    if isinstance(exc, ValueError):
        return f"[red]refused（已拒绝）[/red]: {escape(_first_line(exc))}"
    return (
        f"[red]internal error（内部错误）[/red]: {type(exc).__name__}: {escape(_first_line(exc))} "
        "(PACKTRACE_DEBUG=1 shows where)"
    )


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _api_error(exc: ApiError) -> str:
    return f"[red]{escape(exc.code)}[/red] (HTTP {exc.status}): {escape(exc.detail)}{token_hint(exc)}"


def token_hint(exc: ApiError) -> str:
    """After a refusal of the token itself (HTTP 401), what to do about it."""
    return f"; the server refused the token（令牌无效）: check --token or {TOKEN_ENV}" if exc.status == 401 else ""


def _unreachable(exc: httpx.TransportError, argv: Sequence[str]) -> str:
    try:
        url = str(exc.request.url.copy_with(path="/", query=None)).rstrip("/")
    except RuntimeError:  # an error raised before a request was made
        url = "the server"
    given = any(arg == "--url" or arg.startswith("--url=") for arg in argv)
    reason = str(exc) or type(exc).__name__
    return f"[red]cannot reach {escape(url)}（无法连接服务器）[/red]: {escape(reason)}; {url_hint(given)}"


def url_hint(given: bool) -> str:
    """What to do about a server that does not answer: the address came from --url, or from the settings."""
    return "check --url" if given else f"no --url given, so {URL_ENV} or its default was used: give --url"


class CliGroup(TyperGroup):
    """The root command: its `invoke` runs every command, so an error none of them handled ends here. (Its
    context is typer's own click context, a private type: `Any` here.)"""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["packtrace.argv"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exits, usage errors: as typer has them
            raise
        except Exception as exc:
            if os.environ.get("PACKTRACE_DEBUG"):
                raise
            console.print(describe(exc, ctx.meta.get("packtrace.argv", ())), highlight=False)
            raise typer.Exit(FAILED) from None
