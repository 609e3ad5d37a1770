"""The file-based model registry: round trips, numbering, approval, tampering."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import lightgbm
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from telcrm_pipeline.models.registry import (
    ModelRegistry,
    TamperedArtifactError,
)

WINDOW = (date(2026, 6, 1), date(2026, 11, 30))


def _register(registry: ModelRegistry, kind: str, model: object) -> int:
    return registry.register(
        kind,
        model,
        training_window=WINDOW,
        features=["tenure", "arpu"],
        quality={"auc": 0.81},
        evaluated_on={"split": "time", "holdout": "2026-11"},
    ).version


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    return x, (x[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)


def test_joblib_round_trip_and_manifest(tmp_path: Path) -> None:
    x, y = _data()
    model = LogisticRegression().fit(x, y)
    registry = ModelRegistry(tmp_path)
    stored = registry.register(
        "churn", model, training_window=WINDOW, features=["tenure", "arpu"],
        quality={"auc": 0.81}, evaluated_on={"split": "time"},
    )  # fmt: skip
    assert stored.version == 1
    assert stored.artifact_format == "joblib"
    assert stored.training_window == WINDOW
    assert stored.features == ["tenure", "arpu"]
    assert stored.quality == {"auc": 0.81}
    assert "numpy" in stored.libraries and "python" in stored.libraries
    manifest = json.loads((tmp_path / "churn/v0001/manifest.json").read_text())
    assert manifest["sha256"] == stored.sha256 and len(stored.sha256) == 64
    loaded = registry.load(stored)
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_lightgbm_booster_is_saved_in_its_own_format(tmp_path: Path) -> None:
    x, y = _data()
    booster = lightgbm.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1},
        lightgbm.Dataset(x, y),
        num_boost_round=5,
    )
    registry = ModelRegistry(tmp_path)
    stored = registry.version("churn", _register(registry, "churn", booster))
    assert stored.artifact == "model.lgb.txt"
    loaded = registry.load(stored)
    assert np.allclose(loaded.predict(x), booster.predict(x))


def test_versions_are_numbered_per_kind(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    assert [_register(registry, "churn", {"n": i}) for i in range(3)] == [1, 2, 3]
    assert _register(registry, "fraud", {"n": 0}) == 1
    # A version whose manifest never got written (a crash) is not listed, and its
    # number is not reused.
    (tmp_path / "churn/v0004").mkdir()
    assert [v.version for v in registry.versions("churn")] == [1, 2, 3]
    assert _register(registry, "churn", {"n": 9}) == 5
    assert registry.versions("bad_debt") == []


def test_approval_is_recorded_and_selects_the_version(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    for i in range(2):
        _register(registry, "churn", {"n": i})
    assert registry.approved("churn") is None
    registry.approve("churn", 2, by="analyst.li", note="AUC 0.81 on November")
    registry.approve("churn", 1, by="head.wang", note="roll back: drift in v2")
    approved = registry.approved("churn")
    assert approved is not None and approved.version == 1
    assert registry.load(approved) == {"n": 0}
    history = registry.approvals("churn")
    assert [(a.version, a.by) for a in history] == [(2, "analyst.li"), (1, "head.wang")]
    assert history[1].note == "roll back: drift in v2"
    assert history[0].at.endswith("+00:00")
    with pytest.raises(LookupError, match="no model churn version 7"):
        registry.approve("churn", 7, by="x", note="")
    with pytest.raises(ValueError, match="approver's name"):
        registry.approve("churn", 1, by=" ", note="")


def test_a_tampered_artifact_is_refused(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    stored = registry.version(
        "churn", _register(registry, "churn", {"weights": [1, 2]})
    )
    with stored.artifact_path.open("ab") as stream:
        stream.write(b"\0")
    refused = "churn version 1: .* changed after registration"
    with pytest.raises(TamperedArtifactError, match=refused):
        registry.load(stored)


def test_bad_kinds_and_windows_are_refused(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    with pytest.raises(ValueError, match=r"model kind '\.\./x'"):
        registry.versions("../x")
    with pytest.raises(ValueError, match="starts after it ends"):
        registry.register(
            "churn", {}, training_window=(WINDOW[1], WINDOW[0]), features=[],
            quality={}, evaluated_on={},
        )  # fmt: skip
