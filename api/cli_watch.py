"""`packtrace watch-org`: a monitor an organisation runs from cron, alerting when the log shows a key of
its own that it does not know (api/watch.py says what is checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from api.cli_remote import Token, Url, server
from api.watch import KnownKeysError, chain_problem, parse_known_keys, unexpected_keys

console = Console(stderr=True, soft_wrap=True)

OK, FOUND, CANNOT_CHECK = 0, 1, 2


def watch_org(
    org: Annotated[str, typer.Argument(help="The organisation to watch (yours)")],
    known_keys: Annotated[
        Path,
        typer.Option(
            help="Your keys, one a line: a key id (catl/2026-1), a base64 public key, or both; '#' comments",
            dir_okay=False,
        ),
    ],
    token: Token,
    url: Url = None,
) -> None:
    """Alert when the log shows a key of ORG that --known-keys does not list: exit 1 naming each such key,
    the registry entry that added it and who authorised it; exit 0 with one line when every key is known;
    exit 2 when the check cannot be made (server unreachable, token refused, unreadable file)."""
    try:
        known = parse_known_keys(known_keys.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError, KnownKeysError) as exc:
        console.print(f"[red]{escape(str(known_keys))}[/red]: {escape(getattr(exc, 'strerror', None) or str(exc))}")
        raise typer.Exit(CANNOT_CHECK) from None
    with server(url, token, failure=CANNOT_CHECK) as api:
        history = api.org_history(org)
        broken = chain_problem(history)
        found = unexpected_keys(history, known)
    if broken is not None:
        typer.echo(f"FAILED: the registry history of {org} does not chain（登记记录不连续）: {broken}")
        raise typer.Exit(FOUND)
    for key in found:
        typer.echo(key.describe())
    added = sum(1 for item in history if item["entry"]["claim"]["type"] == "key_added")
    last = history[-1]["index"] if history else None
    if found:
        typer.echo(
            f"FAILED: {org}: {len(found)} of {added} keys in the log are not in {known_keys}"
            "（日志中有本企业未知的密钥）"
        )
        raise typer.Exit(FOUND)
    keys = f"{added} key" if added == 1 else f"{added} keys"
    typer.echo(f"OK: {org}: {keys} in the log, each in {known_keys} (registry entries through index {last})")
