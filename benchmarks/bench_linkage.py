"""Identity linkage: records per second and pairwise quality on a generated operator.

Generates an operator of ``--customers`` customers (one month), then runs two linkers,
each in its own child process (so the peak memory reported is the linker's own):

1. ``linkage``: ``records_from_silos`` + ``predict_links`` (model training included)
   + ``cluster_links`` on the exact_id, source_reference and auto decisions;
2. ``baseline``: ``records_from_silos`` + a naive deterministic linker that joins
   records with the same name and the same ID number (both present).

Both are scored against ``truth/identities.csv`` with ``pairwise_metrics``; the model
is also scored without the known links (records alone), as a system without source
references would run it.

    python -m benchmarks.bench_linkage [--customers 20000] [--seed 11]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.child import figures_from_child, peak_mib
from telcrm_pipeline.linkage import (
    cluster_links,
    pairwise_metrics,
    predict_links,
    records_from_silos,
    truth_entities,
)
from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

STAGES = ("linkage", "baseline")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--operator", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def naive_clusters(records: list[dict[str, str | None]]) -> dict[str, str]:
    """Same name and same ID number (both present) -> one cluster; else alone."""
    first: dict[tuple[str, str], str] = {}
    clusters = {}
    for row in records:
        rid = str(row["record_id"])
        if row["name"] and row["id_number"]:
            clusters[rid] = first.setdefault((row["name"], row["id_number"]), rid)
        else:
            clusters[rid] = rid
    return clusters


def run_linkage(operator: Path) -> dict[str, object]:
    began = time.perf_counter()
    records, known = records_from_silos(operator / "silos")
    read = time.perf_counter()
    pairs = predict_links(records, known)
    predicted = time.perf_counter()
    ids = records.column("record_id").to_pylist()
    clusters = cluster_links(ids, pairs)
    done = time.perf_counter()
    truth = truth_entities(operator / "truth")
    model_only = cluster_links(ids, predict_links(records))
    return {
        "records": records.num_rows,
        "known_links": known.num_rows,
        "seconds": done - began,
        "read_s": read - began,
        "predict_s": predicted - read,
        "cluster_s": done - predicted,
        "decisions": dict(Counter(pairs.column("decision").to_pylist())),
        "metrics": pairwise_metrics(clusters, truth).__dict__,
        "model_only": pairwise_metrics(model_only, truth).__dict__,
    }


def run_baseline(operator: Path) -> dict[str, object]:
    began = time.perf_counter()
    records, _ = records_from_silos(operator / "silos")
    clusters = naive_clusters(
        records.select(["record_id", "name", "id_number"]).to_pylist()
    )
    done = time.perf_counter()
    truth = truth_entities(operator / "truth")
    return {
        "records": records.num_rows,
        "seconds": done - began,
        "metrics": pairwise_metrics(clusters, truth).__dict__,
    }


def run_child(args: argparse.Namespace) -> None:
    """Run one stage and print its figures as JSON."""
    stage = {"linkage": run_linkage, "baseline": run_baseline}[args.child]
    figures = stage(args.operator)
    figures["peak_rss_mib"] = peak_mib()
    print(json.dumps(figures))


def in_child(stage: str, operator: Path) -> dict:
    options = ["--child", stage, "--operator", str(operator)]
    return figures_from_child("benchmarks.bench_linkage", options)


def quality(metrics: dict) -> str:
    return (
        f"precision {metrics['precision']:.4f}  recall {metrics['recall']:.4f}  "
        f"f1 {metrics['f1']:.4f}  (right {metrics['true_positive_pairs']:,} of "
        f"{metrics['predicted_pairs']:,} predicted, "
        f"{metrics['true_pairs']:,} true pairs)"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench_linkage_") as tmp:
        operator = Path(tmp) / "operator"
        generate_operator(
            GeneratorConfig(
                customers=args.customers, months=1, seed=args.seed, out=operator
            )
        )
        linkage = in_child("linkage", operator)
        baseline = in_child("baseline", operator)
    rate = linkage["records"] / linkage["seconds"]
    baseline_rate = baseline["records"] / baseline["seconds"]
    decisions = linkage["decisions"]
    print(f"customers, seed         {args.customers:,}, {args.seed}")
    print(f"records (3 silos)       {linkage['records']:,}")
    print(f"known links             {linkage['known_links']:,}")
    print(f"linkage elapsed         {linkage['seconds']:.1f} s")
    print(
        f"  read / predict / clus {linkage['read_s']:.1f} s / "
        f"{linkage['predict_s']:.1f} s / {linkage['cluster_s']:.1f} s"
    )
    print(f"linkage records/s       {rate:,.0f}")
    print(f"peak memory (child)     {linkage['peak_rss_mib']:,.0f} MiB")
    print(
        "pairs by decision       "
        + ", ".join(f"{d} {decisions.get(d, 0):,}" for d in sorted(decisions))
    )
    print(f"linkage quality         {quality(linkage['metrics'])}")
    print(f"model only (no refs)    {quality(linkage['model_only'])}")
    print(f"baseline elapsed        {baseline['seconds']:.1f} s")
    print(f"baseline records/s      {baseline_rate:,.0f}")
    print(f"baseline peak memory    {baseline['peak_rss_mib']:,.0f} MiB")
    print(f"baseline quality        {quality(baseline['metrics'])}")
    print(f"linkage / baseline      {rate / baseline_rate:.2f} (records/s)")


if __name__ == "__main__":
    main()
