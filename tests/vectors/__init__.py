"""The public conformance vectors the tests check against, carried by the repository (README.md here names
each file's source), so a plain clone runs its tests with nothing beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent


def load(name: str) -> Any:
    """The JSON vector file `name` of this folder."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))
