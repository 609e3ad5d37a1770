"""The accounting of an import: per file, read = loaded + quarantined + duplicates."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Rejection:
    """A row that was not loaded, with the place and the reason (for the quarantine)."""

    file: str
    kind: str
    line: int
    field: str
    reason: str
    row: dict[str, str]


@dataclass
class FileReport:
    """What happened to the rows of one file.

    ``duplicates`` are rows already in the store (an earlier run loaded them) or
    repeated identically within the file: counted, never loaded twice.
    """

    path: str
    kind: str
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    duplicates: int = 0

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.duplicates

    def as_json(self) -> dict[str, str | int]:
        return {
            "path": self.path,
            "kind": self.kind,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
        }


@dataclass
class LoadReport:
    """All files of one import, and every row sent to quarantine."""

    files: list[FileReport] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def file(self, path: str, kind: str) -> FileReport:
        report = FileReport(path, kind)
        self.files.append(report)
        return report

    def reject(self, report: FileReport, rejection: Rejection) -> None:
        report.quarantined += 1
        self.rejections.append(rejection)
