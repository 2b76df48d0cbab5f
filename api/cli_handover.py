"""`packtrace handover receive`: have this platform's server fetch and verify a pack's handover document from
the peer platform it came from, sign the `arrived` claim with your key and post it (docs/federation.md §3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from api.cli_remote import Token, Url, server

handover_app = typer.Typer(help="Packs handed over between platforms (跨平台移交).", no_args_is_help=True)


@handover_app.command("receive")
def receive(
    code: Annotated[str, typer.Argument(help="The pack's battery code")],
    origin: Annotated[str, typer.Option("--from", help="The origin platform's log origin (a configured peer)")],
    origin_key: Annotated[str, typer.Option(help="The origin log's verifier key (C2SP), as PACKTRACE_PEERS names it")],
    actor: Annotated[str, typer.Option(help="Your organisation id (the receiver the transfer names)")],
    key_id: Annotated[str, typer.Option(help="Id of your registered signing key")],
    key_file: Annotated[Path, typer.Option(help="Your private key (PEM, as keygen writes it)", exists=True)],
    token: Token,
    save: Annotated[Path | None, typer.Option(help="Also write the verified handover document to this file")] = None,
    url: Url = None,
) -> None:
    """Receive a pack from another platform: fetch its handover document, then record the signed arrival."""
    from api.client import Signer

    signer = Signer.from_key_file(key_file, actor=actor, key_id=key_id)
    at = datetime.now(UTC).replace(microsecond=0)  # a claim's `at` has whole seconds
    with server(url, token) as api:
        document = api.fetch_handover(code, origin)
        if save is not None:
            save.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        appended = api.post_arrival(signer.arrival(document, origin_key, at=at))
    typer.echo(
        f"OK: pack {code} arrived from {origin} (entry {appended['index']}, seq {appended['seq']}); its transfer "
        f"at index {document['transfer']['index']} verified against {origin}'s log key"
    )
