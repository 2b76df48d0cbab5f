"""`packtrace log …`: the log's own key and its head commitments. The operator rolls the key over
(`rotate-key`, on the database, where the key files are) and commits to every chain's head
(`commit-heads`); a verifier holding only the old key follows the rollover from the HTTP API (`follow`).
Messages: Simplified Chinese with English."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from api.cli_config import load_settings
from api.cli_registry import DatabaseUrl, open_ledger
from events.errors import VerificationError
from ledger.format.logfollow import Followed, FollowReport, KeyRecord, follow
from ledger.format.logkeys import label

log_app = typer.Typer(help="The log's own key: roll it over, follow its rollovers.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)

EXIT_REFUSED = 1
EXIT_UNREACHABLE = 2


@log_app.command("rotate-key")
def rotate_key(
    finish: Annotated[
        bool, typer.Option("--finish", help="End the running rollover: from then on the new key alone signs")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Start a rollover of the log's key (checkpoints signed by the old and a new key), or end it (--finish).

    The new key is made beside PACKTRACE_LOG_KEY_FILE as `<file>.next` (mode 0600). Run it where the
    server's key files are: a running server signs with both keys from its next checkpoint on. End the
    rollover once verifiers have followed it (`packtrace log follow`): the old key file is kept as
    `<file>.retired-<key id>` and the new key takes its place. Prints the new verifier key."""
    from ledger.usecases import logrotation

    key_file = load_settings(database_url=database_url).log_key_file
    with open_ledger(database_url) as ledger:
        try:
            done = logrotation.finish(ledger, key_file) if finish else logrotation.start(ledger, key_file)
        except OSError as exc:  # start writes the new key before the entry; finish swaps the files after it
            console.print(
                f"[red]密钥文件错误 key file error[/red]: {escape(str(exc))}. Fix it and run the command again: "
                "it does what is left (the log already records what was appended)"
            )
            raise typer.Exit(1) from None
    old, new = label(done.old), label(done.new)
    if not finish:
        console.print(
            f"密钥轮换已开始 rollover started (entry {done.index}): every checkpoint is now signed by {old} and {new}. "
            f"The new key is in {done.next_file}. Publish the new verifier key below; verifiers holding {old} "
            "follow the rollover by the log's own entries. End it with `packtrace log rotate-key --finish`."
        )
    elif done.index is None:
        console.print(
            f"密钥轮换已结束 the rollover had ended: key files swapped now, {done.key_file} holds {new}; the old key "
            f"is kept in {done.retired_file}."
        )
    else:
        console.print(
            f"密钥轮换已结束 rollover ended (entry {done.index}): {new} alone signs from now on; {done.key_file} holds "
            f"it, the old key {old} is kept in {done.retired_file}."
        )
    typer.echo(done.new)


@log_app.command("commit-heads")
def commit_heads(database_url: DatabaseUrl = None) -> None:
    """Append a head commitment: the root of the tree over every chain's last entry (docs/ledger-format.md
    §6.4), so that bundles prove they are complete up to now. The server makes one whenever a bundle needs
    it; run this on a schedule (cron) to keep them fresh, or before exporting many bundles."""
    from ledger.usecases import heads

    with open_ledger(database_url) as ledger:
        made = heads.commit_heads(ledger)
        latest = made or heads.latest(ledger)
    if made is None:
        where = "" if latest is None else f" (entry {latest.index}, log size {latest.size})"
        console.print(f"无需提交 nothing to commit: the latest head commitment{where} covers every entry")
        return
    console.print(
        f"已提交 committed (entry {made.index}): the heads of {made.count} chains as at log size {made.size}, "
        f"root {made.root}"
    )


class HttpLog:
    """The log as its public HTTP API serves it to a follower."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def checkpoint(self) -> str:
        return str(self.client.checkpoint())

    def key_records(self) -> Sequence[KeyRecord]:
        events = self.client.log_key().get("key_events", [])
        return [KeyRecord(int(e["index"]), e["entry"], str(e["checkpoint"])) for e in events]

    def inclusion_proof(self, index: int, size: int) -> Sequence[bytes]:
        return [bytes.fromhex(h) for h in self.client.inclusion_proof(index, size)["hashes"]]

    def consistency_proof(self, old: int, new: int) -> Sequence[bytes]:
        return [bytes.fromhex(h) for h in self.client.consistency_proof(old, new)["hashes"]]


@log_app.command("follow")
def follow_cmd(
    url: Annotated[str, typer.Option(help="The log's API base URL")],
    state: Annotated[Path, typer.Option(help="File keeping the trusted keys and the last checkpoint (JSON)")],
    log_key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key to start from (C2SP form); used when STATE does not exist"),
    ] = None,
) -> None:
    """Check the log's latest checkpoint with the keys you trust, following key rollovers by the log's own
    entries; exit 1 on a refusal (the state file is then left as it was), 2 when the log cannot be read.

    The first run trusts --log-key; every later run the keys in STATE: a new key only once a
    `log_rollover_started` entry naming it is proven under a checkpoint signed by a trusted key, and the old
    key no longer once `log_rollover_ended` is. Run it from cron; it prints the keys it trusts."""
    import httpx

    from api.client import ApiError, PacktraceClient

    start = _load_state(state, log_key)
    try:
        with PacktraceClient(url) as client:
            report = follow(start, HttpLog(client))
    except VerificationError as exc:
        console.print(f"[red]已拒绝 REFUSED[/red] {escape(str(exc))}")
        console.print(f"{state} is unchanged: it trusts {escape(start.keys.describe())}")
        raise typer.Exit(EXIT_REFUSED) from None
    except (ApiError, httpx.HTTPError, OSError, ValueError, KeyError, TypeError) as exc:
        console.print(f"[red]无法读取日志 cannot read the log[/red] at {escape(url)}: {escape(str(exc) or repr(exc))}")
        raise typer.Exit(EXIT_UNREACHABLE) from None
    _save_state(state, report)
    for change in report.changes:
        console.print(f"密钥轮换 key rollover: {escape(change)}")
    reached = report.state
    typer.echo(
        f"OK 已验证: {reached.origin} at tree size {reached.size}, root {reached.root.hex()}; trusting "
        f"{reached.keys.describe()}"
    )


def _load_state(path: Path, log_key: str | None) -> Followed:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if log_key is None:
            console.print(f"[red]{path} does not exist[/red]: the first run needs --log-key, the key you trust")
            raise typer.Exit(EXIT_REFUSED) from None
        try:
            return Followed.start(log_key)
        except VerificationError as exc:
            console.print(f"[red]--log-key refused[/red]: {escape(str(exc))}")
            raise typer.Exit(EXIT_REFUSED) from None
    try:
        return Followed.from_json(json.loads(raw))
    except (VerificationError, ValueError) as exc:
        console.print(f"[red]{path} refused[/red]: {escape(str(exc))}")
        raise typer.Exit(EXIT_REFUSED) from None


def _save_state(path: Path, report: FollowReport) -> None:
    """Write the state atomically: a crash leaves the old state or the new one, never half."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        json.dump(report.state.to_json(), out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
