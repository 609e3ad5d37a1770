"""``generate_operator``: the front door of the synthetic operator generator."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm_pipeline.silo_contract import SILO_COLUMNS as COLUMNS
from telcrm_pipeline.synthetic import (
    behaviour,
    billing,
    broadband,
    catalog,
    complaints,
    consents,
    crm,
    names,
    regions,
    truth,
)
from telcrm_pipeline.synthetic.cdr import CdrWriter
from telcrm_pipeline.synthetic.config import (
    GENERATOR_VERSION,
    GenerationReport,
    GeneratorConfig,
    component_rng,
)
from telcrm_pipeline.synthetic.lines import (
    NEVER,
    CallGraph,
    Lines,
    make_call_graph,
    make_lines,
)
from telcrm_pipeline.synthetic.population import (
    Customers,
    Groups,
    Staff,
    make_customers,
    make_staff,
)
from telcrm_pipeline.synthetic.usage import LineBook, make_line_book
from telcrm_pipeline.synthetic.writer import SiloWriter, days

Progress = Callable[[str, int, int], None]


@dataclass
class World:
    """Everything drawn before the CDRs: the operator's latent state."""

    staff: Staff
    customers: Customers
    groups: Groups
    lines: Lines
    graph: CallGraph
    events: behaviour.Events
    book: LineBook
    suspended: np.ndarray


def generate_operator(
    config: GeneratorConfig, progress: Progress | None = None
) -> GenerationReport:
    """Generate a synthetic operator: silos under ``out/silos``, truth in ``out/truth``.

    Parameters
    ----------
    config : GeneratorConfig
        Size, period, seed, output directory and encoding.
    progress : callable, optional
        Called as ``progress(stage, done, total)`` while work advances (per CDR day).

    Returns
    -------
    GenerationReport
        Rows per file, CDR rows in total and the elapsed seconds.

    Examples
    --------
    >>> config = GeneratorConfig(customers=500, months=1, seed=1, out=Path("op"))
    >>> generate_operator(config).rows["crm/customers.csv"]  # doctest: +SKIP
    500
    """
    began = time.perf_counter()
    notify = progress or (lambda stage, done, total: None)
    for part in ("silos", "truth"):
        shutil.rmtree(config.out / part, ignore_errors=True)
    silos = SiloWriter(config.out / "silos", config.encoding)
    world = build_world(config)
    notify("population", 1, 1)
    cdr = CdrWriter(config, world.book, world.graph, config.out / "silos")
    cdr_rows = cdr.run(notify)
    write_silos(config, world, silos, cdr.ledger.charges)
    silos.rows.update(cdr.rows)
    write_manifest(config, silos, cdr_rows)
    notify("files", 1, 1)
    return GenerationReport(
        out=config.out,
        rows=dict(sorted(silos.rows.items())),
        cdr_rows=cdr_rows,
        elapsed_s=time.perf_counter() - began,
    )


def build_world(config: GeneratorConfig) -> World:
    """Draw the population, lines, graph and events (everything before the CDRs)."""
    staff = make_staff(config)
    customers, groups = make_customers(config, staff)
    lines = make_lines(config, customers)
    graph = make_call_graph(config, customers, lines)
    churn = behaviour.decide_churn(config, customers, lines, graph)
    behaviour.apply_churn(
        component_rng(config.seed, "churn", 1), customers, lines, churn[0]
    )
    fraud = behaviour.decide_fraud(config, customers, lines, churn[0])
    default = behaviour.decide_default(config, customers, lines, churn[0])
    suspended = behaviour.suspend_defaulters(config, lines, default[0])
    events = behaviour.wire_events(churn, fraud, default)
    book = make_line_book(config, customers, lines, graph, events, suspended)
    return World(staff, customers, groups, lines, graph, events, book, suspended)


def write_silos(
    config: GeneratorConfig, world: World, silos: SiloWriter, charges: list[np.ndarray]
) -> None:
    """Write every non-CDR silo file and the truth."""
    customers: Customers = world.customers
    lines: Lines = world.lines
    events = world.events
    rng = component_rng(config.seed, "accounts")
    cust_no = crm.customer_numbers(customers.n)
    acct_no = crm.account_numbers(customers.n)
    service_no = crm.service_numbers(lines)
    address = names.addresses(rng, customers.district)
    staff_no = crm.staff_numbers(world.staff.n)
    status, status_day = customer_status(customers, events, world.suspended)
    silos.write("crm/staff.csv", crm.staff_table(world.staff), COLUMNS["crm/staff.csv"])
    silos.write(
        "crm/customers.csv",
        crm.customers_table(config, customers, status, status_day, staff_no),
        COLUMNS["crm/customers.csv"],
    )
    contacts = crm.contacts_table(rng, customers, lines, address)
    silos.write("crm/contacts.csv", contacts, COLUMNS["crm/contacts.csv"])
    has_email = consents.owners_of(contacts, "email", customers.n)
    granted, do_not_call = consents.make_consents(config, customers, lines, has_email)
    silos.write("crm/consents.csv", granted, COLUMNS["crm/consents.csv"])
    silos.write("crm/do_not_call.csv", do_not_call, COLUMNS["crm/do_not_call.csv"])
    silos.write(
        "crm/groups.csv", crm.groups_table(world.groups), COLUMNS["crm/groups.csv"]
    )
    silos.write("crm/offers.csv", catalog.offers_table(), COLUMNS["crm/offers.csv"])
    silos.write(
        "crm/subscriptions.csv",
        crm.subscriptions_table(config, lines, customers.n),
        COLUMNS["crm/subscriptions.csv"],
    )
    pay_method = pay_methods(rng, customers)
    silos.write(
        "billing/accounts.csv",
        accounts_table(config, rng, customers, lines, address, pay_method),
        COLUMNS["billing/accounts.csv"],
    )
    revenue = write_billing(
        config, world, silos, charges, service_no, acct_no, pay_method
    )
    bb = broadband.make_broadband(
        config, customers, lines, address, int(customers.entity.max(initial=0)) + 1
    )
    silos.write("broadband/customers.csv", bb.table, COLUMNS["broadband/customers.csv"])
    primary = crm.first_line(lines, customers.n, 0)
    primary_no = pc.if_else(
        pa.array(primary >= 0),
        service_no.take(pa.array(primary.clip(0))),
        pa.scalar(None, pa.string()),
    )
    tickets, per_customer = complaints.make_tickets(
        config, customers, events, world.staff, primary_no, cust_no
    )
    silos.write("complaints/tickets.csv", tickets, COLUMNS["complaints/tickets.csv"])
    write_truth(config, world, cust_no, acct_no, service_no, bb, revenue, per_customer)


def write_billing(
    config: GeneratorConfig,
    world: World,
    silos: SiloWriter,
    charges: list[np.ndarray],
    service_no: pa.Array,
    acct_no: pa.Array,
    pay_method: np.ndarray,
) -> np.ndarray:
    """Bills, items and payments; returns the revenue (cents) per customer."""
    customers, events = world.customers, world.events
    items = billing.all_items(config, world.lines, world.book, events, charges)
    totals = billing.bill_totals(items, customers.n, config.months)
    account, month = billing.bill_keys(items, config.months)
    cents = totals[account, month].astype(np.int64)
    silos.write(
        "billing/bills.csv",
        billing.bills_table(config, account, month, cents, acct_no),
        COLUMNS["billing/bills.csv"],
    )
    silos.write(
        "billing/bill_items.csv",
        billing.bill_items_table(config, items, service_no),
        COLUMNS["billing/bill_items.csv"],
    )
    rows = billing.payment_rows(config, customers, events, account, month, cents)
    silos.write(
        "billing/payments.csv",
        billing.payments_table(config, account, month, rows, acct_no, pay_method),
        COLUMNS["billing/payments.csv"],
    )
    return totals.sum(axis=1)


def customer_status(
    customers: Customers, events: behaviour.Events, suspended: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Status (0 active, 1 suspended, 2 closed) and the day it was last set."""
    closed = events.churn_day < NEVER
    barred = suspended < NEVER
    status = np.where(closed, 2, np.where(barred, 1, 0))
    day = np.where(
        closed, events.churn_day, np.where(barred, suspended, customers.since_day)
    )
    return status, day


def pay_methods(rng: np.random.Generator, customers: Customers) -> np.ndarray:
    """Prepaid for prepaid customers, bank debit for companies, else a mix."""
    people = rng.choice(4, customers.n, p=[0.15, 0.25, 0.3, 0.3])
    return np.where(customers.prepaid, 4, np.where(customers.is_org, 1, people))


def accounts_table(
    config: GeneratorConfig,
    rng: np.random.Generator,
    customers: Customers,
    lines: Lines,
    address: pa.Array,
    pay_method: np.ndarray,
) -> pa.Table:
    """``billing/accounts.csv``: holder data as the billing system spells it."""
    n = customers.n
    holder, _ = names.homophone_typo(rng, customers.name, 0.03)
    legacy = rng.random(n) < 0.015
    old_address = pc.if_else(
        pa.array(rng.random(n) < 0.2), names.addresses(rng, customers.district), address
    )
    credit = np.searchsorted([0.05, 0.1, 0.2], customers.credit_risk)
    district = pa.array(customers.district)
    return pa.table(
        {
            "acct_no": crm.account_numbers(n),
            "cust_ref": pc.if_else(
                pa.array(legacy), pa.scalar(None, pa.string()), crm.customer_numbers(n)
            ),
            "holder_name": holder,
            "holder_id_no": holder_ids(rng, customers.id_no),
            "bill_address": old_address,
            "province": regions.district_column("province").take(district),
            "city": regions.district_column("city").take(district),
            "district": regions.district_column("district").take(district),
            "phone": crm.typed_phone_of(rng, lines, np.arange(n)),
            "pay_method": pa.array(billing.PAY_METHODS).take(pa.array(pay_method)),
            "credit_class": pa.array(["A", "B", "C", "D"]).take(pa.array(credit)),
            "opened_date": days(customers.since_day, config.calendar.epoch_day),
        }
    )


def holder_ids(rng: np.random.Generator, ids: pa.Array) -> pa.Array:
    """Billing keeps most ID numbers: 15 % missing, 2 % with a wrong digit."""
    n = len(ids)
    wrong = np.flatnonzero(rng.random(n) < 0.02)
    position = np.zeros(n, dtype=np.int64)
    position[wrong] = np.arange(len(wrong))
    mistyped = names.wrong_digit(rng, ids.take(pa.array(wrong)))
    is_wrong = np.zeros(n, dtype=bool)
    is_wrong[wrong] = True
    drifted = (
        pc.if_else(pa.array(is_wrong), mistyped.take(pa.array(position)), ids)
        if len(wrong)
        else ids
    )
    return pc.if_else(
        pa.array(rng.random(n) < 0.15), pa.scalar(None, pa.string()), drifted
    )


def write_truth(
    config: GeneratorConfig,
    world: World,
    cust_no: pa.Array,
    acct_no: pa.Array,
    service_no: pa.Array,
    bb: broadband.BroadbandSilo,
    revenue: np.ndarray,
    tickets: np.ndarray,
) -> None:
    """Write ``truth/`` (identities, churn, fraud, defaulters, traits, manifest)."""
    customers, events, lines = world.customers, world.events, world.lines
    out = SiloWriter(config.out / "truth", config.encoding)
    line_cust = cust_no.take(pa.array(lines.customer))
    out.write(
        "identities.csv",
        truth.identities_table(
            customers,
            cust_no,
            acct_no,
            bb.table["bb_cust_id"].combine_chunks(),
            bb.entity,
        ),
        ("source_system", "source_id", "entity_id"),
    )
    out.write(
        "churn.csv",
        truth.churn_table(config, events, cust_no),
        ("cust_no", "churn_date", "cause"),
    )
    out.write(
        "fraud.csv",
        truth.fraud_table(config, events, service_no, line_cust),
        ("service_no", "cust_no", "pattern", "start_date", "end_date"),
    )
    out.write(
        "defaulters.csv",
        truth.defaulters_table(config, events, cust_no, acct_no),
        ("cust_no", "acct_no", "first_late_period", "default_period"),
    )
    traits = truth.traits_table(customers, events, cust_no, revenue, tickets)
    out.write("traits.csv", traits, tuple(traits.column_names))
    parameters = {
        k: (str(v) if isinstance(v, Path) else v)
        for k, v in asdict(config).items()
        if k != "out"
    }
    out.write_json(
        "manifest.json",
        {
            "generator_version": GENERATOR_VERSION,
            "parameters": parameters,
            "files": dict(sorted(out.rows.items())),
            "encoding": config.encoding,
        },
    )


def write_manifest(config: GeneratorConfig, silos: SiloWriter, cdr_rows: int) -> None:
    """``silos/manifest.json``: encoding, files and row counts, generator version."""
    calendar = config.calendar
    silos.write_json(
        "manifest.json",
        {
            "generator": "telcrm synthetic operator",
            "generator_version": GENERATOR_VERSION,
            "encoding": config.encoding,
            "period": {
                "first": calendar.period(0),
                "last": calendar.period(calendar.n_months - 1),
            },
            "cdr_rows": cdr_rows,
            "files": dict(sorted(silos.rows.items())),
        },
    )
