"""`packtrace label CODE…`: print labels straight from the database (as the administrator: whoever can run
this can read the database anyway)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api import labelling
from api.cli_registry import DatabaseUrl, open_ledger
from api.progress import progress_bar
from api.settings import Settings
from ledger.usecases.access import ADMIN
from ledger.usecases.labelling import LabelFacts, label_facts

console = Console(stderr=True, soft_wrap=True)


def label(
    codes: Annotated[list[str], typer.Argument(help="Battery codes of recorded packs")],
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="Write an A4 sheet with one label per code to this file")
    ] = None,
    png: Annotated[
        Path | None, typer.Option("--png", help="Write <code>.png (300 dpi) for each code into this directory")
    ] = None,
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Write <code>.svg for each code into this directory")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Render pack labels: QR code of PACKTRACE_PUBLIC_URL/p/CODE, maker, chemistry, capacity, date."""
    if pdf is None and png is None and svg is None:
        console.print("[red]nothing to write[/red]: give --pdf FILE, --png DIR and/or --svg DIR")
        raise typer.Exit(2)
    public_url = (Settings(database_url=database_url) if database_url else Settings()).public_url
    with open_ledger(database_url) as ledger:  # errors of the family, a missing font too, end it cleanly
        labelling.require_ready()
        facts = label_facts(ledger, ADMIN, codes)  # every code checked before any file is written
        unique = len({f.code for f in facts})
        files = (pdf is not None) + unique * ((png is not None) + (svg is not None))
        with progress_bar(console, "labels", total=files, shown=sys.stderr.isatty()) as bar:
            written = _write(facts, public_url=public_url, pdf=pdf, png=png, svg=svg, done=lambda: bar.advance(1))
    for path in written:
        typer.echo(str(path))
    console.print(f"OK: {len(written)} file(s) for {unique} pack(s)")


def _write(
    facts: list[LabelFacts],
    *,
    public_url: str,
    pdf: Path | None,
    png: Path | None,
    svg: Path | None,
    done: Callable[[], None] = lambda: None,
) -> list[Path]:
    written: list[Path] = []
    if pdf is not None:
        pdf.parent.mkdir(parents=True, exist_ok=True)
        pdf.write_bytes(labelling.sheet_of(facts, public_url=public_url))
        written.append(pdf)
        done()
    unique = list({f.code: f for f in facts}.values())
    if png is not None:
        png.mkdir(parents=True, exist_ok=True)
        for one in unique:
            (png / f"{one.code}.png").write_bytes(labelling.png_of(one, public_url=public_url))
            written.append(png / f"{one.code}.png")
            done()
    if svg is not None:
        svg.mkdir(parents=True, exist_ok=True)
        for one in unique:
            (svg / f"{one.code}.svg").write_text(labelling.svg_of(one, public_url=public_url), encoding="utf-8")
            written.append(svg / f"{one.code}.svg")
            done()
    return written
