"""Rows of a CSV or JSONL file → signed claims, posted in batches, for `packtrace submit`.

A row is one event: `pack`, `type`, `at` (RFC 3339 UTC, whole seconds, `Z`), `data` (a JSON object) and
optionally `prev` and `id`. In CSV, `data` is a column holding JSON text.

**Claim ids come from what a row says, not where it stands.** Without an `id`, the claim id is a UUID5 of
the organisation and the RFC 8785 canonical JSON of the row's event (`pack`, `type`, `at`, `data` and
`prev` if given): the same event gets the same id in any file, under any name, at any row, however its
numbers are spelt (`60`, `60.0`), so re-posting a renamed or re-exported copy records nothing twice, and a
new event never collides with an earlier one. Two rows that say exactly the same thing are one event: the
later is counted as already recorded. An `id` column overrides the derivation (your own record ids).

**Refused rows do not stop the others.** A batch is atomic on the server; when it is refused for some of
its items, those are set aside and the rest of the batch is posted again (an item that builds on a refused
one is then refused in its turn), so every good row is recorded in one run. A row that cannot be read
(missing fields, a bad `at`, `data` that is no JSON object) is refused without being posted. The refused
rows are written to a file in the input's format, each with a `refused` column saying why; `refused` is
ignored on reading, so the file can be fixed and submitted as it is.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.client import ApiError, PacktraceClient, Signer
from events.batch import batch_end
from events.timestamps import from_rfc3339, to_rfc3339
from ledger.format.canonical import canonical

ROW_FIELDS = frozenset({"pack", "type", "at", "data", "prev", "id"})
NOTE_FIELD = "refused"  # written into the refused-rows file, ignored on reading
REQUIRED = ("pack", "type", "at", "data")
# v2: ids over the row's content and the organisation (v1, until issue 19, hashed the file name and row number)
CLAIM_ID_NAMESPACE = uuid.UUID("9d4c1f7a-2b8e-5c3d-a6f0-7e1b2c3d4e5f")
LEGACY_CLAIM_ID_NAMESPACE = uuid.UUID("5b0f8a3e-6c1d-4f2a-9e77-2d1c0a9b8e45")  # v1, for --legacy-ids only
MAX_BATCH = 10_000

ROW_FORMAT_HELP = """\
FILE is CSV (with a header row) or JSONL (one JSON object a line), one event a row, with the fields
pack, type, at, data and optionally prev and id. `at` is RFC 3339 UTC with whole seconds and Z
(2026-11-20T08:30:00Z); `data` is the event's payload as a JSON object (in CSV: JSON text in the
column). A row's claim id is derived from your organisation and what the row says (pack, type, at,
data, prev) unless an `id` is given, so the same rows posted again, from any file under any name,
record nothing twice. Rows the server refuses are written to FILE's name with `.refused` before its
suffix (or --refused-file), each with a `refused` column saying why; fix them and submit that file.
"""


class RowError(ValueError):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(f"row {row}: {message}")
        self.row = row


@dataclass(frozen=True)
class Row:
    number: int  # 1-based: the line of a JSONL file, the data row of a CSV file
    pack: str
    type: str
    at: str
    data: dict[str, Any]
    prev: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Raw:
    """A row as the file holds it (CSV: its texts; JSONL: its object), to write back if it is refused."""

    number: int
    fields: dict[str, Any]
    problem: str | None = None  # why the line is no row at all (JSONL: not a JSON object); fields = {"line": …}


@dataclass(frozen=True)
class Refusal:
    row: int
    code: str
    detail: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.code}: {self.detail}"


@dataclass
class Summary:
    rows: int = 0
    recorded: int = 0
    already: int = 0  # already in the log, or the same event as an earlier row of the file
    refused: list[Refusal] = field(default_factory=list)


class Rejected(Exception):
    """A batch refused for some of its items: `{position, code, detail}` each (ApiError.errors)."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error
        self.items = error.errors


class FileError(ValueError):
    """The file cannot be read as rows at all (not UTF-8, not CSV); nothing was posted."""


class Stopped(Exception):
    """The run stopped on an error that is not about a row (the token refused, the server unreachable):
    `summary` counts what was recorded before it, `error` is what stopped it."""

    def __init__(self, summary: Summary, error: Exception) -> None:
        super().__init__(str(error))
        self.summary = summary
        self.error = error


def poster(api: PacktraceClient) -> Callable[[Sequence[Mapping[str, Any]]], list[dict[str, Any]]]:
    """`api.post_batch`, raising Rejected when the batch is refused for some of its items."""

    def post(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        try:
            return api.post_batch(events)
        except ApiError as exc:
            if exc.errors:
                raise Rejected(exc) from None
            raise

    return post


def _raw_rows(path: Path) -> Iterator[Raw]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for number, record in enumerate(csv.DictReader(handle), start=1):
                yield Raw(number, {k: v for k, v in record.items() if k is not None and v not in (None, "")})
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Raw(number, {"line": line.rstrip("\n")}, f"not a JSON object: {exc.msg}")
                continue
            if not isinstance(record, dict):
                yield Raw(number, {"line": line.rstrip("\n")}, "not a JSON object")
                continue
            yield Raw(number, record)


def _row(raw: Raw, *, csv_data: bool) -> Row:
    number, fields = raw.number, {k: v for k, v in raw.fields.items() if k != NOTE_FIELD}
    if raw.problem is not None:
        raise RowError(number, raw.problem)
    if csv_data and "data" in fields:
        try:
            fields["data"] = json.loads(fields["data"])
        except json.JSONDecodeError as exc:
            raise RowError(number, f"data is not JSON: {exc.msg}") from None
    unknown = sorted(set(fields) - ROW_FIELDS)
    if unknown:
        raise RowError(number, f"unknown fields: {', '.join(unknown)}")
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise RowError(number, f"missing fields: {', '.join(missing)}")
    if not isinstance(fields["data"], dict):
        raise RowError(number, "data must be a JSON object")
    for name in ("pack", "type", "at", "prev", "id"):
        if name in fields and not isinstance(fields[name], str):
            raise RowError(number, f"{name} must be text")
    try:
        from_rfc3339(fields["at"])
    except ValueError:
        raise RowError(number, f"at must be RFC 3339 UTC with whole seconds and Z, found {fields['at']!r}") from None
    return Row(
        number, fields["pack"], fields["type"], fields["at"], fields["data"], fields.get("prev"), fields.get("id")
    )


def read_rows(path: Path) -> list[Row]:
    """Every row of the file, checked; RowError names the first bad row."""
    csv_data = path.suffix.lower() == ".csv"
    return [_row(raw, csv_data=csv_data) for raw in _raw_rows(path)]


def claim_id(actor: str, row: Row) -> str:
    """The claim id of a row without an `id`: UUID5 of the organisation and the row's event in RFC 8785
    canonical JSON (the row's number and file play no part; see the module's doc)."""
    event: dict[str, Any] = {
        "pack": row.pack,
        "type": row.type,
        "at": to_rfc3339(from_rfc3339(row.at)),
        "data": row.data,
    }
    if row.prev is not None:
        event["prev"] = row.prev
    return str(uuid.uuid5(CLAIM_ID_NAMESPACE, actor + "\n" + canonical(event).decode("utf-8")))


def legacy_claim_id(actor: str, source: str, row: int) -> str:
    """The claim id an older `packtrace submit` (before issue 19) gave a row without an `id`: a UUID5 of the
    organisation, the file's name and the row's number. Only to finish a file such a version began."""
    return str(uuid.uuid5(LEGACY_CLAIM_ID_NAMESPACE, f"{actor}\n{source}\n{row}"))


def signed_event(row: Row, signer: Signer, *, legacy_source: str | None = None) -> dict[str, Any]:
    """The POST body of a row, with its claim id: the row's `id`, else `claim_id` (or, given
    `legacy_source`, the file name an older version derived ids from, `legacy_claim_id`)."""
    derived = (
        legacy_claim_id(signer.actor, legacy_source, row.number)
        if legacy_source is not None
        else claim_id(signer.actor, row)
    )
    return signer.sign(row.pack, row.type, row.data, at=from_rfc3339(row.at), claim_id=row.id or derived, prev=row.prev)


def signed_events(rows: list[Row], signer: Signer) -> list[dict[str, Any]]:
    return [signed_event(row, signer) for row in rows]


def refused_file_for(path: Path) -> Path:
    """Where the refused rows of `path` go by default: `incidents.csv` → `incidents.refused.csv`."""
    return path.with_name(f"{path.stem}.refused{path.suffix}")


def submit_file(
    path: Path,
    signer: Signer,
    post: Callable[[Sequence[Mapping[str, Any]]], list[dict[str, Any]]],
    *,
    batch_size: int = 1_000,
    refused_file: Path | None = None,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    legacy_ids: bool = False,
) -> tuple[Summary, Path | None]:
    """Post every row of `path` (see the module's doc); the summary, and the file the refused rows were
    written to (None when none was refused). `post` posts one batch, raising Rejected for item refusals;
    any other error it raises stops the run as Stopped (what was recorded before it stays recorded).
    `legacy_ids`: derive ids from the file name and row number, as versions before issue 19 did."""
    csv_data = path.suffix.lower() == ".csv"
    try:
        raws = list(_raw_rows(path))
    except UnicodeDecodeError as exc:
        raise FileError(f"{path} is not UTF-8 text (byte {exc.start}): save it as UTF-8 and run again") from None
    except csv.Error as exc:
        raise FileError(f"{path} is not a CSV file this reads: {exc}") from None
    summary = Summary(rows=len(raws))
    refused: dict[int, Refusal] = {}
    pending: list[tuple[Raw, dict[str, Any]]] = []
    seen: dict[str, dict[str, Any]] = {}
    for raw in raws:
        try:
            row = _row(raw, csv_data=csv_data)
            body = signed_event(row, signer, legacy_source=path.name if legacy_ids else None)
        except RowError as exc:
            refused[raw.number] = Refusal(raw.number, "invalid_row", str(exc).removeprefix(f"row {raw.number}: "))
            continue
        except ValueError as exc:  # a claim the client cannot make (a bad id or code)
            refused[raw.number] = Refusal(raw.number, "invalid_claim", str(exc))
            continue
        earlier = seen.get(body["claim"]["id"])
        if earlier is None:
            seen[body["claim"]["id"]] = body
            pending.append((raw, body))
        elif earlier == body:
            summary.already += 1
        else:
            refused[raw.number] = Refusal(
                raw.number, "claim_id_reused", "an earlier row has this id with other content"
            )
    done = len(raws) - len(pending)
    on_progress(done, len(raws))
    claims = [body["claim"] for _, body in pending]
    offset = 0
    while offset < len(pending):
        end = batch_end(claims, offset, batch_size, MAX_BATCH)
        try:
            recorded, already, failed = _post_batch(post, pending[offset:end])
        except Exception as exc:
            raise Stopped(summary, exc) from exc
        summary.recorded += recorded
        summary.already += already
        refused.update((r.row, r) for r in failed)
        done += end - offset
        on_progress(done, len(raws))
        offset = end
    summary.refused = [refused[number] for number in sorted(refused)]
    if not summary.refused:
        return summary, None
    target = refused_file or refused_file_for(path)
    _write_refused(target, [raw for raw in raws if raw.number in refused], refused, csv_data=csv_data)
    return summary, target


def _post_batch(
    post: Callable[[Sequence[Mapping[str, Any]]], list[dict[str, Any]]], batch: list[tuple[Raw, dict[str, Any]]]
) -> tuple[int, int, list[Refusal]]:
    """Post a batch, setting aside the items it is refused for until what is left is accepted (or nothing
    is left): (recorded, already recorded, refused)."""
    failed: list[Refusal] = []
    while batch:
        try:
            results = post([body for _, body in batch])
        except Rejected as exc:
            bad = {p: item for item in exc.items if 0 <= (p := int(item.get("position", -1))) < len(batch)}
            if not bad:
                raise exc.error from None
            failed += [
                Refusal(batch[p][0].number, str(item.get("code", "refused")), str(item.get("detail", "")))
                for p, item in sorted(bad.items())
            ]
            batch = [item for p, item in enumerate(batch) if p not in bad]
            continue
        created = sum(1 for result in results if result["created"])
        return created, len(results) - created, failed
    return 0, 0, failed


def _write_refused(target: Path, raws: list[Raw], refused: Mapping[int, Refusal], *, csv_data: bool) -> None:
    if csv_data:
        columns = ["pack", "type", "at", "data", "prev", "id"]
        extra = sorted({k for raw in raws for k in raw.fields} - set(columns) - {NOTE_FIELD})
        with target.open("w", newline="", encoding="utf-8-sig") as handle:  # spreadsheets read the Chinese
            writer = csv.DictWriter(handle, fieldnames=[*columns, *extra, NOTE_FIELD], extrasaction="ignore")
            writer.writeheader()
            for raw in raws:
                writer.writerow({**raw.fields, NOTE_FIELD: str(refused[raw.number])})
        return
    with target.open("w", encoding="utf-8") as handle:
        for raw in raws:
            record = {**raw.fields, NOTE_FIELD: str(refused[raw.number])}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
