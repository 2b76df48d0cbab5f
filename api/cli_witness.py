"""`packtrace witness …`: run a C2SP tlog-witness for one or more logs (docs/ledger-format.md,
"Witnesses"). Messages: Simplified Chinese with English."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from events.errors import PacktraceError

witness_app = typer.Typer(
    help="A witness: cosign a log's checkpoints only if they are consistent.", no_args_is_help=True
)
console = Console(stderr=True, soft_wrap=True)


@witness_app.command("init")
def init(
    state: Annotated[Path, typer.Option(help="The witness's directory: its key, name and the heads it holds")],
    name: Annotated[str, typer.Option(help="The witness's key name, e.g. witness.example.org/gxt")],
) -> None:
    """Make the witness's key in STATE (mode 0600) and print its verifier key (C2SP cosignature/v1 form)."""
    from api.witness import KEY_FILE, init_state

    try:
        identity = init_state(state, name)
    except FileExistsError:
        console.print(f"[red]已存在 exists[/red]: {escape(str(state / KEY_FILE))}; refusing to replace a witness key")
        raise typer.Exit(1) from None
    except PacktraceError as exc:
        console.print(f"[red]名称无效 invalid name[/red]: {escape(exc.message)}")
        raise typer.Exit(1) from None
    console.print(f"见证者已创建 witness created in {escape(str(state))}; give logs its verifier key:")
    typer.echo(identity.verifier_key)


@witness_app.command("serve")
def serve(
    state: Annotated[Path, typer.Option(help="The directory `packtrace witness init` made")],
    log: Annotated[list[str], typer.Option(help="A log's verifier key (C2SP form, name = origin); repeat for more")],
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8080,
) -> None:
    """Serve POST /add-checkpoint (C2SP tlog-witness) for the logs given by --log."""
    import uvicorn

    from api.witness import Witness, create_witness_app, load_identity
    from api.witness_store import HeadStore
    from ledger.format.witnessing import trusted_logs

    try:
        identity = load_identity(state)
    except FileNotFoundError:
        console.print(
            f"[red]未初始化 not initialised[/red]: run `packtrace witness init --state {escape(str(state))}` first"
        )
        raise typer.Exit(1) from None
    try:
        logs = trusted_logs(log)
    except PacktraceError as exc:
        console.print(f"[red]日志公钥无效 invalid log key[/red]: {escape(exc.message)}")
        raise typer.Exit(1) from None
    console.print(f"见证者 witness {escape(identity.verifier_key)} serving {', '.join(escape(o) for o in logs)}")
    app = create_witness_app(Witness(identity, logs, HeadStore(state)))
    uvicorn.run(app, host=host, port=port, log_level="warning")
