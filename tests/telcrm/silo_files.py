"""Editing generated silo files in tests (to corrupt a row, say)."""

from __future__ import annotations

import csv
from pathlib import Path


def rewrite(path: Path, edit: dict[int, dict[str, str]]) -> list[dict[str, str]]:
    """Change fields of data rows (0-based) in place; return the edited rows."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    for index, changes in edit.items():
        rows[index].update(changes)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return [rows[index] for index in edit]
