"""`packtrace orgs …` and `packtrace keys …`: administration straight on the database (no HTTP, no admin
token needed: whoever can run this can read the database anyway). `keys add` and `keys revoke` with
`--sign-with` are an organisation's own: a registry claim signed by its current key, posted over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.bootstrap import BoundLedger, build_ledger
from api.cli_config import load_settings, refusals, require_existing_database
from api.cli_remote import Url, server
from api.client import Signer
from events.errors import PacktraceError
from ledger.usecases import callers, orgkeys
from ledger.usecases.access import ADMIN

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

DatabaseUrl = Annotated[str | None, typer.Option(help="Database to use (default: PACKTRACE_DATABASE_URL)")]

orgs_app = typer.Typer(help="Create, change and list organisations.", no_args_is_help=True)
keys_app = typer.Typer(help="Register, revoke and list organisations' Ed25519 signing keys.", no_args_is_help=True)


@contextmanager
def open_ledger(database_url: str | None, *, existing: bool = True) -> Iterator[BoundLedger]:
    """The ledger the settings (or --database-url) name; errors of the family, and a refused configuration
    (api/cli_config.py), end the command cleanly. A command works on a platform's database: an SQLite file
    that is not there is refused instead of being created, unless `existing` is False (`orgs create`, the
    platform's first step, and `migrate`)."""
    settings = load_settings(database_url=database_url)
    if existing:
        require_existing_database(settings)
    with refusals():
        ledger = build_ledger(settings)
    try:
        yield ledger
    except PacktraceError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from None
    finally:
        ledger.close()
        ledger.engine.dispose()


@orgs_app.command("create")
def orgs_create(
    org_id: Annotated[str, typer.Argument(metavar="ID", help="Organisation id: a slug such as 'catl'")],
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[list[str], typer.Option(help="A role (repeat for several): manufacturer, automaker, …")],
    maker_code: Annotated[
        list[str] | None, typer.Option(help="A GB/T 34014 manufacturer code the org owns (repeatable)")
    ] = None,
    whitelisted: Annotated[bool, typer.Option(help="Recycler on MIIT's 规范条件 list")] = False,
    region: Annotated[str | None, typer.Option(help="GB/T 2260 division code, e.g. 350200")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an organisation (a registry entry in the log) and print its API token (shown only this once)."""
    with open_ledger(database_url, existing=False) as ledger:
        created = orgkeys.create_org(
            ledger,
            ADMIN,
            org_id=org_id,
            name=name,
            roles=role,
            manufacturer_codes=maker_code or [],
            whitelisted=whitelisted,
            region=region,
        )
    console.print(f"created {created.org.id} ({', '.join(created.org.roles)}); its API token:")
    out.print(created.token, highlight=False)


@orgs_app.command("update")
def orgs_update(
    org_id: Annotated[str, typer.Argument(metavar="ORG", help="Organisation id")],
    name: Annotated[str | None, typer.Option(help="New display name")] = None,
    role: Annotated[
        list[str] | None, typer.Option(help="The new set of roles: every role it keeps (repeat for several)")
    ] = None,
    maker_code: Annotated[
        list[str] | None, typer.Option(help="The new set of GB/T 34014 manufacturer codes (repeatable)")
    ] = None,
    region: Annotated[str | None, typer.Option(help="GB/T 2260 division code, e.g. 350000")] = None,
    whitelisted: Annotated[
        bool | None, typer.Option("--whitelisted/--not-whitelisted", help="Put on or take off MIIT's 规范条件 list")
    ] = None,
    effective: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="With --(not-)whitelisted: the day it takes effect")
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="With --(not-)whitelisted: the decision, e.g. the MIIT announcement number")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Change an organisation: a registry entry of the log, by the administrator. Entries recorded before
    the change keep verifying; a 规范条件 change applies to entries recorded from --effective on."""
    with open_ledger(database_url) as ledger:
        org = orgkeys.update_org(
            ledger,
            ADMIN,
            org_id,
            name=name,
            roles=role,
            manufacturer_codes=maker_code,
            region=region,
            whitelisted=whitelisted,
            effective=effective.date() if effective else None,
            reference=reference,
        )
    listed = "on the 规范条件 list today" if org.whitelisted else "not on the 规范条件 list today"
    console.print(
        f"changed {org.id}: {org.name} ({', '.join(org.roles)}); codes {', '.join(org.manufacturer_codes) or '-'}; "
        f"region {org.region or '-'}; {listed}"
    )


@orgs_app.command("rotate-token")
def orgs_rotate_token(
    org_id: Annotated[str, typer.Argument(metavar="ORG", help="Organisation id")],
    database_url: DatabaseUrl = None,
) -> None:
    """Give an organisation a new API token and print it (shown only this once). The old token stops working
    at once here and within 10 s (TOKEN_TTL_S) in running servers; its web sessions end at once."""
    with open_ledger(database_url) as ledger:
        issued = callers.rotate_token(ledger, ADMIN, org_id)
    console.print(f"new API token of {issued.org} (servers refuse the old one within {callers.TOKEN_TTL_S:g} s):")
    out.print(issued.token, highlight=False)


@orgs_app.command("list")
def orgs_list(database_url: DatabaseUrl = None) -> None:
    """List every organisation."""
    with open_ledger(database_url) as ledger:
        orgs = orgkeys.list_orgs(ledger, ADMIN)
    table = Table("id", "name", "roles", "maker codes", "whitelisted")
    for org in orgs:
        table.add_row(
            org.id,
            org.name,
            ", ".join(org.roles),
            ", ".join(org.manufacturer_codes),
            "yes" if org.whitelisted else "",
        )
    out.print(table)


SignWith = Annotated[
    Path | None,
    typer.Option(
        help="Sign a registry claim with this private key (PEM, as keygen writes it) and post it over HTTP, "
        "instead of acting as the administrator on the database",
        exists=True,
        dir_okay=False,
    ),
]
SigningKey = Annotated[
    str | None, typer.Option(help="With --sign-with: that key's registered id, e.g. catl/2026-1 (a current key)")
]
OptionalToken = Annotated[
    str | None, typer.Option(help="With --sign-with: your organisation's API token", envvar="PACKTRACE_TOKEN")
]


def _signer(sign_with: Path, signing_key: str | None, token: str | None, database_url: str | None) -> Signer:
    if signing_key is None or token is None or database_url is not None:
        console.print("[red]--sign-with[/red] goes with --signing-key and --token (and --url), not --database-url")
        raise typer.Exit(2)
    actor = signing_key.split("/", 1)[0]  # a key id starts with its organisation's id and '/'
    try:
        return Signer.from_key_file(sign_with, actor=actor, key_id=signing_key)
    except (ValueError, TypeError) as exc:
        console.print(f"[red]{sign_with}[/red]: {escape(str(exc))}")
        raise typer.Exit(1) from None


@keys_app.command("add")
def keys_add(
    org: Annotated[str, typer.Argument(help="Organisation id")],
    key_id: Annotated[str, typer.Argument(help="Key id: the org id, / and a name, e.g. catl/2026-1")],
    public_key: Annotated[str, typer.Argument(help="Base64 of the raw 32-byte public key (as keygen prints it)")],
    sign_with: SignWith = None,
    signing_key: SigningKey = None,
    token: OptionalToken = None,
    url: Url = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Register an Ed25519 public key for an organisation: as the administrator on the database, or, with
    --sign-with, as the organisation itself, signing a key_added claim with one of its current keys (the
    only way an organisation adds a key after its first)."""
    if sign_with is not None:
        signer = _signer(sign_with, signing_key, token, database_url)
        if signer.actor != org:
            console.print(f"[red]--signing-key {signing_key}[/red] is not a key of {org}: sign with one of its own")
            raise typer.Exit(2)
        assert token is not None
        with server(url, token) as api:
            posted = api.post_registry(signer.key_added(key_id, public_key, at=datetime.now(UTC)))
        console.print(
            f"registered {key_id} for {org} by a claim signed with {signing_key}: log entry {posted['index']}"
        )
        return
    with open_ledger(database_url) as ledger:
        key = orgkeys.add_key(ledger, ADMIN, org, key_id=key_id, public_key=public_key)
    console.print(f"registered {key.key_id} for {key.org}, valid from {key.valid_from.isoformat()}")


@keys_app.command("add-platform")
def keys_add_platform(
    org: Annotated[str, typer.Argument(help="Organisation id")],
    database_url: DatabaseUrl = None,
) -> None:
    """Give an organisation a platform-held key (generated here, sealed at rest), for the scan page."""
    from ledger.usecases.custodial import create_platform_key

    with open_ledger(database_url) as ledger:  # its sealing secret: the one checked against the log at start
        key = create_platform_key(ledger, org, sealing_key=ledger.sealing_key)
    console.print(f"registered platform-held key {key.key_id} for {key.org}")


@keys_app.command("revoke")
def keys_revoke(
    org: Annotated[str, typer.Argument(help="Organisation id")],
    key_id: Annotated[str, typer.Argument(help="Key id")],
    sign_with: SignWith = None,
    signing_key: SigningKey = None,
    token: OptionalToken = None,
    url: Url = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a key from now on: claims signed with it are refused from now. As the administrator on the
    database, or, with --sign-with, by a key_revoked claim signed by a current key of the organisation
    (or of a regulator)."""
    if sign_with is not None:
        signer = _signer(sign_with, signing_key, token, database_url)
        if not key_id.startswith(f"{org}/"):
            console.print(f"[red]{key_id}[/red] is not a key of {org}")
            raise typer.Exit(2)
        assert token is not None
        with server(url, token) as api:
            posted = api.post_registry(signer.key_revoked(key_id, at=datetime.now(UTC)))
        console.print(f"revoked {key_id} of {org} by a claim signed with {signing_key}: log entry {posted['index']}")
        return
    with open_ledger(database_url) as ledger:
        key = orgkeys.revoke_key(ledger, ADMIN, org, key_id)
    assert key.revoked_at is not None
    console.print(f"revoked {key.key_id} of {key.org} at {key.revoked_at.isoformat()}")


@keys_app.command("list")
def keys_list(
    org: Annotated[str | None, typer.Argument(help="Only this organisation's keys")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List registered keys with their validity."""
    with open_ledger(database_url) as ledger:
        keys = orgkeys.list_keys(ledger, ADMIN, org)
    table = Table("key id", "org", "public key", "valid from", "revoked at", "platform-held")
    for key in keys:
        revoked = key.revoked_at.isoformat() if key.revoked_at else ""
        held = "yes" if key.platform_held else ""
        table.add_row(key.key_id, key.org, key.public_key, key.valid_from.isoformat(), revoked, held)
    out.print(table)
