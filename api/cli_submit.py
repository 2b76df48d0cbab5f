"""`packtrace submit`: sign the rows of a CSV or JSONL file and post them in batches (api.submit)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from api.cli_config import load_settings
from api.progress import progress_bar
from api.submit import ROW_FORMAT_HELP

console = Console(stderr=True, soft_wrap=True)
SHOWN_REFUSALS = 20  # refusals printed; the refused-rows file has them all


def submit(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file of events", exists=True, dir_okay=False)],
    actor: Annotated[str, typer.Option(help="Your organisation id")],
    key_id: Annotated[str, typer.Option(help="Id of your registered signing key")],
    key_file: Annotated[Path, typer.Option(help="Your private key (PEM, as keygen writes it)", exists=True)],
    token: Annotated[str, typer.Option(help="Your organisation's API token", envvar="PACKTRACE_TOKEN")],
    url: Annotated[str | None, typer.Option(help="API base URL (default: PACKTRACE_PUBLIC_URL)")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Events per atomic batch")] = 1_000,
    refused_file: Annotated[
        Path | None, typer.Option(help="Where to write the refused rows (default: FILE.refused with FILE's suffix)")
    ] = None,
    legacy_ids: Annotated[
        bool,
        typer.Option(
            help="Derive claim ids from the file name and row number, as packtrace submit did before issue 19: "
            "only to finish a file that such a version began posting"
        ),
    ] = False,
) -> None:
    import httpx

    from api.client import ApiError, PacktraceClient, Signer
    from api.submit import FileError, Stopped, poster, submit_file

    signer = Signer.from_key_file(key_file, actor=actor, key_id=key_id)
    base = url or load_settings().public_url
    with (
        PacktraceClient(base, token=token) as api,
        progress_bar(console, "posting", total=None, shown=sys.stderr.isatty()) as bar,
    ):
        try:
            summary, written = submit_file(
                file,
                signer,
                poster(api),
                batch_size=batch_size,
                refused_file=refused_file,
                on_progress=bar,
                legacy_ids=legacy_ids,
            )
        except FileError as exc:
            bar.stop()
            console.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(1) from None
        except Stopped as stop:
            bar.stop()
            error = stop.error
            token_refused = isinstance(error, ApiError) and not error.errors and error.status in (401, 403)
            if stop.summary.recorded == 0 and (token_refused or isinstance(error, httpx.TransportError)):
                raise error from None  # nothing recorded: the CLI's entry says it in one line (api.cli_errors)
            if isinstance(error, ApiError):
                console.print(f"[red]refused[/red] ({error.code}): {escape(error.detail)}")
            elif isinstance(error, httpx.HTTPError):
                console.print(f"[red]cannot reach {escape(base)}[/red]: {escape(str(error))}")
            else:
                raise
            console.print(
                f"{stop.summary.recorded} rows recorded before it stay recorded; run again once it is fixed "
                "(none posts twice)"
            )
            raise typer.Exit(1) from None
    for refusal in summary.refused[:SHOWN_REFUSALS]:
        console.print(f"  {escape(str(refusal))}")
    if len(summary.refused) > SHOWN_REFUSALS:
        console.print(f"  … and {len(summary.refused) - SHOWN_REFUSALS} more")
    counts = f"{summary.recorded} recorded, {summary.already} already recorded, {len(summary.refused)} refused"
    if written is None:
        typer.echo(f"OK: {counts}, from {summary.rows} rows of {file}")
        return
    typer.echo(f"{counts}, from {summary.rows} rows of {file}; refused rows written to {written}")
    raise typer.Exit(1)


submit.__doc__ = "Sign the events of FILE and post them in batches.\n\n" + ROW_FORMAT_HELP
