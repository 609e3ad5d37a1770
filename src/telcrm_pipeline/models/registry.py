"""A file-based model registry: versions per kind, manifests, approval, integrity.

Layout under ``root``::

    <kind>/v0001/model.joblib | model.lgb.txt   the artifact
    <kind>/v0001/manifest.json                  what, when, trained on, how good, sha256
    <kind>/approved.json                        the approved version, who and when,
                                                and every earlier approval

Every file is written to a temporary name and moved into place with ``os.replace``,
so a reader never sees half a file; a version directory becomes visible to
``versions`` only once its manifest is in place (the manifest is written last).
``load`` recomputes the artifact's sha256 and refuses a file that changed since
registration. Scoring code asks ``approved(kind)`` for the model to use. No Django:
the nightly pipeline runs with this alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

MANIFEST = "manifest.json"
APPROVAL = "approved.json"
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_VERSION_DIR = re.compile(r"^v(\d{4,})$")
_LIBRARIES = ("numpy", "pandas", "scikit-learn", "lightgbm", "joblib", "scipy")


class TamperedArtifactError(RuntimeError):
    """A stored artifact whose sha256 no longer matches its manifest."""


@dataclass(frozen=True)
class ModelVersion:
    """One registered model: its manifest, read back."""

    kind: str
    version: int
    directory: Path
    artifact: str
    artifact_format: str  # joblib | lightgbm
    sha256: str
    created_at: str
    training_window: tuple[date, date]
    features: list[str]
    quality: dict[str, Any]
    evaluated_on: dict[str, Any]
    libraries: dict[str, str]

    @property
    def artifact_path(self) -> Path:
        return self.directory / self.artifact


@dataclass(frozen=True)
class Approval:
    """Who approved which version when, and why."""

    version: int
    by: str
    at: str
    note: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush to disk, then replace."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    _write_atomically(path, text.encode("utf-8"))


def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _is_lightgbm_booster(model: object) -> bool:
    # Checked by name so that the registry does not import LightGBM for other models.
    cls = type(model)
    return cls.__module__.startswith("lightgbm") and cls.__name__ == "Booster"


class ModelRegistry:
    """Models by kind (``churn``, ``fraud``, ...), numbered 1, 2, ... per kind."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------ writing

    def register(
        self,
        kind: str,
        model: object,
        *,
        training_window: tuple[date, date],
        features: list[str],
        quality: dict[str, Any],
        evaluated_on: dict[str, Any],
    ) -> ModelVersion:
        """Store ``model`` as the next version of ``kind`` and return it.

        A LightGBM ``Booster`` is saved in LightGBM's own text format, anything else
        with joblib. ``quality`` (e.g. AUC, lift) and ``evaluated_on`` (the data and
        split it was measured on) must be JSON-serialisable.
        """
        self._check_kind(kind)
        start, end = training_window
        if start > end:
            raise ValueError(f"training window starts after it ends: {start} > {end}")
        kind_dir = self.root / kind
        kind_dir.mkdir(parents=True, exist_ok=True)
        version, directory = self._claim_next_version(kind_dir)
        if _is_lightgbm_booster(model):
            artifact, artifact_format = "model.lgb.txt", "lightgbm"
            text = model.model_to_string()  # type: ignore[attr-defined]
            _write_atomically(directory / artifact, text.encode("utf-8"))
        else:
            artifact, artifact_format = "model.joblib", "joblib"
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".model.")
            os.close(handle)
            joblib.dump(model, temporary)
            os.replace(temporary, directory / artifact)
        manifest = {
            "kind": kind,
            "version": version,
            "artifact": artifact,
            "artifact_format": artifact_format,
            "sha256": _sha256(directory / artifact),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "training_window": [start.isoformat(), end.isoformat()],
            "features": list(features),
            "quality": quality,
            "evaluated_on": evaluated_on,
            "libraries": _library_versions(),
        }
        _write_json(directory / MANIFEST, manifest)  # last: the version is complete
        return self._read_version(directory)

    def approve(self, kind: str, version: int, *, by: str, note: str) -> Approval:
        """Make ``version`` the one scoring uses, recording who approved it and when."""
        self._check_kind(kind)
        if not by.strip():
            raise ValueError("an approval needs the approver's name")
        self.version(kind, version)  # must exist
        approval = Approval(
            version=version,
            by=by,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            note=note,
        )
        path = self.root / kind / APPROVAL
        history = self._approval_file(kind).get("history", [])
        record = approval.__dict__.copy()
        _write_json(path, {"current": record, "history": [*history, record]})
        return approval

    # ------------------------------------------------------------------ reading

    def versions(self, kind: str) -> list[ModelVersion]:
        """Every complete version of ``kind``, oldest first."""
        self._check_kind(kind)
        kind_dir = self.root / kind
        if not kind_dir.is_dir():
            return []
        found = [
            self._read_version(d)
            for d in kind_dir.iterdir()
            if _VERSION_DIR.match(d.name) and (d / MANIFEST).is_file()
        ]
        return sorted(found, key=lambda v: v.version)

    def version(self, kind: str, version: int) -> ModelVersion:
        directory = self.root / kind / f"v{version:04d}"
        if not (directory / MANIFEST).is_file():
            raise LookupError(f"no model {kind} version {version} in {self.root}")
        return self._read_version(directory)

    def approval(self, kind: str) -> Approval | None:
        current = self._approval_file(kind).get("current")
        return Approval(**current) if current else None

    def approvals(self, kind: str) -> list[Approval]:
        """Every approval of ``kind``, oldest first."""
        return [Approval(**r) for r in self._approval_file(kind).get("history", [])]

    def approved(self, kind: str) -> ModelVersion | None:
        """The approved version of ``kind``, or None before any approval."""
        approval = self.approval(kind)
        return self.version(kind, approval.version) if approval else None

    def load(self, version: ModelVersion) -> Any:
        """The stored model, after checking its sha256 against the manifest."""
        path = version.artifact_path
        actual = _sha256(path)
        if actual != version.sha256:
            raise TamperedArtifactError(
                f"model {version.kind} version {version.version}: {path} has sha256 "
                f"{actual}, the manifest records {version.sha256}; the file changed "
                "after registration, refusing to load it"
            )
        if version.artifact_format == "lightgbm":
            import lightgbm

            return lightgbm.Booster(model_file=str(path))
        return joblib.load(path)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _check_kind(kind: str) -> None:
        if not _KIND.match(kind):
            raise ValueError(
                f"model kind {kind!r}: lower-case letters, digits, '_' or '-', "
                "starting with a letter"
            )

    @staticmethod
    def _claim_next_version(kind_dir: Path) -> tuple[int, Path]:
        """Create the next version's directory; ``mkdir`` fails if another writer
        took the number first, and then we try the one after."""
        taken = [
            int(m.group(1))
            for d in kind_dir.iterdir()
            if (m := _VERSION_DIR.match(d.name))
        ]
        version = max(taken, default=0) + 1
        while True:
            directory = kind_dir / f"v{version:04d}"
            try:
                directory.mkdir()
            except FileExistsError:
                version += 1
                continue
            return version, directory

    def _approval_file(self, kind: str) -> dict[str, Any]:
        path = self.root / kind / APPROVAL
        if not path.is_file():
            return {}
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded

    @staticmethod
    def _read_version(directory: Path) -> ModelVersion:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        start, end = manifest["training_window"]
        return ModelVersion(
            kind=manifest["kind"],
            version=int(manifest["version"]),
            directory=directory,
            artifact=manifest["artifact"],
            artifact_format=manifest["artifact_format"],
            sha256=manifest["sha256"],
            created_at=manifest["created_at"],
            training_window=(date.fromisoformat(start), date.fromisoformat(end)),
            features=list(manifest["features"]),
            quality=dict(manifest["quality"]),
            evaluated_on=dict(manifest["evaluated_on"]),
            libraries=dict(manifest["libraries"]),
        )
