"""Benchmark the daily call lists of 5 campaigns under the contact policy.

On a fresh database of ``--customers`` customers (``benchmarks/campaign_operator.py``:
SQLite in its own ``TELCRM_HOME`` under ``--work``, or with ``--database-url`` a
PostgreSQL database ``telcrm_bench_lists`` created on that server and dropped at the
end), each stage runs in its own child process, so that each peak memory is the
stage's own:

1. **operator**: ``migrate``, then the customers and their facts in bulk SQL, 200
   agents with 80 calls a day each;
2. **campaigns**: five outbound-call campaigns created, submitted, approved by a
   supervisor (the member draw with its stratified control group, timed) and started,
   through the real services;
3. **baseline**: ``may_contact`` one customer at a time (the path of the moment of
   contact) on ``--sample`` members of the broadest campaign, at the list build's
   stage and moment, in one transaction rolled back at the end;
4. **lists**: ``call_lists_build(day=...)``: each campaign's waiting members, higher
   priority first, decided in call order in batches (``may_contact_many``, each decision
   logged) until the allowed ones fill the seats left, and dealt over the seats.

It prints the list build's seconds (wall and CPU) per campaign and in total, the
members waiting and decided, decisions per second, denials per rule, queued per
campaign, peak memory, the approval (member draw) times, and two ratios to the
baseline: decisions per second, and the build's time against the time the baseline
would take to decide every member waiting (what a build without the seat bound
would have to do). Then it checks every count, every logged
decision and every queued customer against what the builder's truth says
(``expected_lists``, ``list_disagreements``) and fails if they differ.

``make bench`` runs 100,000 customers (about a minute); a million takes half an hour
on the development machine, most of it building the operator and drawing the target
lists (docs/benchmarks.md):

    python -m benchmarks.bench_call_lists --customers 1000000 [--database-url URL]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.child import peak_mib
from telcrm.campaigns.choices import PolicyRule

STAGES = ("operator", "campaigns", "baseline", "lists")
PG_DATABASE = "telcrm_bench_lists"
# The rules that can deny on a list (rule 1 cannot: only active campaigns are
# listed), in the policy's order: the report's columns.
RULES = tuple(
    rule
    for rule in PolicyRule.values
    if rule not in (PolicyRule.CAMPAIGN_ACTIVE, PolicyRule.ALLOWED)
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--sample", type=int, default=2_000, help="customers of the baseline"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (its database is not touched); default SQLite",
    )
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the list build"
    )
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.child:
        run_child(args)
        return
    engine = "postgresql" if args.database_url else "sqlite"
    home = (args.work / f"call-lists-{args.customers}-{engine}").resolve()
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    url = pg_database_create(args.database_url) if args.database_url else ""
    try:
        figures = {stage: stage_in_child(args, stage, home, url) for stage in STAGES}
    finally:
        if args.database_url:
            pg_database_drop(args.database_url)
    report(args, engine, figures)
    if not figures["lists"]["agrees"]:
        raise SystemExit("the lists differ from the builder's truth (see above)")


def pg_database_create(server_url: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')
        server.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return server_url.rsplit("/", 1)[0] + "/" + PG_DATABASE


def pg_database_drop(server_url: str) -> None:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')


def stage_in_child(
    args: argparse.Namespace, stage: str, home: Path, url: str
) -> dict[str, Any]:
    """Run one stage in a child process; its figures are the JSON it prints last
    (its progress goes to stderr, straight through)."""
    env = {
        **os.environ,
        "TELCRM_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "telcrm.settings.base",
    }
    env.pop("DATABASE_URL", None)
    if url:
        env["DATABASE_URL"] = url
    command = [
        sys.executable, "-m", "benchmarks.bench_call_lists", "--child", stage,
        "--home", str(home), "--customers", str(args.customers),
        "--sample", str(args.sample),
    ]  # fmt: skip
    if args.profile:
        command.append("--profile")
    print(f"  {stage} ...", file=sys.stderr, flush=True)
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
    if result.returncode:
        sys.stdout.write(result.stdout)
        raise SystemExit(f"stage {stage} failed ({result.returncode})")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def cpu_seconds() -> float:
    """User and system time of this process so far (the database work of SQLite
    included; PostgreSQL's server works in processes of its own)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def run_child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    stage = {
        "operator": stage_operator,
        "campaigns": stage_campaigns,
        "baseline": stage_baseline,
        "lists": stage_lists,
    }[args.child]
    figures = stage(args)
    figures["peak_rss_mib"] = peak_mib()
    print(json.dumps(figures))


def stage_operator(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    from benchmarks.campaign_operator import operator_build, operator_save

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated, cpu_began = time.perf_counter(), cpu_seconds()
    op = operator_build(customers=args.customers, progress=True)
    built = time.perf_counter()
    operator_save(op, args.home)
    return {
        "migrate_seconds": migrated - began,
        "seconds": built - migrated,
        "cpu_seconds": cpu_seconds() - cpu_began,
        "rows": op.rows,
        "capacity": op.capacity,
        "agents": len(op.agent_ids),
    }


def stage_campaigns(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.campaign_operator import campaigns_launch, operator_load

    op = operator_load(args.home)
    began = time.perf_counter()
    launched = campaigns_launch(op)
    seconds = time.perf_counter() - began
    rows = [asdict(campaign) for campaign in launched]
    (args.home / "campaigns.json").write_text(json.dumps(rows))
    return {"seconds": seconds, "campaigns": rows}


def launched_campaigns(home: Path) -> list[Any]:
    from benchmarks.campaign_operator import Launched

    rows = json.loads((home / "campaigns.json").read_text())
    return [Launched(**row) for row in rows]


def stage_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """``may_contact`` customer by customer, as at the moment of contact, but at the
    list build's stage and moment, with the policy's parameters loaded once."""
    import numpy as np
    from django.db import transaction

    from benchmarks.campaign_operator import AT
    from telcrm.campaigns.choices import DecisionStage
    from telcrm.campaigns.models import Campaign, CampaignMember
    from telcrm.campaigns.policy import may_contact, policy_config_load

    broadest = max(launched_campaigns(args.home), key=lambda c: c.members)
    campaign = Campaign.objects.get(pk=broadest.campaign_id)
    members = np.array(
        CampaignMember.objects.filter(campaign=campaign)
        .exclude(group="control")
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
    )
    rng = np.random.default_rng(1)
    sample = rng.choice(members, min(args.sample, len(members)), replace=False)
    rules: Counter[str] = Counter()
    with transaction.atomic():
        config = policy_config_load()
        began, cpu_began = time.perf_counter(), cpu_seconds()
        for customer_id in sample.tolist():
            decision = may_contact(
                customer_id,
                campaign,
                campaign.channel,
                AT,
                stage=DecisionStage.LIST_BUILD,
                config=config,
            )
            rules[decision.rule] += 1
        seconds, cpu = time.perf_counter() - began, cpu_seconds() - cpu_began
        transaction.set_rollback(True)
    return {
        "campaign": campaign.code,
        "decisions": len(sample),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rules": dict(rules),
    }


def stage_lists(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.campaign_operator import (
        DAY,
        expected_lists,
        list_disagreements,
        operator_load,
    )
    from telcrm.campaigns import lists
    from telcrm.campaigns.models import CampaignMember, ContactDecision

    seconds_of: dict[str, float] = {}
    build_one = lists._campaign_list

    def timed(campaign: Any, *rest: Any) -> Any:
        began = time.perf_counter()
        result = build_one(campaign, *rest)
        seconds_of[campaign.code] = time.perf_counter() - began
        return result

    lists._campaign_list = timed  # type: ignore[assignment]
    rss_before = peak_mib()
    profiler = cProfile.Profile() if args.profile else None
    began, cpu_began = time.perf_counter(), cpu_seconds()
    if profiler:
        profiler.enable()
    report = lists.call_lists_build(day=DAY)
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - began, cpu_seconds() - cpu_began
    lists._campaign_list = build_one
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    peak = peak_mib()

    checked = time.perf_counter()
    op = operator_load(args.home)
    expected = {e.code: e for e in expected_lists(op, launched_campaigns(args.home))}
    agrees = True
    for result in report.results:
        logged = dict(
            ContactDecision.objects.filter(
                campaign__code=result.code, stage="list_build"
            ).values_list("customer_id", "rule")
        )
        queued = set(
            CampaignMember.objects.filter(
                campaign__code=result.code, state="queued"
            ).values_list("customer_id", flat=True)
        )
        for problem in list_disagreements(
            result, expected[result.code], logged, queued
        ):
            agrees = False
            print(f"{result.code}: {problem}", file=sys.stderr)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "capacity": report.capacity,
        "results": [
            {
                "code": r.code,
                "eligible": r.eligible,
                "decided": r.decided,
                "allowed": r.allowed,
                "queued": r.queued,
                "denied": dict(r.denied),
                "seconds": seconds_of.get(r.code, 0.0),
            }
            for r in report.results
        ],
        "decisions_logged": ContactDecision.objects.filter(stage="list_build").count(),
        "rss_before_mib": rss_before,
        "build_peak_rss_mib": peak,
        "check_seconds": time.perf_counter() - checked,
        "agrees": agrees,
    }


def report(args: argparse.Namespace, engine: str, figures: dict[str, Any]) -> None:
    built, launched = figures["operator"], figures["campaigns"]
    baseline, built_lists = figures["baseline"], figures["lists"]
    print(
        f"call lists under the contact policy: {args.customers:,} customers, "
        f"{engine}, {built['agents']} agents, {built['capacity']:,} calls a day"
    )
    print(
        f"operator: migrate {built['migrate_seconds']:.1f} s, bulk build "
        f"{built['seconds']:.1f} s (CPU {built['cpu_seconds']:.1f} s; "
        f"{sum(built['rows'].values()):,} rows), "
        f"peak {built['peak_rss_mib']:,.0f} MiB"
    )
    print(f"{'campaign':<10} {'prio':>4} {'target':>9} {'control':>8} {'approve s':>9}")
    for c in launched["campaigns"]:
        print(
            f"{c['code']:<10} {c['priority']:>4} {c['members']:>9,} "
            f"{c['control']:>8,} {c['approve_seconds']:>9.1f}"
        )
    print(
        f"campaigns created, approved and started in {launched['seconds']:.1f} s, "
        f"peak {launched['peak_rss_mib']:,.0f} MiB"
    )
    results = built_lists["results"]
    waiting = sum(r["eligible"] for r in results)
    decisions = sum(r["decided"] for r in results)
    rate = decisions / built_lists["seconds"]
    print(
        f"list build: {built_lists['seconds']:.1f} s (CPU "
        f"{built_lists['cpu_seconds']:.1f} s) for {waiting:,} members waiting, "
        f"{decisions:,} decided ({rate:,.0f} decisions/s), "
        f"{built_lists['decisions_logged']:,} logged; "
        f"peak {built_lists['build_peak_rss_mib']:,.0f} MiB "
        f"(before the build {built_lists['rss_before_mib']:,.0f} MiB)"
    )
    header = " ".join(f"{rule[:11]:>11}" for rule in RULES)
    print(
        f"{'campaign':<10} {'waiting':>9} {'decided':>9} {'allowed':>9} "
        f"{'queued':>7} {'seconds':>7} {'dec/s':>8} {header}"
    )
    total: Counter[str] = Counter()
    for r in results:
        total.update(r["denied"])
        per_rule = " ".join(f"{r['denied'].get(rule, 0):>11,}" for rule in RULES)
        speed = r["decided"] / r["seconds"] if r["seconds"] else 0.0
        print(
            f"{r['code']:<10} {r['eligible']:>9,} {r['decided']:>9,} "
            f"{r['allowed']:>9,} {r['queued']:>7,} {r['seconds']:>7.1f} "
            f"{speed:>8,.0f} {per_rule}"
        )
    per_rule = " ".join(f"{total.get(rule, 0):>11,}" for rule in RULES)
    queued = sum(r["queued"] for r in results)
    allowed = sum(r["allowed"] for r in results)
    print(
        f"{'all':<10} {waiting:>9,} {decisions:>9,} {allowed:>9,} {queued:>7,} "
        f"{built_lists['seconds']:>7.1f} {rate:>8,.0f} {per_rule}"
    )
    one_rate = baseline["decisions"] / baseline["seconds"]
    print(
        f"baseline: may_contact one customer at a time, {baseline['decisions']:,} "
        f"members of {baseline['campaign']}: {baseline['seconds']:.1f} s "
        f"(CPU {baseline['cpu_seconds']:.1f} s), {one_rate:,.0f} decisions/s: "
        f"{decisions / one_rate:,.0f} s for the members the build decided, "
        f"{waiting / one_rate:,.0f} s for every member waiting"
    )
    print(
        f"build / baseline: {rate / one_rate:.1f} times the decisions per second; "
        f"{waiting / one_rate / built_lists['seconds']:.0f} times faster than the "
        f"baseline deciding every member waiting"
    )
    verdict = "agree" if built_lists["agrees"] else "DIFFER"
    print(
        f"lists and the builder's truth: {verdict} "
        f"(checked in {built_lists['check_seconds']:.1f} s)"
    )


if __name__ == "__main__":
    main()
