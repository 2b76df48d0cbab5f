"""docs/lifecycle.md shows the diagram generated from events.lifecycle.TRANSITIONS, not a stale copy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from events.lifecycle import main, mermaid_diagram

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "lifecycle.md"


def test_the_documented_diagram_is_the_generated_one() -> None:
    blocks = re.findall(r"```mermaid\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 1, "docs/lifecycle.md should hold exactly one mermaid block"
    assert blocks[0] == mermaid_diagram(), (
        "docs/lifecycle.md is out of date: regenerate it with `python -m events.lifecycle --mermaid`"
    )


def test_the_module_prints_the_diagram() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "events.lifecycle", "--mermaid"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert printed.stdout == mermaid_diagram()
    assert printed.stderr == ""


def test_the_diagram_has_every_table_edge() -> None:
    diagram = mermaid_diagram()
    assert diagram.startswith("stateDiagram-v2\n    [*] --> produced : produced\n    [*] --> in_stock : arrived\n")
    assert "    in_vehicle --> in_stock : removed, swapped (out)\n" in diagram
    assert "    in_stock --> in_vehicle : installed (vin), swapped (in)\n" in diagram
    assert "    in_stock --> in_storage_system : installed (site)\n" in diagram
    assert "    in_transit --> retired : received (once retired)\n" in diagram
    assert "    in_vehicle --> in_stock : removed (once retired)" not in diagram  # unreachable once retired
    assert diagram.endswith(
        "    repurposed --> [*]\n    recycled --> [*]\n    in_lot --> [*]\n    transferred --> [*]\n"
    )


def test_without_the_flag_the_module_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    assert "--mermaid" in capsys.readouterr().out
