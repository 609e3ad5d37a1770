"""A churn model family for any labelled customer table.

Grain of the input table: one row per customer (or per customer and month, for the
operator pipeline's monthly features); one column holds the label, one optional column
the customer's identifier, every other column is a feature.

* ``prepare_table`` turns such a table into features ``X`` (numbers stay numbers,
  numbers stored as text become numbers with NaN for blanks, other text becomes a
  pandas ``category`` for LightGBM's native categorical splits), a 0/1 target ``y``
  and the identifiers.
* ``ChurnModel`` is LightGBM gradient-boosted trees with early stopping on an inner
  validation split of the training data, then a calibration (Platt or isotonic) fitted
  on a further held-out part of the training data. ``reasons`` turns LightGBM's
  per-row SHAP contributions into readable phrases.
* ``quality_report`` measures predictions against outcomes (AUC, top-decile lift,
  accuracy, log-loss, Brier score, a calibration table, precision at capacity).
* ``cross_validate`` evaluates the whole recipe with stratified k-fold: every
  prediction it scores comes from a model that never saw that row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

__all__ = [
    "DEFAULT_PARAMS",
    "ChurnModel",
    "TargetError",
    "cross_validate",
    "out_of_fold_predictions",
    "parse_target",
    "prepare_table",
    "quality_report",
]

# Training runs on one thread (``n_jobs`` 1: reproducible to the bit); prediction
# answers each row on its own, so every core may share the rows (0: OpenMP's default).
PREDICT_THREADS = 0

POSITIVE = frozenset({"yes", "y", "true", "t", "1", "1.0"})
NEGATIVE = frozenset({"no", "n", "false", "f", "0", "0.0"})

# Shallow trees, a small learning rate and some regularisation: the IBM table has
# 7,043 rows, where deeper trees only learn noise. Picked beforehand, not tuned on the
# IBM folds: the figures in docs/churn-model.md are the first run with them.
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "n_estimators": 2000,  # an upper bound: early stopping picks the number of trees
    "num_leaves": 8,
    "max_depth": 3,
    "min_child_samples": 40,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 5.0,
    "cat_smooth": 20.0,
    "min_data_per_group": 50,
    "max_cat_to_onehot": 8,
    "n_jobs": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
EARLY_STOPPING_ROUNDS = 100


class TargetError(ValueError):
    """The target column is missing, blank or holds a value that is not yes/no.

    ``row`` is the 1-based data row (the header not counted), or None when the whole
    column is at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        column: str,
        row: int | None = None,
        value: object = None,
    ) -> None:
        super().__init__(message)
        self.column = column
        self.row = row
        self.value = value


def parse_target(values: pd.Series, *, column: str = "target") -> pd.Series:
    """0/1 integers from yes/no, true/false, 1/0 or y/n (case-insensitive).

    A blank or unknown value is a ``TargetError`` naming the first such row
    (1-based data row) and how many more there are. Blanks are refused rather than
    dropped: a customer without an outcome is a data problem to fix at the source.
    """
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.Series(np.full(len(values), -1, dtype=np.int8), index=values.index)
    parsed[text.isin(POSITIVE).fillna(False).to_numpy()] = 1
    parsed[text.isin(NEGATIVE).fillna(False).to_numpy()] = 0
    bad = np.flatnonzero(parsed.to_numpy() < 0)
    if len(bad):
        first = int(bad[0])
        raw = values.iloc[first]
        blank = pd.isna(raw) or not str(raw).strip()
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        if blank:
            message = f"column {column!r}: blank target in row {first + 1}{more}"
        else:
            message = (
                f"column {column!r}: target value {raw!r} in row {first + 1} is not "
                f"yes/no, true/false, 1/0 or y/n{more}"
            )
        raise TargetError(message, column=column, row=first + 1, value=raw)
    return parsed.astype(np.int64)


def _feature_column(values: pd.Series) -> pd.Series:
    """Numbers as floats (blanks NaN), booleans as 0/1, other text as a category."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    present = text.dropna()
    numbers = pd.to_numeric(present, errors="coerce")
    if len(present) and not numbers.isna().any():
        return pd.to_numeric(text, errors="coerce").astype("float64")
    return text.astype(object).astype("category")


def prepare_table(
    df: pd.DataFrame,
    *,
    target: str,
    id_column: str | None = None,
) -> tuple[pd.DataFrame, pd.Series, pd.Series | None]:
    """Split a labelled customer table into features, a 0/1 target and identifiers.

    The target and the identifier never become features; neither does any column
    that is a copy of the target (the same yes/no values, or their opposite), which
    is refused with a ``ValueError`` naming it, since it would leak the answer.
    """
    if target not in df.columns:
        raise TargetError(
            f"no target column {target!r} (columns: {', '.join(map(str, df.columns))})",
            column=target,
        )
    if id_column is not None and id_column not in df.columns:
        raise ValueError(f"no id column {id_column!r}")
    frame = df.reset_index(drop=True)
    y = parse_target(frame[target], column=target)
    ids = frame[id_column] if id_column is not None else None
    drop = [target] + ([id_column] if id_column is not None else [])
    features = frame.drop(columns=drop)
    if features.shape[1] == 0:
        raise ValueError("the table has no feature columns")
    X = pd.DataFrame({str(name): _feature_column(features[name]) for name in features})
    _refuse_target_copies(features, y)
    return X, y, ids


def _refuse_target_copies(features: pd.DataFrame, y: pd.Series) -> None:
    for name in features.columns:
        try:
            as_target = parse_target(features[name], column=str(name))
        except TargetError:
            continue
        if as_target.equals(y) or as_target.equals(1 - y):
            raise ValueError(
                f"column {name!r} is a copy of the target; drop it before training"
            )


@dataclass
class ChurnModel:
    """LightGBM trees, early-stopped and calibrated, all on the training data only.

    ``fit`` holds out ``calibration_fraction`` of the rows (stratified) for the
    calibration and ``validation_fraction`` of the rest for early stopping; the trees
    learn from what remains. ``calibration`` is ``"sigmoid"`` (Platt scaling of the
    trees' log-odds; keeps the ranking, so the AUC), ``"isotonic"`` or None.
    """

    params: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    calibration: Literal["sigmoid", "isotonic"] | None = "sigmoid"
    validation_fraction: float = 0.15
    calibration_fraction: float = 0.2
    seed: int = 0

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray) -> ChurnModel:
        target = np.asarray(y, dtype=np.int64)
        rows = np.arange(len(X))
        calibration_rows = np.array([], dtype=np.int64)
        if self.calibration is not None:
            rows, calibration_rows = train_test_split(
                rows,
                test_size=self.calibration_fraction,
                stratify=target,
                random_state=self.seed,
            )
        train_rows, valid_rows = train_test_split(
            rows,
            test_size=self.validation_fraction,
            stratify=target[rows],
            random_state=self.seed + 1,
        )
        self.feature_names_ = [str(c) for c in X.columns]
        settings = {**self.params, "random_state": self.seed}
        self.classifier_ = lgb.LGBMClassifier(**settings)
        self.classifier_.fit(
            X.iloc[train_rows],
            target[train_rows],
            eval_X=(X.iloc[valid_rows],),
            eval_y=(target[valid_rows],),
            eval_metric="binary_logloss",
            callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
        )
        self.best_iteration_ = int(self.classifier_.best_iteration_ or 0) or None
        self.calibrator_: IsotonicRegression | LogisticRegression | None = None
        if self.calibration is not None:
            scores = self.raw_score(X.iloc[calibration_rows])
            outcome = target[calibration_rows]
            if self.calibration == "isotonic":
                iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
                self.calibrator_ = iso.fit(scores, outcome)
            else:
                platt = LogisticRegression(C=1e6)
                self.calibrator_ = platt.fit(scores.reshape(-1, 1), outcome)
        return self

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """The trees' log-odds of churn (before calibration)."""
        return np.asarray(
            self.classifier_.predict(
                X[self.feature_names_],
                raw_score=True,
                num_iteration=self.best_iteration_,
                num_threads=PREDICT_THREADS,
            ),
            dtype=np.float64,
        )

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """The calibrated probability of churn, one per row (a 1-D array)."""
        scores = self.raw_score(X)
        if self.calibrator_ is None:
            return 1.0 / (1.0 + np.exp(-scores))
        if isinstance(self.calibrator_, IsotonicRegression):
            return np.asarray(self.calibrator_.predict(scores), dtype=np.float64)
        proba = self.calibrator_.predict_proba(scores.reshape(-1, 1))
        return np.asarray(proba[:, 1], dtype=np.float64)

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-row SHAP contributions to the log-odds, one column per feature plus
        ``bias``; each row sums to ``raw_score`` (TreeSHAP from LightGBM)."""
        values = np.asarray(
            self.classifier_.predict(
                X[self.feature_names_],
                pred_contrib=True,
                num_iteration=self.best_iteration_,
                num_threads=PREDICT_THREADS,
            ),
            dtype=np.float64,
        )
        return pd.DataFrame(
            values, columns=[*self.feature_names_, "bias"], index=X.index
        )

    def reasons(self, X: pd.DataFrame, top: int = 3) -> list[list[str]]:
        """Up to ``top`` phrases per row, strongest contribution first.

        E.g. "Contract = Month-to-month raises the risk", "tenure = 2 raises the risk",
        "TotalCharges = missing lowers the risk". Features that contribute nothing are
        left out.
        """
        contrib = self.contributions(X).drop(columns="bias")
        values = contrib.to_numpy()
        frame = X[self.feature_names_]
        phrases: list[list[str]] = []
        for i in range(len(frame)):
            order = np.argsort(-np.abs(values[i]), kind="stable")[:top]
            row: list[str] = []
            for j in order:
                if values[i, j] == 0.0:
                    continue
                name = self.feature_names_[j]
                effect = "raises" if values[i, j] > 0 else "lowers"
                value = _show(frame.iat[i, j])
                row.append(f"{name} = {value} {effect} the risk")
            phrases.append(row)
        return phrases


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if value is pd.NA:
        return "missing"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def quality_report(
    y_true: Sequence[int] | np.ndarray | pd.Series,
    p: Sequence[float] | np.ndarray,
    *,
    capacity: int | None = None,
) -> dict[str, Any]:
    """How well predicted probabilities ``p`` rank and estimate outcomes ``y_true``.

    * ``auc``: area under the ROC curve (ties count half).
    * ``top_decile_lift``: churn rate among the ``ceil(n / 10)`` highest scores over
      the overall churn rate (ties in score keep the input order).
    * ``accuracy``: share right when predicting churn for ``p >= 0.5``.
    * ``log_loss`` and ``brier``: the mean log-loss and squared error of ``p``.
    * ``calibration``: 10 equal-width bins of ``p`` (the last one closed), each with
      its row count, mean prediction and observed churn rate; empty bins have None.
    * ``precision_at_capacity``: the churn rate among the ``capacity`` highest scores
      (the customers a retention team can call), when ``capacity`` is given.
    """
    y = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(p, dtype=np.float64)
    if y.shape != proba.shape or y.ndim != 1:
        raise ValueError("y_true and p must be 1-D and of the same length")
    n = len(y)
    base_rate = float(y.mean())
    order = np.argsort(-proba, kind="stable")
    top = math.ceil(n / 10)
    lift = float(y[order[:top]].mean() / base_rate) if base_rate else float("nan")
    bins = np.minimum((proba * 10).astype(np.int64), 9)
    table = []
    for b in range(10):
        inside = bins == b
        count = int(inside.sum())
        table.append(
            {
                "bin": f"{b / 10:.1f}-{(b + 1) / 10:.1f}",
                "count": count,
                "mean_predicted": float(proba[inside].mean()) if count else None,
                "observed": float(y[inside].mean()) if count else None,
            }
        )
    report: dict[str, Any] = {
        "rows": n,
        "positives": int(y.sum()),
        "base_rate": base_rate,
        "auc": float(roc_auc_score(y, proba)),
        "top_decile_lift": lift,
        "accuracy": float(((proba >= 0.5).astype(np.int64) == y).mean()),
        "log_loss": float(log_loss(y, proba, labels=[0, 1])),
        "brier": float(brier_score_loss(y, proba)),
        "calibration": table,
    }
    if capacity is not None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        k = min(capacity, n)
        report["capacity"] = k
        report["precision_at_capacity"] = float(y[order[:k]].mean())
    return report


def out_of_fold_predictions(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    folds: int = 5,
    seed: int = 0,
    model: ChurnModel | None = None,
) -> tuple[np.ndarray, list[float]]:
    """Each row's probability from a model trained on the other folds, and each fold's
    AUC. ``model`` is the recipe (its parameters); it is copied for every fold."""
    target = np.asarray(y, dtype=np.int64)
    recipe = model or ChurnModel(seed=seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predictions = np.full(len(target), np.nan)
    fold_auc: list[float] = []
    for train, test in splitter.split(np.zeros(len(target)), target):
        fold_model = ChurnModel(
            params=dict(recipe.params),
            calibration=recipe.calibration,
            validation_fraction=recipe.validation_fraction,
            calibration_fraction=recipe.calibration_fraction,
            seed=recipe.seed,
        )
        fold_model.fit(X.iloc[train], target[train])
        predictions[test] = fold_model.predict_proba(X.iloc[test])
        fold_auc.append(float(roc_auc_score(target[test], predictions[test])))
    return predictions, fold_auc


def cross_validate(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    folds: int = 5,
    seed: int = 0,
    capacity: int | None = None,
    model: ChurnModel | None = None,
) -> dict[str, Any]:
    """Stratified k-fold: the ``quality_report`` of the out-of-fold predictions, plus
    ``folds``, ``seed`` and ``fold_auc`` (each fold's own AUC)."""
    predictions, fold_auc = out_of_fold_predictions(
        X, y, folds=folds, seed=seed, model=model
    )
    report = quality_report(np.asarray(y), predictions, capacity=capacity)
    report.update(folds=folds, seed=seed, fold_auc=fold_auc)
    return report
