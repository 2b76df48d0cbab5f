"""`packtrace submit` (issue 19): claim ids from the row's content and the organisation, so a renamed or
re-exported file records nothing twice and a new file under an old name collides with nothing; refused
rows set aside, written to a file, the rest recorded."""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.client import PacktraceClient, Signer
from api.submit import Row, claim_id, legacy_claim_id, read_rows, refused_file_for, signed_event
from tests.api.scenario import code
from tests.api.submitting import MAKER_ROW, Submitter, submitting

pytestmark = pytest.mark.served

AT = "2026-03-02T01:00:00Z"
INCIDENT = {"kind": "other", "severity": "low", "description": "跌落 dropped in the yard"}


@pytest.fixture
def maker(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Submitter]:
    with submitting(tmp_path, database_url, monkeypatch) as submitter:
        yield submitter


def produced(serial: int) -> dict[str, object]:
    return {"pack": code(serial), "type": "produced", "at": AT, "data": MAKER_ROW}


def incident(serial: int, at: str = "2026-03-02T02:00:00Z") -> dict[str, object]:
    return {"pack": code(serial), "type": "incident", "at": at, "data": INCIDENT}


def summary(recorded: int, already: int, refused: int, rows: int, file: Path) -> str:
    return f"{recorded} recorded, {already} already recorded, {refused} refused, from {rows} rows of {file}"


def test_the_same_rows_under_two_file_names_are_recorded_once(maker: Submitter) -> None:
    """The acceptance test of issue 19: "incidents (fixed).csv", a copy, records nothing again."""
    rows = [produced(1), produced(2), incident(1), incident(2)]
    first = maker.write_csv("incidents.csv", rows)
    assert maker.submit(first) == (0, f"OK: {summary(4, 0, 0, 4, first)}\n", "")
    copy = maker.dir / "incidents (fixed).csv"
    shutil.copy(first, copy)

    again = maker.submit(copy)

    assert again == (0, f"OK: {summary(0, 4, 0, 4, copy)}\n", "")
    assert [maker.chain_length(code(n)) for n in (1, 2)] == [2, 2]


def test_a_re_exported_file_records_nothing_twice(maker: Submitter) -> None:
    """Another order, another format, numbers spelt otherwise (60 for 60.0): the same events."""
    first = maker.write_csv("export-1.csv", [produced(1), incident(1)])
    assert maker.submit(first)[0] == 0
    reexport = maker.dir / "export-2.jsonl"
    spelt = {**MAKER_ROW, "rated_capacity_kwh": 60, "mass_kg": 380}
    rows = [incident(1), {**produced(1), "data": dict(reversed(list(spelt.items())))}]
    reexport.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")

    assert maker.submit(reexport) == (0, f"OK: {summary(0, 2, 0, 2, reexport)}\n", "")
    assert maker.chain_length(code(1)) == 2


def test_a_new_daily_file_under_an_old_name_collides_with_nothing(maker: Submitter) -> None:
    """Before issue 19 the ids came from the file name and row number: the next day's file of the same
    name was refused claim_id_reused row by row."""
    daily = maker.write_csv("daily.csv", [produced(1), produced(2)])
    assert maker.submit(daily)[0] == 0
    daily = maker.write_csv("daily.csv", [produced(3), produced(4)])

    assert maker.submit(daily) == (0, f"OK: {summary(2, 0, 0, 2, daily)}\n", "")
    assert [maker.chain_length(code(n)) for n in (1, 2, 3, 4)] == [1, 1, 1, 1]


def test_a_row_repeated_in_the_file_is_one_event(maker: Submitter) -> None:
    twice = maker.write_csv("twice.csv", [produced(1), produced(1)])
    assert maker.submit(twice) == (0, f"OK: {summary(1, 1, 0, 2, twice)}\n", "")
    assert maker.chain_length(code(1)) == 1


def test_two_incidents_alike_but_an_hour_apart_are_two_events(maker: Submitter) -> None:
    rows = [produced(1), incident(1, "2026-03-02T02:00:00Z"), incident(1, "2026-03-02T03:00:00Z")]
    file = maker.write_csv("two.csv", rows)
    assert maker.submit(file) == (0, f"OK: {summary(3, 0, 0, 3, file)}\n", "")
    assert maker.chain_length(code(1)) == 3


def test_refused_rows_are_written_to_a_file_and_the_others_recorded(maker: Submitter) -> None:
    bad = {**produced(2), "data": {**MAKER_ROW, "mass_kg": -1}}
    rows = [produced(1), bad, incident(2), incident(1)]  # the incident of pack 2 builds on its refused produced
    file = maker.write_csv("mixed.csv", rows)

    exit_code, out, err = maker.submit(file, "--batch-size", "10")

    refused = maker.dir / "mixed.refused.csv"
    assert exit_code == 1
    assert out == f"{summary(2, 0, 2, 4, file)}; refused rows written to {refused}\n"
    assert "row 2: invalid_payload: invalid 'produced' payload: data.mass_kg: Input should be greater than 0" in err
    assert "row 3: not_found: " in err
    with refused.open(newline="", encoding="utf-8-sig") as handle:
        written = list(csv.DictReader(handle))
    assert [(r["pack"], r["type"]) for r in written] == [(code(2), "produced"), (code(2), "incident")]
    assert written[0]["refused"].startswith("row 2: invalid_payload: invalid 'produced' payload: data.mass_kg:")
    assert written[1]["refused"].startswith("row 3: not_found: ")
    assert [maker.chain_length(code(n)) for n in (1, 2)] == [2, 0]

    fixed = refused.read_text(encoding="utf-8-sig").replace('""mass_kg"": -1', '""mass_kg"": 380.0')
    (maker.dir / "mixed (fixed).csv").write_text(fixed, encoding="utf-8")
    assert maker.submit(maker.dir / "mixed (fixed).csv")[0] == 0
    assert maker.chain_length(code(2)) == 2


def test_the_refused_file_can_be_named(maker: Submitter) -> None:
    file = maker.write_csv("one.csv", [{**produced(1), "at": "yesterday"}])
    target = maker.dir / "to-fix.csv"

    exit_code, out, err = maker.submit(file, "--refused-file", str(target))

    assert exit_code == 1
    assert out == f"{summary(0, 0, 1, 1, file)}; refused rows written to {target}\n"
    assert "row 1: invalid_row: at must be RFC 3339 UTC with whole seconds and Z, found 'yesterday'" in err
    assert target.exists() and not refused_file_for(file).exists()


def test_a_jsonl_line_that_is_no_object_is_refused_and_kept_as_it_was(maker: Submitter) -> None:
    file = maker.dir / "lines.jsonl"
    file.write_text(json.dumps(produced(1)) + "\n{not json\n[1, 2]\n", encoding="utf-8")

    exit_code, out, err = maker.submit(file)

    assert exit_code == 1 and out.startswith(summary(1, 0, 2, 3, file))
    assert "row 2: invalid_row: not a JSON object: Expecting property name enclosed in double quotes" in err
    assert "row 3: invalid_row: not a JSON object" in err
    written = [json.loads(line) for line in (maker.dir / "lines.refused.jsonl").read_text().splitlines()]
    assert [w["line"] for w in written] == ["{not json", "[1, 2]"]


def test_an_explicit_id_reused_with_other_content_in_the_file_is_refused(maker: Submitter) -> None:
    own = "0f0e0d0c-0b0a-4909-8807-060504030201"
    file = maker.write_csv("ids.csv", [{**produced(1), "id": own}, {**produced(2), "id": own}])

    exit_code, out, err = maker.submit(file)

    assert exit_code == 1 and out.startswith(summary(1, 0, 1, 2, file))
    assert "row 2: claim_id_reused: an earlier row has this id with other content" in err


def test_an_explicit_id_already_used_in_the_log_is_refused_by_the_server(maker: Submitter) -> None:
    own = "0f0e0d0c-0b0a-4909-8807-060504030201"
    assert maker.submit(maker.write_csv("a.csv", [{**produced(1), "id": own}]))[0] == 0

    exit_code, _, err = maker.submit(maker.write_csv("b.csv", [{**produced(2), "id": own}]))

    assert exit_code == 1 and "row 1: claim_id_reused: " in err


# -- the claim id, without a server -----------------------------------------------------------------------


def _row(number: int = 1, **changes: object) -> Row:
    fields: dict[str, object] = {"pack": code(1), "type": "produced", "at": AT, "data": dict(MAKER_ROW)}
    fields.update(changes)
    return Row(number, **fields)  # type: ignore[arg-type]


def test_the_claim_id_does_not_depend_on_the_row_number() -> None:
    assert claim_id("catl", _row(1)) == claim_id("catl", _row(977))


def test_the_claim_id_depends_on_the_organisation() -> None:
    assert claim_id("catl", _row()) != claim_id("calb", _row())


CHANGES: list[dict[str, object]] = [
    {"pack": code(2)},
    {"type": "incident"},
    {"at": "2026-03-02T01:00:01Z"},
    {"data": {**MAKER_ROW, "batch": "B1"}},
    {"prev": "0" * 64},
]


@pytest.mark.parametrize("change", CHANGES)
def test_the_claim_id_depends_on_every_part_of_the_event(change: dict[str, object]) -> None:
    assert claim_id("catl", _row(**change)) != claim_id("catl", _row())


def test_the_claim_id_does_not_depend_on_how_numbers_or_keys_are_written() -> None:
    spelt = {"mass_kg": 380, "nominal_voltage_v": 350, "rated_capacity_kwh": 60, "chemistry": "LFP"}
    assert claim_id("catl", _row(data=spelt)) == claim_id("catl", _row())


def test_an_id_column_is_the_claim_id(tmp_path: Path) -> None:
    signer = Signer("catl", "catl/1", Ed25519PrivateKey.generate())
    own = "0f0e0d0c-0b0a-4909-8807-060504030201"
    assert signed_event(_row(id=own), signer)["claim"]["id"] == own
    assert signed_event(_row(), signer)["claim"]["id"] == claim_id("catl", _row())


def test_the_refused_column_is_ignored_on_reading(tmp_path: Path) -> None:
    file = tmp_path / "back.csv"
    file.write_text(f'pack,type,at,data,refused\n{code(1)},produced,{AT},"{{}}","row 4: invalid_payload: …"\n')
    assert read_rows(file) == [Row(1, code(1), "produced", AT, {})]


def test_a_refused_token_stops_the_run_in_one_line(maker: Submitter) -> None:
    file = maker.write_csv("rows.csv", [produced(1)])
    maker.token = "pt_catl_not-the-token"

    exit_code, out, err = maker.submit(file)

    assert (exit_code, out) == (1, "")
    assert err.startswith("invalid_token (HTTP 401): ")
    assert err.endswith("; the server refused the token（令牌无效）: check --token or PACKTRACE_TOKEN\n")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_an_unreachable_server_stops_the_run_in_one_line(maker: Submitter) -> None:
    file = maker.write_csv("rows.csv", [produced(1)])
    maker.url = "http://127.0.0.1:9"  # discard: nothing listens

    exit_code, out, err = maker.submit(file)

    assert (exit_code, out) == (1, "")
    assert err.startswith("cannot reach http://127.0.0.1:9（无法连接服务器）: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_file_that_is_not_utf8_is_refused_whole(maker: Submitter) -> None:
    file = maker.dir / "gbk.csv"
    file.write_bytes(b"pack,type,at,data\n" + "宁德".encode("gbk") + b"\n")

    exit_code, out, err = maker.submit(file)

    assert (exit_code, out) == (1, "")
    assert err == f"{file} is not UTF-8 text (byte 18): save it as UTF-8 and run again\n"


def test_legacy_ids_are_the_ones_older_versions_made() -> None:
    """Before issue 19: UUID5 of the actor, the file name and the row number (the old api/submit.py)."""
    old_namespace = uuid.UUID("5b0f8a3e-6c1d-4f2a-9e77-2d1c0a9b8e45")
    assert legacy_claim_id("catl", "events.jsonl", 3) == str(uuid.uuid5(old_namespace, "catl\nevents.jsonl\n3"))


def test_a_file_an_older_version_began_is_finished_with_legacy_ids(maker: Submitter) -> None:
    file = maker.write_csv("daily.csv", [produced(1), produced(2)])
    signer = Signer.from_key_file(maker.key_file, actor="catl", key_id="catl/1")
    with PacktraceClient(maker.url, token=maker.token) as api:  # an older version posted the first row
        api.post_event(signed_event(read_rows(file)[0], signer, legacy_source="daily.csv"))

    assert maker.submit(file, "--legacy-ids") == (0, f"OK: {summary(1, 1, 0, 2, file)}\n", "")
    assert [maker.chain_length(code(n)) for n in (1, 2)] == [1, 1]
