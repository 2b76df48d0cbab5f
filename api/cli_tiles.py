"""`packtrace export-tiles DIR`: the log as C2SP tlog-tiles static files, for object storage or a CDN."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli_registry import DatabaseUrl, console, open_ledger
from api.progress import progress_bar


def _write(path: Path, content: bytes) -> None:
    """Write whole or not at all: a file server never serves half a tile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_bytes(content)
    os.replace(partial, path)


def export_tiles(
    out: Annotated[Path, typer.Argument(help="Directory to write (created if missing)", file_okay=False)],
    entries: Annotated[
        bool,
        typer.Option(
            "--entries",
            help="Also write the entry bundles (tile/entries/…). They hold VINs and other personal data: "
            "serve them to regulators only",
        ),
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the checkpoint the server serves (with its witnesses' cosignatures) and its tree's hash tiles
    (C2SP tlog-tiles) under DIR, as a static server serves them: DIR/checkpoint, DIR/tile/<L>/<N>[.p/<W>],
    with --entries DIR/tile/entries/<N>[.p/<W>]."""
    from api.cli_config import load_settings
    from ledger.usecases.tiles import export

    witnessed = bool(load_settings().witnesses)  # the checkpoint the server serves (docs/ledger-format.md §4.3)
    tiles = bundles = 0
    with (
        open_ledger(database_url) as ledger,
        progress_bar(console, "files", shown=sys.stderr.isatty()) as bar,
    ):
        for path, content in export(ledger, entries=entries, witnessed=witnessed):
            _write(out / path, content)
            bar.advance(1)
            if path.startswith("tile/entries/"):
                bundles += 1
            elif path.startswith("tile/"):
                tiles += 1
    written = f"{tiles} tiles" + (f" and {bundles} entry bundles" if entries else "")
    typer.echo(f"OK: checkpoint, {written} written to {out}")
