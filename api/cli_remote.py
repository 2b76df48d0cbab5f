"""Commands that talk to a packtrace server over HTTP (the Python client, api/client.py): the server's
refusal or an unreachable server ends the command with one readable line and an exit status, never a
traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from api.cli_config import load_settings
from api.cli_errors import token_hint, url_hint
from api.client import ApiError, PacktraceClient

console = Console(stderr=True, soft_wrap=True)

Url = Annotated[str | None, typer.Option(help="API base URL (default: PACKTRACE_PUBLIC_URL)")]
Token = Annotated[str, typer.Option(help="Your organisation's API token", envvar="PACKTRACE_TOKEN")]


@contextmanager
def server(url: str | None, token: str, *, failure: int = 1) -> Iterator[PacktraceClient]:
    """A client of the server at `url`; a refusal, a network error or an answer that is not the API's
    exits with status `failure`."""
    base = url or load_settings().public_url
    try:
        with PacktraceClient(base, token=token, timeout=30.0) as api:
            yield api
    except ApiError as exc:
        console.print(
            f"[red]{exc.code}[/red] (HTTP {exc.status} from {escape(base)}): {escape(exc.detail)}{token_hint(exc)}"
        )
        raise typer.Exit(failure) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        console.print(
            f"[red]cannot reach {escape(base)}[/red]（无法连接服务器）: {escape(str(exc) or type(exc).__name__)}; "
            f"{url_hint(url is not None)}"
        )
        raise typer.Exit(failure) from None
    except (ValueError, KeyError, TypeError) as exc:  # a 2xx answer that is not the API's JSON
        console.print(f"[red]{escape(base)} did not answer as a packtrace server[/red]: {escape(str(exc))}")
        raise typer.Exit(failure) from None
