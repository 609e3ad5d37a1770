"""`telcrm churn evaluate` (the Typer app on its own; no Django involved)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from telcrm.churn_cli import churn_app

IBM_CSV = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "telco_churn_ibm"
    / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
)


@pytest.mark.skipif(
    not IBM_CSV.is_file(), reason=f"IBM churn table not found at {IBM_CSV}"
)
def test_evaluate_prints_the_cross_validated_figures_as_json() -> None:
    result = CliRunner().invoke(
        churn_app,
        [
            "evaluate",
            "--data",
            str(IBM_CSV),
            "--target",
            "Churn",
            "--id",
            "customerID",
            "--folds",
            "3",
            "--capacity",
            "500",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert list(figures)[:5] == [
        "auc",
        "top_decile_lift",
        "accuracy",
        "log_loss",
        "brier",
    ]
    assert (figures["rows"], figures["positives"], figures["folds"]) == (7043, 1869, 3)
    assert 0.84 <= figures["auc"] <= 0.90
    assert figures["auc"] == round(figures["auc"], 4)
    assert len(figures["fold_auc"]) == 3
    assert figures["capacity"] == 500
    assert 0.0 < figures["precision_at_capacity"] <= 1.0
    assert sum(b["count"] for b in figures["calibration"]) == 7043


def test_evaluate_names_the_file_line_and_value_of_a_bad_target(
    tmp_path: Path,
) -> None:
    data = tmp_path / "customers.csv"
    data.write_text("id,tenure,Churn\na,1,Yes\nb,2,No\nc,3,maybe\n")
    result = CliRunner().invoke(
        churn_app, ["evaluate", "--data", str(data), "--target", "Churn", "--json"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {data}, line 4: column 'Churn': target value 'maybe' in row 3 "
        "is not yes/no, true/false, 1/0 or y/n\n"
    )


def test_evaluate_names_the_file_and_a_missing_target_column(tmp_path: Path) -> None:
    data = tmp_path / "customers.csv"
    data.write_text("id,tenure,Churn\na,1,Yes\n")
    result = CliRunner().invoke(
        churn_app, ["evaluate", "--data", str(data), "--target", "churned"]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {data}: no target column 'churned' (columns: id, tenure, Churn)\n"
    )
