"""Benchmark scoring: churn probabilities and reasons in words for ``--rows`` customers.

Trains the operator churn model on a generated operator (1,500 customers, six months;
the same model ``telcrm pipeline run`` trains), then scores ``--rows`` customer rows
drawn with replacement from its latest month, each stage in its own child process:

1. **predict**: LightGBM's bare ``predict`` of the trees' log-odds (the floor);
2. **score**: ``score_latest_month``: calibrated probabilities, SHAP contributions
   (``pred_contrib``) and up to three reasons in words per customer, sorted.

    python -m benchmarks.bench_scoring --rows 1000000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.child import figures_from_child, print_stage_figures, print_stage_rows

STAGES = ("predict", "score")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def prepare(work: Path, rows: int) -> None:
    """Train on a generated operator; write the model and ``rows`` rows to score."""
    import warnings

    import joblib

    from telcrm_pipeline.features import cdr_table, duckdb_backend
    from telcrm_pipeline.models.operator_churn import (
        train_operator_churn,
        training_table,
    )
    from telcrm_pipeline.sample import sample_operator

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    operator = sample_operator(work / "operator", customers=1500, months=6, seed=5)
    con = duckdb_backend()
    table = training_table(con, operator.data, cdr_table(con, operator.store))
    trained = train_operator_churn(table)
    joblib.dump(trained.model, work / "model.joblib")
    latest = table[table["month"] == table["month"].max()].drop(
        columns="churned_next_month"
    )
    many = latest.sample(n=rows, replace=True, random_state=0, ignore_index=True)
    many["customer"] = [f"C{i:09d}" for i in range(rows)]
    many.to_parquet(work / "customers.parquet")


def run_child(args: argparse.Namespace) -> None:
    import joblib
    import pandas as pd

    from telcrm_pipeline.models.operator_churn import feature_matrix, score_latest_month

    model = joblib.load(args.work / "model.joblib")
    customers = pd.read_parquet(args.work / "customers.parquet")
    if args.child == "predict":
        X = feature_matrix(customers)[model.feature_names_]
        print_stage_figures(lambda: len(model.raw_score(X)))
    else:
        print_stage_figures(lambda: len(score_latest_month(model, customers)))


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        work = Path(tmp)
        prepare(work, args.rows)
        figures = {
            stage: figures_from_child(
                "benchmarks.bench_scoring", ["--child", stage, "--work", str(work)]
            )
            for stage in STAGES
        }
    print(f"scoring {args.rows:,} customers (churn probability and reasons)")
    print_stage_rows(args.rows, figures, STAGES)
    ratio = figures["score"]["seconds"] / figures["predict"]["seconds"]
    print(f"score / bare predict: {ratio:.1f}")


if __name__ == "__main__":
    main()
