"""`packtrace label CODE… --pdf FILE --png DIR --svg DIR`, reading the packs from the configured database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.bootstrap import build_ledger
from api.cli import app as cli
from api.settings import Settings
from events.orgs import Role
from ledger.log import Ledger
from tests.api.parties import make_party
from tests.api.scenario import PRODUCED, code
from tests.labels_api.images import pdf_pages, read_qr, svg_image
from tests.labels_api.world import PUBLIC_URL, url_of

runner = CliRunner()


@pytest.fixture
def recorded(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Three packs produced by the maker, in the database the CLI's settings name."""
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", PUBLIC_URL + "/")
    ledger: Ledger = build_ledger(Settings())
    try:
        maker = make_party(ledger, Role.MANUFACTURER)
        codes = [code(serial) for serial in (1, 2, 3)]
        bodies = [maker.claim(c, "produced", PRODUCED) for c in codes]
        ledger.append([(body["claim"], body["sig"]) for body in bodies])
        yield codes
    finally:
        ledger.close()
        ledger.engine.dispose()


def test_labels_to_pdf_png_and_svg(tmp_path: Path, recorded: list[str]) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        [
            "label",
            *recorded,
            recorded[0],
            "--pdf",
            str(out / "sheet.pdf"),
            "--png",
            str(out / "png"),
            "--svg",
            str(out / "svg"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "OK: 7 file(s) for 3 pack(s)" in result.stderr
    [page] = pdf_pages((out / "sheet.pdf").read_bytes())
    assert sorted(read_qr(page)) == sorted(url_of(c) for c in [*recorded, recorded[0]])
    for pack in recorded:
        assert read_qr((out / "png" / f"{pack}.png").read_bytes()) == [url_of(pack)]
        assert read_qr(svg_image((out / "svg" / f"{pack}.svg").read_bytes())) == [url_of(pack)]
        assert str(out / "png" / f"{pack}.png") in result.stdout
    assert "The manufacturer" in (out / "svg" / f"{recorded[0]}.svg").read_text()


def test_an_unknown_code_writes_nothing(tmp_path: Path, recorded: list[str]) -> None:
    result = runner.invoke(cli, ["label", recorded[0], code(9), "--png", str(tmp_path / "png")])
    assert result.exit_code == 1
    assert f"unknown_pack: unknown pack(s): {code(9)}" in result.stderr
    assert not (tmp_path / "png").exists()


def test_an_output_is_required(recorded: list[str]) -> None:
    result = runner.invoke(cli, ["label", recorded[0]])
    assert result.exit_code == 2
    assert "give --pdf FILE, --png DIR and/or --svg DIR" in result.stderr
