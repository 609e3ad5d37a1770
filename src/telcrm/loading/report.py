"""The accounting of a load: per file, read = loaded + rejected + already present."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Rejection:
    """A row that was not loaded, with the place and the reason."""

    file: str
    line: int
    field: str
    reason: str
    row: dict[str, str]


@dataclass
class FileReport:
    """What happened to the rows of one file."""

    path: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    already_present: int = 0

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.rejected + self.already_present


@dataclass
class LoadReport:
    """All files of one load, and every rejected row."""

    files: list[FileReport] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def file(self, path: str) -> FileReport:
        report = FileReport(path)
        self.files.append(report)
        return report

    def reject(self, report: FileReport, rejection: Rejection) -> None:
        report.rejected += 1
        self.rejections.append(rejection)

    def write_rejections(self, path: Path) -> None:
        """Keep the rejected rows, so an administrator can fix and re-submit them."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "line", "field", "reason", "row"])
            for item in self.rejections:
                raw = "|".join(f"{key}={value}" for key, value in item.row.items())
                writer.writerow([item.file, item.line, item.field, item.reason, raw])
