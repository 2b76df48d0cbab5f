"""`packtrace demo`: build the demo province on the configured database (if it is empty), then serve it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.bootstrap import build_ledger
from api.cli_config import load_settings, refusals
from api.progress import progress_bar
from events.timestamps import CHINA_TZ
from ledger.append.head import utcnow
from ledger.store import registry
from ledger.usecases import registration

console = Console(stderr=True, soft_wrap=True)


def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    packs: Annotated[int, typer.Option(help="How many packs the province starts with")] = 2400,
    serve: Annotated[bool, typer.Option(help="Serve the province once it is built")] = True,
    tokens_file: Annotated[Path, typer.Option(help="Where to write each organisation's token")] = Path(
        "demo-tokens.json"
    ),
) -> None:
    """Build a realistic province (organisations of every role, packs along every lifecycle path) on the
    configured database — SQLite ./packtrace.db by default — and serve it. On a database that already
    holds the demo, the organisations get fresh tokens and the province is served as it is."""
    from api import demo as province

    # The one command that runs in development (placeholder secrets accepted): the demo is not a deployment.
    settings = load_settings(
        environment="development", public_url=os.environ.get("PACKTRACE_PUBLIC_URL", f"http://{host}:{port}")
    )
    now = datetime.now(UTC)
    today = now.astimezone(CHINA_TZ).date()  # the story ends today, and nothing is recorded after now
    opened = province.scenario(today, now).start - timedelta(days=31)  # a new log starts before the story
    with refusals():
        ledger = build_ledger(settings, clock=lambda: opened)
    try:
        ledger.clock = utcnow  # the log is open: anything but the story is recorded now
        with ledger.engine.connect() as conn:
            empty = registry.org_count(conn) == 0  # a new log holds its key's registry entry, no organisation
        if empty:
            console.print(f"building the demo province on {settings.database_url}, ending {today} …")
            with progress_bar(console, "events") as bar:
                built = province.build(
                    ledger,
                    packs=packs,
                    sealing_key=ledger.sealing_key,  # the secret checked against the log at start
                    progress=bar,
                    ends=today,
                    until=now,
                )
            tokens = built.tokens
            paths = {path: len(codes) for path, codes in built.paths.items()}
            console.print(f"{built.packs} packs, {built.entries} entries; paths: {paths}")
        else:
            with ledger.engine.begin() as conn:
                orgs = registry.list_orgs(conn)
                tokens = {org.id: registration.rotate_token(conn, org.id) for org in orgs}
            console.print(f"the database already holds {ledger.size()} entries: serving it with fresh tokens")
    finally:
        ledger.close()
        ledger.engine.dispose()

    tokens_file.write_text(json.dumps(tokens, indent=2, ensure_ascii=False))
    os.chmod(tokens_file, 0o600)
    base = settings.public_url
    table = Table(title=f"organisations and their API tokens (also in {tokens_file})")
    table.add_column("organisation")
    table.add_column("token")
    for org_id, token in tokens.items():
        table.add_row(org_id, token)
    out = Console(soft_wrap=True)
    out.print(table)
    out.print(f"API docs:            {base}/docs")
    out.print(f"regulator workspace: {base}/regulator   (log in with the fj-miit token)")
    out.print(f"scan page:           {base}/scan        (log in with a collector's or recycler's token)")
    out.print(f"log checkpoint:      {base}/v1/log/checkpoint")
    if serve:
        import uvicorn

        from api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port)
