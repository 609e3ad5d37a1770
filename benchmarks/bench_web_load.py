"""Benchmark the staff web app under load: search and the customer 360 page.

On a generated operator of ``--customers`` customers in PostgreSQL
(``benchmarks/operator_at_scale.py``), ``telcrm serve`` runs as it does for staff
(one waitress process, or ``--workers N`` gunicorn processes) and Locust, in a second
process on loopback, plays
``--users`` call-centre agents who log in and then find a customer (by phone, customer
number, ID number or name) and open their 360 page, over and over. Three phases of
``--seconds`` each, with the same users:

1. **baseline**: the landing page only (login, session, middleware and a template,
   no customer data), paced like the agents;
2. **paced**: the agents, each waiting ``--wait`` seconds between two actions (a busy
   agent; people read what they open);
3. **saturated**: the agents with no wait at all: the most the server gives.

It prints p50/p95/p99 latency and throughput per request, and the ratios to the
baseline measured in the same run. Needs a PostgreSQL server: ``--database-url`` or
``DATABASE_URL`` (its database is not touched; the operator goes into a database of
its own, ``telcrm_load_<customers>``, kept with ``--work`` for the next run).

    python -m benchmarks.bench_web_load --customers 1000000 [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.operator_at_scale import build_operator, run_in_django

USERNAME = "load-agent"
PASSWORD = "a load test passphrase 7"  # noqa: S105 (a local benchmark user)
TARGETS = 5_000
LOCUST_FILE = Path(__file__).with_name("web_load_users.py")
PHASES = (
    ("baseline", "baseline", "paced"),
    ("paced", "agent", "paced"),
    ("saturated", "agent", "none"),
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--wait", default="1-2", help="seconds between two actions")
    parser.add_argument(
        "--threads", type=int, help="threads per process (telcrm serve's default)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="telcrm serve --workers (processes)"
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--work", type=Path, default=Path("var/bench/web-load"))
    parser.add_argument("--rebuild", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse(argv)
    if not (args.database_url or "").startswith(("postgres://", "postgresql://")):
        print("skipped: needs a PostgreSQL server (--database-url or DATABASE_URL)")
        return
    home = args.work / f"home-{args.customers}"
    database_url = operator_database(args, home)
    targets = home / "targets.json"
    run_in_django(database_url, home, "targets", str(targets), str(TARGETS))
    port = free_port()
    with serving(database_url, home, port, args.threads, args.workers):
        results = {
            phase: run_locust(args, port, targets, home / phase, user, pacing)
            for phase, user, pacing in PHASES
        }
    report(args, results)


def operator_database(args: argparse.Namespace, home: Path) -> str:
    """The URL of the load operator's database, built unless it is there already."""
    import psycopg

    name = f"telcrm_load_{args.customers}"
    database_url = args.database_url.rsplit("/", 1)[0] + "/" + name
    ready = home / "ready.json"
    with psycopg.connect(args.database_url, autocommit=True) as server:
        exists = server.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and ready.exists() and not args.rebuild:
            print(f"reusing {name}: {ready.read_text().strip()}")
            return database_url
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    began = time.perf_counter()
    print(f"building an operator of {args.customers:,} customers in {name}")
    build_operator(
        database_url=database_url,
        home=home,
        customers=args.customers,
        seed_customers=min(args.customers, 10_000),
    )
    staff_password = home / "load-agent.password"
    staff_password.write_text(PASSWORD + "\n")
    staff_password.chmod(0o600)
    telcrm = str(Path(sys.executable).with_name("telcrm"))
    subprocess.run(
        [telcrm, "user", "add", USERNAME, "--role", "agent",
         "--password-file", str(staff_password)],
        env={**os.environ, "DATABASE_URL": database_url, "TELCRM_HOME": str(home)},
        check=True,
    )  # fmt: skip
    built = {"customers": count_customers(database_url), "seconds": elapsed(began)}
    ready.write_text(json.dumps(built) + "\n")
    print(f"built: {built}")
    return database_url


def count_customers(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM customers_customer").fetchone()
    return int(row[0]) if row else 0


def elapsed(began: float) -> float:
    return round(time.perf_counter() - began, 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class serving:
    """``telcrm serve`` in a child process for the length of a ``with`` block."""

    def __init__(
        self,
        database_url: str,
        home: Path,
        port: int,
        threads: int | None,
        workers: int,
    ) -> None:
        telcrm = str(Path(sys.executable).with_name("telcrm"))
        self.command = [telcrm, "serve", "--port", str(port), "--workers", str(workers)]
        if threads:
            self.command += ["--threads", str(threads)]
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TELCRM_HOME": str(home),
        }
        self.url = f"http://127.0.0.1:{port}/login/"
        self.log = (home / "serve.log").open("w")

    def __enter__(self) -> serving:
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        try:
            self.wait_until_answering()
        except BaseException:
            self.__exit__()
            raise
        return self

    def wait_until_answering(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url, timeout=30).close()  # noqa: S310 (http://127.0.0.1)
                return
            except OSError:  # refused while starting, or a timeout
                if self.process.poll() is not None:
                    raise RuntimeError("telcrm serve exited; see serve.log") from None
                time.sleep(0.5)
        raise RuntimeError("telcrm serve did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def run_locust(
    args: argparse.Namespace,
    port: int,
    targets: Path,
    out: Path,
    user: str,
    pacing: str,
) -> dict[str, dict[str, float]]:
    """One headless Locust phase; its figures per request name, from its CSV."""
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "LOAD_TARGETS": str(targets),
        "LOAD_USERNAME": USERNAME,
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_USER": user,
        "LOAD_WAIT": args.wait if pacing == "paced" else "0",
    }
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f", str(LOCUST_FILE), "--headless", "--only-summary",
        "--host", f"http://127.0.0.1:{port}",
        "--users", str(args.users), "--spawn-rate", str(args.users),
        # The first seconds log everyone in; the figures start after the last login.
        "--run-time", f"{args.seconds + 10}s",
        "--csv", str(out / "locust"),
    ]  # fmt: skip
    subprocess.run(command, env=env, check=False, capture_output=True)
    return read_stats(out / "locust_stats.csv")


def read_stats(path: Path) -> dict[str, dict[str, float]]:
    stats = {}
    with path.open(newline="") as rows:
        for row in csv.DictReader(rows):
            if row["Request Count"] == "0":  # the logins, before the figures began
                continue
            stats[row["Name"]] = {
                "requests": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
            }
    return stats


def report(args: argparse.Namespace, results: dict[str, Any]) -> None:
    print(
        f"{args.users} users, {args.seconds} s per phase, wait {args.wait} s "
        f"(paced), telcrm serve --workers {args.workers} "
        f"--threads {args.threads or 'default'}"
    )
    print(f"{'phase':<10} {'request':<26} {'requests':>9} {'fail':>5} "
          f"{'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")  # fmt: skip
    for phase, stats in results.items():
        for name, got in stats.items():
            if name.startswith("login"):
                continue
            print(
                f"{phase:<10} {name:<26} {got['requests']:>9,.0f} "
                f"{got['failures']:>5,.0f} {got['rps']:>7.1f} {got['p50']:>7.0f} "
                f"{got['p95']:>7.0f} {got['p99']:>7.0f}"
            )
    base = results["baseline"]["landing page"]
    for phase in ("paced", "saturated"):
        page = results[phase].get("360 page")
        if page:
            print(
                f"{phase}: 360 page p95 / landing page p95 = "
                f"{page['p95'] / base['p95']:.2f}; "
                f"all requests {results[phase]['Aggregated']['rps']:.1f} req/s"
            )
    paced = results["paced"]
    worst = max(
        got["p95"] for name, got in paced.items()
        if name == "360 page" or name.startswith("search")
    )  # fmt: skip
    verdict = "met" if worst < 150 else "not met"
    print(
        f"paced: worst p95 of search and 360 = {worst:.0f} ms (goal < 150: {verdict})"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
