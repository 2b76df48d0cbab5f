"""The `packtrace` command line."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from api.bootstrap import key_files
from api.cli_backup import backup
from api.cli_calendar import calendar_app
from api.cli_config import load_settings, refusals, require_existing_database
from api.cli_db import migrate
from api.cli_demo import demo
from api.cli_errors import CliGroup
from api.cli_handover import handover_app
from api.cli_label import label
from api.cli_log import log_app
from api.cli_recalls import recall_app
from api.cli_registry import DatabaseUrl, keys_app, open_ledger, orgs_app
from api.cli_submit import submit
from api.cli_tiles import export_tiles
from api.cli_watch import watch_org
from api.cli_witness import witness_app
from api.progress import progress_bar
from api.settings import Settings
from events.errors import InputError, VerificationError

if TYPE_CHECKING:
    from ledger.format.bundle import BundleSummary
    from ledger.format.policy import Accepted, Policy
    from ledger.store.db import Engine
    from ledger.usecases.verify import Report

app = typer.Typer(help="packtrace: the traction-battery traceability log.", no_args_is_help=True, cls=CliGroup)
app.add_typer(orgs_app, name="orgs")
app.add_typer(keys_app, name="keys")
app.add_typer(log_app, name="log")
app.add_typer(witness_app, name="witness")
app.add_typer(calendar_app, name="calendar")
app.add_typer(recall_app, name="recall")
app.add_typer(handover_app, name="handover")
app.command()(label)
app.command()(demo)
app.command()(migrate)
app.command()(backup)
app.command("watch-org")(watch_org)
app.command("export-tiles")(export_tiles)
app.command()(submit)
console = Console(stderr=True, soft_wrap=True)


@app.command()
def verify(
    log_key: Annotated[
        str | None, typer.Option(help="Verifier key of the log (C2SP form); default: from the key file")
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="Database to check (default: settings)")] = None,
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="Check only what the log added since the checkpoint verified last (kept in --state), and that "
            "the log is consistent with it; without a state file, a full verify. Stores the new checkpoint.",
        ),
    ] = False,
    state: Annotated[
        Path | None,
        typer.Option(help="State file of --incremental (default: $XDG_STATE_HOME/packtrace/verified/<origin>)"),
    ] = None,
) -> None:
    """Check a whole database: hashes, chains, signatures, checkpoints and replayed states."""
    settings = load_settings(database_url=database_url)
    require_existing_database(settings)
    from ledger.store.db import make_engine
    from ledger.usecases.verify import verify_database

    engine = make_engine(settings.database_url)
    if log_key is None:  # this server's own key, under the origin the log was started with
        try:
            log_key = own_verifier_key(settings, engine)
        except typer.Exit:
            engine.dispose()
            raise
    if incremental:
        _verify_incremental(engine, log_key, state)
        return
    with progress_bar(console, "entries", shown=sys.stderr.isatty()) as bar:
        try:
            report = verify_database(engine, log_key, progress=bar.stage)
        finally:
            engine.dispose()
    _fail_on_problems(report)
    typer.echo(
        f"OK: {report.entries} entries, {report.packs} packs, {report.checkpoints} checkpoints verified "
        f"({_timings(report)})"
    )


def _verify_incremental(engine: Engine, log_key: str, state: Path | None) -> None:
    from api.cli_verified import default_state_file, read_verified, store_verified
    from ledger.format.note import parse_verifier_key
    from ledger.usecases.incremental import verify_since

    path = state or default_state_file(parse_verifier_key(log_key).name)
    verified = read_verified(path)
    with progress_bar(console, "entries", shown=sys.stderr.isatty()) as bar:
        try:
            report = verify_since(engine, log_key, verified, progress=bar.stage)
        except VerificationError as exc:
            console.print(f"[red]FAILED[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        finally:
            engine.dispose()
    _fail_on_problems(report)
    if report.checkpoint is None:
        typer.echo(f"OK: the log has no checkpoint yet; nothing stored in {path}")
        return
    store_verified(path, report.checkpoint)
    size = report.size
    if verified is None:
        typer.echo(
            f"OK: no verified checkpoint in {path}: full verify of {report.entries} entries, {report.packs} packs, "
            f"{report.checkpoints} checkpoints ({_timings(report)}); the checkpoint at size {size} is stored there"
        )
    else:
        typer.echo(
            f"OK: consistent with the checkpoint verified at size {report.since}; {report.entries} entries after "
            f"it verified, {report.packs} packs replayed ({_timings(report)}); the checkpoint at size {size} "
            f"is stored in {path}"
        )


def _fail_on_problems(report: Report) -> None:
    try:
        report.raise_first()
    except VerificationError as exc:
        console.print(f"[red]FAILED[/red] {escape(str(exc))}")
        for p in sorted(report.problems)[1:10]:
            console.print(f"  also: entry {p.index}: {escape(str(p))}")
        raise typer.Exit(1) from None


def _timings(report: Report) -> str:
    return ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())


def own_verifier_key(settings: Settings, engine: Engine) -> str:
    """The verifier key of the key file the settings name, under the log's origin; refused (exit 1) when
    the file is missing or holds another key than the one the log recorded (ledger/usecases/keybinding.py)."""
    from ledger.format.logkey import load_key
    from ledger.store import logmeta
    from ledger.usecases import keybinding

    with refusals():
        origin = settings.log_origin
        if not settings.origin_is_explicit:
            origin = logmeta.stored_origin(engine) or origin
        files = key_files(settings, engine)
        signer = keybinding.log_signer(origin, load_key(settings.log_key_file), files)
        keybinding.check_log_key(logmeta.recorded(engine), signer, files)
    return signer.verifier_key


@app.command("verify-bundle")
def verify_bundle_cmd(
    file: Annotated[
        Path, typer.Argument(help="A bundle (GET /v1/packs/{code}/bundle) or a tlog-proof (…/proof)", exists=True)
    ],
    log_key: Annotated[str | None, typer.Option("--log-key", help="The log's verifier key (C2SP form)")] = None,
    entry: Annotated[
        Path | None,
        typer.Option("--entry", help="With a tlog-proof: the entry it proves, as a JSON object", exists=True),
    ] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="A trust policy (docs/ledger-format.md §9): the log keys, witnesses and quorum the checkpoint "
            "must meet; instead of --log-key",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    peer: Annotated[
        list[str] | None,
        typer.Option(
            "--peer",
            help="A peer platform's log verifier key (repeatable): a pack that arrived from it has its origin's "
            "transfer proof checked (docs/federation.md)",
        ),
    ] = None,
    peer_policy_file: Annotated[
        Path | None,
        typer.Option(
            "--peer-policy",
            help="A trust policy for the peer platforms (their log keys, witnesses, quorum): instead of or beside "
            "--peer",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check a pack's offline bundle, or a C2SP tlog-proof with the entry it proves, with public keys alone."""
    from ledger.format.bundle import verify_bundle
    from ledger.format.handover import check_arrival_in_bundle
    from ledger.format.policy import verify_bundle_by_policy

    policy = _policy_or_key(log_key, policy_file)
    peer_policy = _peer_policy(peer_policy_file)
    if _verify_tlog_proof(file, log_key, entry, policy):
        return
    accepted: Accepted | None = None
    try:
        bundle = json.loads(file.read_bytes().decode("utf-8"))
        if policy is not None:
            summary, accepted = verify_bundle_by_policy(bundle, policy, now=int(time.time()))
        else:
            assert log_key is not None
            summary = verify_bundle(bundle, log_key)
        origin = check_arrival_in_bundle(bundle, peer or [], policy=peer_policy, now=int(time.time()))
    except (VerificationError, json.JSONDecodeError) as exc:
        _bundle_failed(_why(exc))
    except UnicodeDecodeError as exc:
        _bundle_failed(f"{file.name} is not UTF-8 text (invalid byte at offset {exc.start}): not a bundle")
    except RecursionError:
        _bundle_failed(f"{file.name} nests JSON too deeply to be read: not a bundle")
    except OSError as exc:
        _bundle_failed(f"{file.name} cannot be read: {exc.strerror or exc}")
    last = summary.proven_through
    assert last is not None  # a bundle that proves no entry does not verify
    # One proof of the last entry proves a prefix of the chain (seq 0…last); the log's head commitment
    # proves where it ended at the size it covers (docs/ledger-format.md §6.4).
    tail = _completeness(summary, last)
    if summary.entries == summary.disclosed:
        typer.echo(
            f"OK: pack {summary.pack}: entries 0–{last} proven ({summary.proven} entries, verified and chained; "
            f"the last included in the log at tree size {summary.tree_size}, root {summary.root.hex()}); {tail}"
        )
        typer.echo(_keys_proven(summary))
        _echo_origin(origin)
        _echo_policy(accepted)
        return
    claimed = (
        f"; {summary.claimed_after} more withheld after seq {last}: claimed by the server, not proven"
        if summary.claimed_after
        else ""
    )
    typer.echo(
        f"OK (redacted): pack {summary.pack}: entries 0–{last} proven to exist, {summary.disclosed} of them "
        f"disclosed and verified (the last included in the log at tree size {summary.tree_size}, root "
        f"{summary.root.hex()}), {summary.withheld_proven} withheld: this bundle does not hold or prove their "
        f"content; {tail}{claimed}"
    )
    typer.echo(_keys_proven(summary))
    _echo_origin(origin)
    _echo_policy(accepted)


def _peer_policy(path: Path | None) -> Policy | None:
    return None if path is None else _read_policy(path)


def _read_policy(path: Path) -> Policy:
    from ledger.format.policy import PolicyError, read_policy

    try:
        return read_policy(path)
    except PolicyError as exc:
        _bundle_failed(f"信任策略无效 bad trust policy: {exc.message}")


def _echo_origin(origin: str | None) -> None:
    if origin is not None:
        typer.echo(
            f"OK: the origin part: the transfer entry is proven in {origin}'s log, verified against {origin}'s log "
            "key (--peer, --peer-policy)"
        )


def _policy_or_key(log_key: str | None, policy_file: Path | None) -> Policy | None:
    """The policy of --policy (None with --log-key): exactly one of the two gives the log key."""
    if (log_key is None) == (policy_file is None):
        _bundle_failed(
            "给出 --log-key 或 --policy 之一 give exactly one of --log-key VKEY (the log's key) or --policy FILE "
            "(a trust policy naming the log's keys)"
        )
    return None if policy_file is None else _read_policy(policy_file)


def _why(exc: Exception) -> str:
    """A checkpoint without the policy's quorum is refused in Chinese first, like the witness's answers."""
    from ledger.format.policy import QuorumNotMet

    if isinstance(exc, QuorumNotMet):
        return f"未达到见证法定人数 witness quorum not met: {exc.message}"
    return str(exc)


def _echo_policy(accepted: Accepted | None) -> None:
    if accepted is not None:
        typer.echo(
            f"Policy: checkpoint signed by the log key {accepted.log_key.verifier.label} and "
            f"{accepted.summary()} (见证方已联署)"
        )


def _verify_tlog_proof(file: Path, log_key: str | None, entry: Path | None, policy: Policy | None) -> bool:
    """If FILE is a tlog-proof, verify it against the log key with the entry of --entry and say what it
    proves; False if FILE is not one (then it is read as a bundle)."""
    from ledger.format import tlogproof
    from ledger.format.canonical import canonical
    from ledger.format.merkle import leaf_hash
    from ledger.format.policy import verify_tlog_proof_by_policy

    try:
        text = file.read_bytes().decode("utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    if not tlogproof.is_tlog_proof(text):
        return False
    if entry is None:
        _bundle_failed(f"{file.name} is a tlog-proof: give the entry it proves with --entry FILE (a JSON object)")
    accepted = None
    try:
        body = canonical(json.loads(entry.read_bytes().decode("utf-8")))
        if policy is not None:
            proof, checkpoint, accepted = verify_tlog_proof_by_policy(text, body, policy, now=int(time.time()))
        else:
            assert log_key is not None
            proof, checkpoint = tlogproof.verify(text, body, log_key)
    except (VerificationError, InputError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        _bundle_failed(_why(exc))
    typer.echo(
        f"OK: tlog-proof: the entry of {entry.name} (leaf hash {leaf_hash(body).hex()}) is entry {proof.index} of "
        f"{checkpoint.origin} at tree size {checkpoint.size}, root {checkpoint.root.hex()}, signed by the log key; "
        "it proves this entry's place in the log, not the pack's other entries"
    )
    _echo_policy(accepted)
    return True


def _completeness(summary: BundleSummary, last: int) -> str:
    """Where the chain is proven to end: at the head the log's commitment names (entries recorded after the
    size it covers are proven when shown, not ruled out after them)."""
    if summary.complete_through is None:
        return f"entries after seq {last} are neither proven nor ruled out"
    text = (
        f"complete: the log's head commitment at entry {summary.commitment} names seq {summary.complete_through} as "
        f"the pack's last entry at log size {summary.committed_size}"
    )
    if last > summary.complete_through:
        text += f"; entries {summary.complete_through + 1}–{last} were recorded after it; later ones are not ruled out"
    return text


def _keys_proven(summary: BundleSummary) -> str:
    """What the bundle proved of its keys: each registry chain shown, complete by the same head commitment."""
    chains = ", ".join(f"{c.org}'s entries 0–{c.last_seq} (the last at index {c.last_index})" for c in summary.registry)
    complete = (
        f"; each organisation's registry chain complete up to log size {summary.committed_size} by the same head "
        "commitment"
        if summary.complete_through is not None
        else "; an organisation's registry entries after the last one shown are neither proven nor ruled out"
    )
    return (
        "Keys: each signature checked with a key of its actor in force at its entry, as the log's registry entries "
        f"in this bundle show it: {chains}, included in the log at tree size {summary.tree_size}{complete}"
    )


def _bundle_failed(reason: str) -> NoReturn:
    console.print(f"[red]FAILED[/red] {escape(reason)}")
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Serve the HTTP API (settings from PACKTRACE_* environment variables)."""
    import uvicorn

    from api.app import create_app

    settings = load_settings()
    with refusals():
        application = create_app(settings)
    # X-Forwarded-* are honoured by the app from PACKTRACE_TRUSTED_PROXIES only (api/proxies.py), not by
    # uvicorn's own default (which trusts 127.0.0.1 whatever the settings say)
    uvicorn.run(application, host=host, port=port, proxy_headers=False)


@app.command()
def keygen(
    file: Annotated[Path, typer.Argument(help="Where to write the private key (PEM, PKCS #8, mode 0600)")],
) -> None:
    """Make an Ed25519 signing key: write the private key to FILE and print the base64 public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        console.print(f"[red]{file} exists[/red]; refusing to overwrite a key")
        raise typer.Exit(1) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    console.print(f"wrote {file}; register the public key with `packtrace keys add ORG KEY_ID <key>`:")
    typer.echo(base64.b64encode(public).decode())


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="File to write")],
    pack: Annotated[str | None, typer.Option(help="Export this pack's offline bundle instead of the log")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write every entry of the log as JSONL (canonical bytes, one a line), or one pack's bundle as JSON."""
    from ledger.usecases.bundles import bundle_chunks
    from ledger.usecases.logreads import iter_entries

    with open_ledger(database_url, existing=True) as ledger:
        if pack is not None:
            chunks = bundle_chunks(ledger, pack)  # an unknown pack raises here, before the file is opened
            with out.open("wb") as handle:  # written as it is read: a chain has no length limit
                for chunk in chunks:
                    handle.write(chunk)
                handle.write(b"\n")
            typer.echo(f"OK: bundle of {pack} written to {out}")
            return
        count = 0
        with (
            out.open("wb") as handle,
            progress_bar(console, "entries", total=ledger.size(), shown=sys.stderr.isatty()) as bar,
        ):
            for body in iter_entries(ledger):
                handle.write(body + b"\n")
                count += 1
                if count % 1000 == 0:
                    bar(count, ledger.size())
            bar(count, count)
    typer.echo(f"OK: {count} entries written to {out}")


if __name__ == "__main__":
    app()
