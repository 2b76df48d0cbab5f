"""`packtrace recall create`: resolve a recall campaign's scope on the server, sign one `recalled` claim
per pack with your own key, and post the campaign (events.recalls, docs/integration.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from api.cli_config import load_settings

recall_app = typer.Typer(help="Recall campaigns (召回活动).", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


@recall_app.command("create")
def create(
    campaign: Annotated[str, typer.Argument(help="The campaign's id, e.g. R-2026-001")],
    reason: Annotated[str, typer.Option(help="Why the packs are recalled")],
    actor: Annotated[str, typer.Option(help="Your organisation id (a regulator, or the packs' manufacturer)")],
    key_id: Annotated[str, typer.Option(help="Id of your registered signing key")],
    key_file: Annotated[Path, typer.Option(help="Your private key (PEM, as keygen writes it)", exists=True)],
    token: Annotated[str, typer.Option(help="Your organisation's API token", envvar="PACKTRACE_TOKEN")],
    due: Annotated[str | None, typer.Option(help="Remedies are due by this day, YYYY-MM-DD")] = None,
    maker: Annotated[str | None, typer.Option(help="Scope: the maker (org id, code or registered name)")] = None,
    batch: Annotated[str | None, typer.Option(help="Scope: produced.batch")] = None,
    spec: Annotated[str | None, typer.Option(help="Scope: the 2-character spec code")] = None,
    produced_from: Annotated[str | None, typer.Option(help="Scope: produced on or after, YYYY-MM-DD")] = None,
    produced_to: Annotated[str | None, typer.Option(help="Scope: produced on or before, YYYY-MM-DD")] = None,
    chemistry: Annotated[str | None, typer.Option(help="Scope: LFP, NCM, …")] = None,
    codes: Annotated[
        Path | None, typer.Option(help="Scope: a file of battery codes, one a line", exists=True, dir_okay=False)
    ] = None,
    url: Annotated[str | None, typer.Option(help="API base URL (default: PACKTRACE_PUBLIC_URL)")] = None,
) -> None:
    """Create a recall campaign: every pack in scope gets a `recalled` entry signed with your key."""
    from api.client import ApiError, PacktraceClient, Signer

    scope: dict[str, Any] = {
        "maker": maker, "batch": batch, "spec": spec, "produced_from": produced_from, "produced_to": produced_to,
        "chemistry": chemistry,
    }  # fmt: skip
    scope = {name: value for name, value in scope.items() if value is not None}
    if codes is not None:
        scope["codes"] = [line.strip() for line in codes.read_text().splitlines() if line.strip()]
    draft: dict[str, Any] = {"id": campaign, "reason": reason, "scope": scope}
    if due is not None:
        draft["due"] = due
    signer = Signer.from_key_file(key_file, actor=actor, key_id=key_id)
    at = datetime.now(UTC).replace(microsecond=0)  # a claim's `at` has whole seconds
    with PacktraceClient(url or load_settings().public_url, token=token) as api:
        try:
            plan = api.recall_scope(draft)
            claims = [signer.sign(code, "recalled", plan["data"], at=at) for code in plan["codes"]]
            created = api.create_recall(draft, claims)
        except ApiError as exc:
            console.print(f"[red]refused[/red] ({exc.code}): {exc.detail}")
            for item in exc.errors:
                console.print(f"  claim {item['position']}: {item['code']}: {item['detail']}")
            raise typer.Exit(1) from None
    left = sum(created["excluded"].values())
    note = f"; {left} in scope left out (out of use already)" if left else ""
    typer.echo(f"OK: campaign {created['campaign']} recalls {created['packs']} packs{note}")
