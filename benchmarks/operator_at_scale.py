"""A generated operator of a million customers in PostgreSQL, for the web load run.

Importing a million customers through ``telcrm import`` would take over an hour on
this machine (row validation in Python, about 230 customers a second with everything
they hold, docs/benchmarks.md "Import, end to end"). So the operator is built in two
steps:

1. **Seed**: ``telcrm generate``, ``telcrm setup``, ``telcrm import`` and
   ``telcrm pipeline run`` on ``seed_customers`` customers: the real commands, so the
   seed holds everything a real import and run write (parties, contacts, customers,
   groups, accounts, lines, bills, payments, monthly usage, interactions, scores, fraud
   flags).
2. **Copies**: the seed's rows are copied in SQL ``copies - 1`` times, each copy a
   different set of customers: primary and foreign keys shifted by a per-table stride,
   business numbers (customer, account, line, bill, payment, group node, interaction)
   given the copy's number, phone and service numbers replaced by fresh numbers of
   the same prefix, resident ID numbers by other valid ID numbers (encrypted, with
   their blind index), group trees moved under new roots. Every copy is searchable by
   its own phone, ID number and customer number, and its 360 page is as rich as the
   seed's.

Left out of the copies, because neither search nor the 360 page reads them: bill
items, the ``simple_history`` tables, source keys of the linkage and the seed's
import and linkage ledgers. Organisations' credit codes are left empty in the copies.

    python -m benchmarks.operator_at_scale --database-url postgres://... --home DIR
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

SEED_CUSTOMERS = 10_000
SEED_MONTHS = 4
SEED = 5
# The largest copy number must fit the two digits business numbers are given.
MAX_COPIES = 100
# Treebeard's materialised path: steps of 4 base-36 characters (MP_Node defaults).
PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PATH_STEP = 4
# The digits of a phone or service number a copy replaces (the rest is its prefix).
SUBSCRIBER_DIGITS = 6
# GB 11643 check digit weights and characters.
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = "10X98765432"

# Tables copied, parents first, and how each unique business number is made unique.
COPIED_TABLES = (
    "parties_party",
    "parties_individual",
    "parties_organization",
    "parties_contactmedium",
    "customers_customer",
    "customers_interaction",
    "customers_consent",
    "accounts_groupnode",
    "accounts_billingaccount",
    "accounts_serviceaccount",
    "inventory_subscription",
    "billing_bill",
    "billing_payment",
    "usage_lineusagemonth",
    "analytics_customerscore",
    "analytics_fraudflag",
)
NUMBERED_COLUMNS = {
    ("customers_customer", "customer_number"),
    ("customers_interaction", "reference"),
    ("accounts_groupnode", "node_number"),
    ("accounts_billingaccount", "account_number"),
    ("accounts_serviceaccount", "account_number"),
    ("inventory_subscription", "subscription_id"),
    ("billing_bill", "bill_number"),
    ("billing_payment", "payment_number"),
}
# Columns holding a phone in E.164 (+86...) or a service number in national form.
E164_COLUMNS = {
    ("parties_contactmedium", "phone"),
    ("accounts_billingaccount", "contact_phone"),
}
NATIONAL_COLUMNS = {
    ("inventory_subscription", "service_number"),
    ("analytics_fraudflag", "service_number"),
}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed-customers", type=int, default=SEED_CUSTOMERS)
    args = parser.parse_args(argv)
    build_operator(
        database_url=args.database_url,
        home=args.home,
        customers=args.customers,
        seed_customers=args.seed_customers,
    )


def build_operator(
    *, database_url: str, home: Path, customers: int, seed_customers: int
) -> None:
    """Seed with the real commands, then copy up to about ``customers`` customers."""
    copies = max(1, round(customers / seed_customers))
    if copies > MAX_COPIES:
        raise SystemExit(f"at most {MAX_COPIES} copies of the seed: raise the seed")
    seed_operator(database_url=database_url, home=home, customers=seed_customers)
    run_in_django(database_url, home, "copy", str(copies))


def telcrm_env(database_url: str, home: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "TELCRM_HOME": str(home)}


def seed_operator(*, database_url: str, home: Path, customers: int) -> None:
    """The seed operator through the real commands, into an empty database."""
    telcrm = str(Path(sys.executable).with_name("telcrm"))
    env = telcrm_env(database_url, home)
    out = home / "generated"
    steps = [
        [telcrm, "generate", "--out", str(out), "--customers", str(customers),
         "--months", str(SEED_MONTHS), "--seed", str(SEED)],
        [telcrm, "setup"],
        [telcrm, "import", str(out / "silos")],
        [telcrm, "pipeline", "run"],
    ]  # fmt: skip
    for step in steps:
        print("  $", " ".join(step[1:]), flush=True)
        subprocess.run(step, env=env, check=True, stdout=subprocess.DEVNULL)


def run_in_django(database_url: str, home: Path, *args: str) -> None:
    """Run this module's Django part in a child process pointed at the database."""
    command = [sys.executable, "-m", "benchmarks.operator_at_scale", "--django", *args]
    subprocess.run(command, env=telcrm_env(database_url, home), check=True)


# --- The copies (inside Django, on PostgreSQL) ---------------------------------------


def copy_seed(copies: int) -> None:
    """Copy every seed row ``copies - 1`` times, then refresh sequences and stats."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        strides = table_strides(cursor)
        print(f"  copying the seed {copies - 1} times", flush=True)
        write_number_map(cursor, copies)
        write_individual_ids(cursor, copies)
        write_group_roots(cursor, copies)
        for table in COPIED_TABLES:
            cursor.execute(copy_statement(table, strides), [copies - 1])
            print(f"    {table}: {cursor.rowcount:,} rows", flush=True)
        for table in COPIED_TABLES:
            pk = primary_key_column(table)
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f"(SELECT max({pk}) FROM {table}))",
                [table, pk],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def table_model(table: str) -> Any:
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    raise LookupError(table)


def primary_key_column(table: str) -> str:
    return str(table_model(table)._meta.pk.column)


def table_strides(cursor: Any) -> dict[str, int]:
    """Per table, the amount copy k adds k times to the seed's keys (max + 1)."""
    strides = {}
    for table in COPIED_TABLES:
        cursor.execute(
            f"SELECT coalesce(max({primary_key_column(table)}), 0) + 1 FROM {table}"
        )
        strides[table] = int(cursor.fetchone()[0])
    return strides


def copy_statement(table: str, strides: dict[str, int]) -> str:
    """``INSERT ... SELECT`` of every seed row of ``table`` for copies 1..N (%s)."""
    model = table_model(table)
    columns, values = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        values.append(copied_value(table, field, strides))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {table} AS t "
        f"CROSS JOIN generate_series(1, %s) AS k "
        f"WHERE t.{model._meta.pk.column} < {strides[table]}"
    )


def copied_value(table: str, field: Any, strides: dict[str, int]) -> str:
    """The SQL expression of one column of copy ``k`` of the seed row ``t``."""
    column = f"t.{field.column}"
    if field.is_relation:
        target = field.related_model._meta.db_table
        if target in strides:
            return f"{column} + k * {strides[target]}"
        return column
    if field.primary_key:
        return f"{column} + k * {strides[table]}"
    key = (table, field.column)
    if key in NUMBERED_COLUMNS:
        # C100000001 -> C07100000001: the copy's two digits after the first letter.
        return f"left({column}, 1) || lpad(k::text, 2, '0') || substr({column}, 2)"
    if key in E164_COLUMNS or key in NATIONAL_COLUMNS:
        return (
            f"coalesce((SELECT m.new FROM bench_number_map AS m "
            f"WHERE m.copy = k AND m.old = {column}), {column})"
        )
    if table == "parties_individual" and field.column in (
        "id_number",
        "id_number_index",
    ):
        return (
            f"(SELECT i.{field.column} FROM bench_individual_ids AS i "
            f"WHERE i.copy = k AND i.party_id = t.party_id)"
        )
    if table == "parties_organization" and field.column == "uscc":
        return "NULL"
    if table == "accounts_groupnode" and field.column == "path":
        return (
            f"(SELECT r.new FROM bench_group_roots AS r WHERE r.copy = k "
            f"AND r.old = left({column}, {PATH_STEP})) || substr({column}, "
            f"{PATH_STEP + 1})"
        )
    return column


def copy_rows(
    cursor: Any, table: str, columns: str, rows: list[tuple[Any, ...]]
) -> None:
    """A temporary helper table filled with COPY (psycopg's copy protocol)."""
    cursor.execute(f"CREATE TEMPORARY TABLE {table} ({columns}) ON COMMIT DROP")
    with cursor.copy(f"COPY {table} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    names = [column.split()[0] for column in columns.split(",")]
    keys = [name for name in names if name in ("copy", "old", "party_id")]
    cursor.execute(f"CREATE INDEX ON {table} ({', '.join(keys)})")
    cursor.execute(f"ANALYZE {table}")


def seed_phone_numbers(cursor: Any) -> dict[str, list[str]]:
    """Every phone and service number of the seed, as written, by its E.164 form
    (a line's ``0571...`` and a contact's ``+86571...`` are one number)."""
    from telcrm.lib.phones import InvalidPhoneNumber, phone_normalize

    forms: dict[str, list[str]] = {}
    for table, column in sorted(E164_COLUMNS | NATIONAL_COLUMNS):
        cursor.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} <> ''")
        for (written,) in cursor.fetchall():
            try:
                number = phone_normalize(written)
            except InvalidPhoneNumber:  # a broadband account's service number
                number = written
            if written not in forms.setdefault(number, []):
                forms[number].append(written)
    return forms


def write_number_map(cursor: Any, copies: int) -> None:
    """Fresh numbers per copy: same prefix, other subscriber digits, never reused;
    every written form of a number gets the same new digits."""
    rng = np.random.default_rng(SEED)
    forms = seed_phone_numbers(cursor)
    used = set(forms)
    rows = []
    space = 10**SUBSCRIBER_DIGITS
    for number in sorted(forms):
        prefix, digits = number[:-SUBSCRIBER_DIGITS], number[-SUBSCRIBER_DIGITS:]
        if not digits.isdigit():
            raise ValueError(f"{number!r} does not end in {SUBSCRIBER_DIGITS} digits")
        draws = iter(rng.integers(space, size=4 * copies).tolist())
        for copy in range(1, copies):
            new = number
            while new in used:
                new = f"{prefix}{next(draws):0{SUBSCRIBER_DIGITS}d}"
            used.add(new)
            for written in forms[number]:
                rows.append(
                    (
                        copy,
                        written,
                        written[:-SUBSCRIBER_DIGITS] + new[-SUBSCRIBER_DIGITS:],
                    )
                )
    copy_rows(cursor, "bench_number_map", "copy int, old text, new text", rows)


def write_individual_ids(cursor: Any, copies: int) -> None:
    """Per copy, another valid resident ID for each person (order code moved on by
    10 per copy, which keeps the gender digit), encrypted, with its blind index."""
    from telcrm.core.fields import field_keyring
    from telcrm.parties.selectors import resident_id_index

    keyring = field_keyring()
    cursor.execute("SELECT party_id, id_number FROM parties_individual")
    rows = []
    for party_id, token in cursor.fetchall():
        body = keyring.decrypt(token)[:17] if token else ""
        for copy in range(1, copies):
            number = other_resident_id(body, copy) if body else ""
            rows.append((
                copy,
                party_id,
                keyring.encrypt(number) if number else "",
                resident_id_index(number) if number else "",
            ))  # fmt: skip
    copy_rows(
        cursor,
        "bench_individual_ids",
        "copy int, party_id bigint, id_number text, id_number_index text",
        rows,
    )


def other_resident_id(body: str, copy: int) -> str:
    """The 17-digit ``body`` with its order code moved on by ``10 * copy``, checked."""
    order = (int(body[14:17]) + 10 * copy) % 1000
    moved = f"{body[:14]}{order:03d}"
    check = int(np.dot([int(c) for c in moved], ID_WEIGHTS)) % 11
    return moved + ID_CHECK[check]


def write_group_roots(cursor: Any, copies: int) -> None:
    """Each copy's trees under roots numbered after every existing root."""
    cursor.execute(
        "SELECT DISTINCT left(path, %s) FROM accounts_groupnode ORDER BY 1", [PATH_STEP]
    )
    roots = [root for (root,) in cursor.fetchall()]
    last = max((from_base36(root) for root in roots), default=0)
    rows = []
    for copy in range(1, copies):
        for index, root in enumerate(roots):
            rows.append(
                (copy, root, to_base36(last + (copy - 1) * len(roots) + index + 1))
            )
    copy_rows(cursor, "bench_group_roots", "copy int, old text, new text", rows)


def from_base36(step: str) -> int:
    return int(step, 36)


def to_base36(number: int) -> str:
    digits = ""
    for _ in range(PATH_STEP):
        number, digit = divmod(number, len(PATH_ALPHABET))
        digits = PATH_ALPHABET[digit] + digits
    if number:
        raise ValueError("too many group roots for a 4-character path step")
    return digits


def write_targets(path: Path, count: int) -> None:
    """``count`` random people to look for, with the keys an agent would type."""
    from telcrm.customers.models import Customer
    from telcrm.lib.phones import phone_national
    from telcrm.parties.choices import ContactKind

    people = (
        Customer.objects.filter(
            merged_into__isnull=True,
            party__individual__isnull=False,
            party__contact_media__kind=ContactKind.PHONE,
            party__contact_media__is_primary=True,
        )
        .order_by("?")
        .values_list(
            "customer_number", "party__name", "party__contact_media__phone",
            "party__individual__id_number",
        )[:count]
    )  # fmt: skip
    targets = [
        {"customer_number": number, "name": name, "phone": phone_national(phone),
         "id_number": id_number}
        for number, name, phone, id_number in people
    ]  # fmt: skip
    path.write_text(json.dumps(targets, ensure_ascii=False))


def django_main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings.base")
    import django

    django.setup()
    if argv[0] == "copy":
        copy_seed(int(argv[1]))
    elif argv[0] == "targets":
        write_targets(Path(argv[1]), int(argv[2]))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--django"]:
        django_main(sys.argv[2:])
    else:
        main(sys.argv[1:])
