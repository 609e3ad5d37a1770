"""An operator for the call-list benchmark, built in bulk SQL, and what it should give.

``operator_build`` writes ``customers`` customers into the current (migrated)
database with ``telcrm.core.bulk.rows_insert`` (``COPY`` or ``executemany``): a
party, a customer, a phone and an address, consents, a pipeline score and one mobile
line each, and the facts that make every rule of the contact policy deny somebody:

- opt-outs and numbers on the do-not-call list (rule 2);
- no marketing consent for calls, or a withdrawn one (rule 4);
- no consent to profiling, for campaigns that target with scores (rule 5);
- a refusal 20 days ago, an open complaint, a complaint closed 5 days ago (rule 6);
- a provincial holiday on the call day, where the customer lives or where their
  number is registered (rule 7);
- two calls in the last 30 days, or a call last evening (rule 8);
- one call in the last 30 days: allowed alone, denied by rule 10 when a
  higher-ranked campaign queued the customer that day.

Each of these facts is carried by an exact number of customers (``round(n * share)``,
placed at random with a fixed seed) and kept in ``Operator`` (the truth), so
``expected_lists`` can say, customer by customer and without the engine, which rule
must decide and who must be queued. The benchmark checks the engine against it at a
million customers and the smoke test at two thousand.

``campaigns_launch`` then creates five campaigns through the real services
(``campaign_create``, ``campaign_submit``, ``campaign_approve`` by a supervisor, which
draws the members and the control group, ``campaign_full_run_start``). Their
control-group seeds are fixed so that two runs give the same lists.

Left out because the list build does not read them: resident ID numbers
(``parties_individual``), accounts, bills, usage and history tables.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import IntEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from telcrm.core.bulk import rows_insert

SEED = 7
# The call day: a Monday without a national holiday; lists are checked at its midnight.
DAY = datetime.date(2026, 11, 16)
AT = datetime.datetime.combine(DAY, datetime.time(), ZoneInfo("Asia/Shanghai"))
BUILT_AT = AT - datetime.timedelta(days=1, hours=3)

# Address provinces and their shares. One has a provincial holiday on DAY (rule 7);
# one lies in another time zone (two hours behind the operator's).
PROVINCES: tuple[tuple[str, float], ...] = (
    ("广东省", 0.30),
    ("浙江省", 0.20),
    ("江苏省", 0.15),
    ("四川省", 0.15),
    ("广西壮族自治区", 0.10),
    ("新疆维吾尔自治区", 0.10),
)
HOLIDAY_PROVINCE = "广西壮族自治区"
WEST_PROVINCE, WEST_ZONE = "新疆维吾尔自治区", "Asia/Urumqi"
# Customers living elsewhere whose number was registered in the holiday province.
HOLIDAY_NUMBER_SHARE = 0.02

# Mobile plans (one line per customer) and their shares.
OFFERINGS: tuple[tuple[str, str, float], ...] = (
    ("BENCH-4G-58", "4G 畅享 58 元套餐", 0.35),
    ("BENCH-4G-88", "4G 畅享 88 元套餐", 0.30),
    ("BENCH-5G-129", "5G 畅享 129 元套餐", 0.25),
    ("BENCH-5G-199", "5G 畅享 199 元套餐", 0.10),
)
CLOSED_SHARE = 0.02  # customers who left: never targeted
PROFILING_SHARE = 0.70


class Fact(IntEnum):
    """The one policy-relevant fact a customer carries (most carry none)."""

    NONE = 0
    OPTED_OUT = 1
    DO_NOT_CALL = 2
    REFUSED_RECENTLY = 3  # 20 days ago: inside the 60-day cool-off
    OPEN_COMPLAINT = 4
    COMPLAINT_CLOSED_RECENTLY = 5  # 5 days ago: inside the 14-day cool-off
    COMPLAINT_CLOSED_LONG_AGO = 6  # 30 days ago: no effect
    TWO_CALLS_THIS_MONTH = 7  # 25 and 10 days ago, not answered: the 30-day cap
    CALLED_LAST_EVENING = 8  # 19:00 the day before: the one-a-day cap
    ONE_CALL_THIS_MONTH = 9  # 12 days ago, not answered: one slot left


FACT_SHARES: dict[Fact, float] = {
    Fact.OPTED_OUT: 0.004,
    Fact.DO_NOT_CALL: 0.003,
    Fact.REFUSED_RECENTLY: 0.005,
    Fact.OPEN_COMPLAINT: 0.002,
    Fact.COMPLAINT_CLOSED_RECENTLY: 0.002,
    Fact.COMPLAINT_CLOSED_LONG_AGO: 0.002,
    Fact.TWO_CALLS_THIS_MONTH: 0.005,
    Fact.CALLED_LAST_EVENING: 0.003,
    Fact.ONE_CALL_THIS_MONTH: 0.010,
}


class CallConsent(IntEnum):
    """The customer's marketing consent for phone calls."""

    GRANTED = 0
    WITHDRAWN = 1  # granted, then withdrawn 10 days ago
    SMS_ONLY = 2  # a marketing consent for SMS, none for calls
    NONE = 3


CONSENT_SHARES: dict[CallConsent, float] = {
    CallConsent.WITHDRAWN: 0.01,
    CallConsent.SMS_ONLY: 0.05,
    CallConsent.NONE: 0.10,
}  # the rest: granted


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    goal: str
    priority: int
    target_rule: dict[str, Any]


# Five outbound-call campaigns competing for the same seats and customers.
CAMPAIGNS: tuple[CampaignSpec, ...] = (
    CampaignSpec("Key customers at risk", "retention", 9, {"segments": ["retain_key"]}),
    CampaignSpec("High churn risk", "retention", 8, {"churn_min": 0.6}),
    CampaignSpec("4G 58 to 5G upgrade", "upsell", 6, {"offerings": ["BENCH-4G-58"]}),
    CampaignSpec(
        "Guangdong broadband bundle", "cross_sell", 4, {"provinces": ["广东省"]}
    ),
    CampaignSpec(
        "Satisfaction survey", "satisfaction", 2, {"party_kinds": ["individual"]}
    ),
)


@dataclass
class Operator:
    """What was written, position by position (customer ``customer_ids[i]``)."""

    customers: int
    customer_ids: np.ndarray
    closed: np.ndarray  # bool
    fact: np.ndarray  # Fact codes
    call_consent: np.ndarray  # CallConsent codes
    profiling: np.ndarray  # bool
    province: np.ndarray  # index into PROVINCES (the address)
    number_province: np.ndarray  # index into PROVINCES (the phone's registration)
    offering: np.ndarray  # index into OFFERINGS
    churn: np.ndarray
    value_score: np.ndarray
    segment: np.ndarray  # segment codes (str)
    party_ids: list[int] = field(default_factory=list)
    marketer_id: int = 0
    supervisor_id: int = 0
    agent_ids: list[int] = field(default_factory=list)
    calls_per_day: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def position(self, customer_id: int) -> int:
        return customer_id - int(self.customer_ids[0])

    @property
    def capacity(self) -> int:
        return len(self.agent_ids) * self.calls_per_day


# --- Writing rows ---------------------------------------------------------------


def db_datetime(value: datetime.datetime) -> Any:
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(value)


def db_date(value: datetime.date) -> Any:
    from django.db import connection

    return connection.ops.adapt_datefield_value(value)


def next_ids(table: str, count: int) -> np.ndarray:
    """``count`` fresh primary keys after the table's largest."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
        row = cursor.fetchone()
    first = int(row[0]) + 1 if row else 1
    return np.arange(first, first + count, dtype=np.int64)


def sequences_reset(tables: Sequence[str]) -> None:
    """PostgreSQL: move each table's id sequence past the rows written here."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows explicit ids by itself
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))",
                [table],
            )


# --- The truth ------------------------------------------------------------------


def _exact_flags(
    rng: np.random.Generator, n: int, shares: dict[Any, float], rest: int
) -> np.ndarray:
    """Codes for ``n`` positions: ``round(n * share)`` of each, at random places;
    the positions left over get ``rest``."""
    codes = np.full(n, rest, dtype=np.int8)
    order = rng.permutation(n)
    start = 0
    for code, share in shares.items():
        size = round(n * share)
        codes[order[start : start + size]] = int(code)
        start += size
    return codes


def _exact_choice(
    rng: np.random.Generator, n: int, shares: Sequence[float]
) -> np.ndarray:
    """An index per position, ``round(n * share)`` of each (the last takes the rest)."""
    return _exact_flags(
        rng, n, {k: s for k, s in enumerate(shares[:-1])}, len(shares) - 1
    )


def operator_truth(customers: int, first_id: int, seed: int = SEED) -> Operator:
    """Who carries which fact, score, province and plan (no database)."""
    import pandas as pd

    from telcrm_pipeline.segments.strategy import value_risk_matrix

    rng = np.random.default_rng(seed)
    n = customers
    fact = _exact_flags(rng, n, dict(FACT_SHARES), Fact.NONE)
    call_consent = _exact_flags(rng, n, dict(CONSENT_SHARES), CallConsent.GRANTED)
    profiling = _exact_flags(rng, n, {1: PROFILING_SHARE}, 0).astype(bool)
    closed = _exact_flags(rng, n, {1: CLOSED_SHARE}, 0).astype(bool)
    province = _exact_choice(rng, n, [share for _, share in PROVINCES])
    holiday = [name for name, _ in PROVINCES].index(HOLIDAY_PROVINCE)
    number_province = province.copy()
    moved = _exact_flags(rng, n, {1: HOLIDAY_NUMBER_SHARE}, 0).astype(bool)
    number_province[moved & (province != holiday)] = holiday
    offering = _exact_choice(rng, n, [share for _, _, share in OFFERINGS])
    value_score = np.round(rng.uniform(0, 100, n), 2)
    churn = np.round(rng.beta(1.5, 5.0, n), 4)
    # The pipeline's own value x risk matrix (its default bands) names the segments.
    cells = value_risk_matrix(
        pd.DataFrame(
            {
                "customer": np.arange(n),
                "value_score": value_score,
                "churn_probability": churn,
            }
        )
    )
    segment = cells["segment"].to_numpy(dtype=str)
    return Operator(
        customers=n,
        customer_ids=np.arange(first_id, first_id + n, dtype=np.int64),
        closed=closed,
        fact=fact,
        call_consent=call_consent,
        profiling=profiling,
        province=province,
        number_province=number_province,
        offering=offering,
        churn=churn,
        value_score=value_score,
        segment=segment,
    )


# --- The operator in the database -------------------------------------------------


def operator_build(
    *,
    customers: int,
    agents: int = 200,
    calls_per_day: int = 80,
    seed: int = SEED,
    progress: bool = False,
) -> Operator:
    """Write the operator into the current database (migrated, any earlier rows
    kept) and return its truth."""
    from django.db import transaction

    with transaction.atomic():
        op = operator_truth(customers, int(next_ids("customers_customer", 1)[0]), seed)
        _policy_calendar()
        _staff(op, agents, calls_per_day)
        steps = (
            ("parties and customers", _parties_and_customers),
            ("contact media", _contact_media),
            ("consents", _consents),
            ("scores", _scores),
            ("lines", _lines),
            ("opt-outs, do-not-call, complaints, attempts", _facts),
        )
        for name, step in steps:
            began = time.perf_counter()
            step(op)
            if progress:
                print(f"  {name}: {time.perf_counter() - began:.1f} s", file=sys.stderr)
        sequences_reset(WRITTEN_TABLES)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics for the planners
    return op


WRITTEN_TABLES = (
    "parties_party",
    "customers_customer",
    "parties_contactmedium",
    "customers_consent",
    "analytics_customerscore",
    "inventory_subscription",
    "customers_donotcallentry",
    "campaigns_contactsuppression",
    "customers_interaction",
    "campaigns_contactdecision",
    "campaigns_contactattempt",
)


def _policy_calendar() -> None:
    from telcrm.campaigns.models import Holiday, RegionTimeZone

    Holiday.objects.get_or_create(
        date=DAY, province=HOLIDAY_PROVINCE, defaults={"name": "Provincial holiday"}
    )
    RegionTimeZone.objects.get_or_create(
        province=WEST_PROVINCE, defaults={"time_zone": WEST_ZONE}
    )


def _staff(op: Operator, agents: int, calls_per_day: int) -> None:
    from telcrm.campaigns.models import AgentCapacity
    from telcrm.users.choices import Role
    from telcrm.users.models import User

    tag = int(op.customer_ids[0])

    def user(username: str, role: str) -> User:
        staff = User(username=f"bench-{tag}-{username}", role=role)
        staff.set_unusable_password()
        return staff

    marketer = user("marketer", Role.MARKETER)
    supervisor = user("supervisor", Role.SUPERVISOR)
    marketer.save()
    supervisor.save()
    seated = User.objects.bulk_create(
        [user(f"agent-{k:03d}", Role.AGENT) for k in range(agents)]
    )
    AgentCapacity.objects.bulk_create(
        AgentCapacity(agent=agent, calls_per_day=calls_per_day) for agent in seated
    )
    op.marketer_id, op.supervisor_id = marketer.pk, supervisor.pk
    op.agent_ids = [agent.pk for agent in seated]
    op.calls_per_day = calls_per_day


def _stamp() -> tuple[Any, Any]:
    stamp = db_datetime(BUILT_AT)
    return stamp, stamp


def _parties_and_customers(op: Operator) -> None:
    created, updated = _stamp()
    party_ids = next_ids("parties_party", op.customers).tolist()
    customer_ids = op.customer_ids.tolist()
    op.rows["parties_party"] = rows_insert(
        "parties_party",
        ("id", "created", "updated", "kind", "name"),
        (
            (party, created, updated, "individual", f"基准客户{cid}")
            for party, cid in zip(party_ids, customer_ids, strict=True)
        ),
    )
    since = db_date(datetime.date(2021, 3, 1))
    left = db_date(DAY - datetime.timedelta(days=40))
    op.rows["customers_customer"] = rows_insert(
        "customers_customer",
        (
            "id", "created", "updated", "party_id", "customer_number", "status",
            "status_date", "customer_since", "acquisition_channel", "churn_risk",
            "segment_code",
        ),
        (
            (
                cid, created, updated, party, f"BCH{cid:012d}",
                "closed" if closed else "active", left if closed else None, since,
                "", churn, segment,
            )
            for cid, party, closed, churn, segment in zip(
                customer_ids, party_ids, op.closed.tolist(), op.churn.tolist(),
                op.segment.tolist(), strict=True,
            )
        ),
    )  # fmt: skip
    op.party_ids = party_ids


def phone_of(customer_id: int) -> str:
    """The customer's mobile number (E.164); its national form drops ``+86``."""
    return f"+8613{customer_id % 10**9:09d}"


def _contact_media(op: Operator) -> None:
    created, updated = _stamp()
    names = [name for name, _ in PROVINCES]
    ids = next_ids("parties_contactmedium", 2 * op.customers).tolist()
    columns = (
        "id", "created", "updated", "party_id", "kind", "phone", "email", "province",
        "city", "district", "street", "is_primary",
    )  # fmt: skip
    rows = zip(
        op.customer_ids.tolist(),
        op.party_ids,
        op.province.tolist(),
        op.number_province.tolist(),
        strict=True,
    )

    def media() -> Iterator[tuple[Any, ...]]:
        next_id = iter(ids)
        for cid, party, home, registered in rows:
            yield (
                next(next_id),
                created,
                updated,
                party,
                "phone",
                phone_of(cid),
                "",
                names[registered],
                "",
                "",
                "",
                True,
            )
            yield (
                next(next_id), created, updated, party, "address", "", "",
                names[home], "", "", "", True,
            )  # fmt: skip

    op.rows["parties_contactmedium"] = rows_insert(
        "parties_contactmedium", columns, media()
    )


def _consents(op: Operator) -> None:
    created, updated = _stamp()
    granted = db_datetime(AT - datetime.timedelta(days=400))
    withdrawn = db_datetime(AT - datetime.timedelta(days=10))
    columns = (
        "id", "created", "updated", "customer_id", "purpose", "channel", "status",
        "source", "granted_at", "evidence", "withdrawn_at",
    )  # fmt: skip

    def consents() -> Iterator[tuple[Any, ...]]:
        for cid, consent, profiling in zip(
            op.customer_ids.tolist(),
            op.call_consent.tolist(),
            op.profiling.tolist(),
            strict=True,
        ):
            if consent == CallConsent.GRANTED:
                yield (cid, "marketing", "phone_call", "granted", None)
            elif consent == CallConsent.WITHDRAWN:
                yield (cid, "marketing", "phone_call", "withdrawn", withdrawn)
            elif consent == CallConsent.SMS_ONLY:
                yield (cid, "marketing", "sms", "granted", None)
            if profiling:
                yield (cid, "profiling", "any", "granted", None)

    listed = list(consents())
    ids = next_ids("customers_consent", len(listed)).tolist()
    op.rows["customers_consent"] = rows_insert(
        "customers_consent",
        columns,
        (
            (pk, created, updated, cid, purpose, channel, status, "import", granted,
             "", until)
            for pk, (cid, purpose, channel, status, until) in zip(
                ids, listed, strict=True
            )
        ),
    )  # fmt: skip


def _scores(op: Operator) -> None:
    from telcrm.analytics.choices import RunState
    from telcrm.analytics.models import PipelineRun

    scored = BUILT_AT - datetime.timedelta(hours=2)
    run = PipelineRun.objects.create(
        started_at=scored - datetime.timedelta(minutes=20),
        finished_at=scored,
        state=RunState.COMPLETED,
        as_of=DAY - datetime.timedelta(days=2),
        started_by="bench",
    )
    when = db_datetime(scored)
    ids = next_ids("analytics_customerscore", op.customers).tolist()
    segments = op.segment.tolist()
    value_band = {code: _band_of(code) for code in set(segments)}
    op.rows["analytics_customerscore"] = rows_insert(
        "analytics_customerscore",
        (
            "id", "customer_id", "run_id", "churn_probability", "churn_reasons",
            "churn_model", "bad_debt_reasons", "value_score", "clv_model",
            "value_band", "risk_band", "segment_code", "treatment", "customer_type",
            "service_level", "habit_profile", "scored_at",
        ),
        (
            (
                pk, cid, run.pk, churn, "[]", "bench", "[]", value, "",
                value_band[segment][0], value_band[segment][1], segment, "", "", "",
                "", when,
            )
            for pk, cid, churn, value, segment in zip(
                ids, op.customer_ids.tolist(), op.churn.tolist(),
                op.value_score.tolist(), segments, strict=True,
            )
        ),
    )  # fmt: skip


def _band_of(segment: str) -> tuple[str, str]:
    from telcrm_pipeline.segments.strategy import SEGMENTS

    for (value, risk), cell in SEGMENTS.items():
        if cell.code == segment:
            return value, risk
    raise LookupError(segment)


def _lines(op: Operator) -> None:
    from telcrm.catalog.models import ProductOffering

    offerings = []
    for code, name, _ in OFFERINGS:
        offering, _created = ProductOffering.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "line_of_business": "mobile_postpaid",
                "kind": "plan",
                "monthly_fee": Decimal(code.rsplit("-", 1)[1]),
            },
        )
        offerings.append(offering.pk)
    created, updated = _stamp()
    start = db_date(datetime.date(2021, 3, 1))
    # A terminated line ends (a constraint): on the day its customer left.
    ended = db_date(DAY - datetime.timedelta(days=40))
    ids = next_ids("inventory_subscription", op.customers).tolist()
    op.rows["inventory_subscription"] = rows_insert(
        "inventory_subscription",
        (
            "id", "created", "updated", "subscription_id", "customer_id",
            "service_number", "offering_id", "start_date", "status", "end_date",
            "port_out_operator",
        ),
        (
            (
                pk, created, updated, f"BS{pk:012d}", cid, phone_of(cid)[3:],
                offerings[offering], start, "terminated" if closed else "active",
                ended if closed else None, "",
            )
            for pk, cid, offering, closed in zip(
                ids, op.customer_ids.tolist(), op.offering.tolist(),
                op.closed.tolist(), strict=True,
            )
        ),
    )  # fmt: skip


def _facts(op: Operator) -> None:
    """Opt-outs, do-not-call entries, complaints and past attempts."""
    from telcrm.campaigns.models import Campaign

    created, updated = _stamp()
    ago = {days: db_datetime(AT - datetime.timedelta(days=days)) for days in (
        40, 30, 25, 20, 12, 10, 5, 3,
    )}  # fmt: skip
    last_evening = db_datetime(AT - datetime.timedelta(hours=5))
    by_fact: dict[int, list[int]] = {int(f): [] for f in Fact}
    for cid, fact in zip(op.customer_ids.tolist(), op.fact.tolist(), strict=True):
        by_fact[fact].append(cid)

    ids = next_ids("campaigns_contactsuppression", len(by_fact[Fact.OPTED_OUT]))
    op.rows["campaigns_contactsuppression"] = rows_insert(
        "campaigns_contactsuppression",
        ("id", "created", "updated", "customer_id", "kind", "source", "since", "note"),
        (
            (pk, created, updated, cid, "opt_out", "sms_reply", ago[40], "")
            for pk, cid in zip(ids.tolist(), by_fact[Fact.OPTED_OUT], strict=True)
        ),
    )
    ids = next_ids("customers_donotcallentry", len(by_fact[Fact.DO_NOT_CALL]))
    op.rows["customers_donotcallentry"] = rows_insert(
        "customers_donotcallentry",
        ("id", "created", "updated", "phone", "source", "reason", "added_at"),
        (
            (pk, created, updated, phone_of(cid), "regulator", "", ago[30])
            for pk, cid in zip(ids.tolist(), by_fact[Fact.DO_NOT_CALL], strict=True)
        ),
    )
    complaints = (
        [(cid, "open", ago[40], None) for cid in by_fact[Fact.OPEN_COMPLAINT]]
        + [(cid, "resolved", ago[12], ago[5])
           for cid in by_fact[Fact.COMPLAINT_CLOSED_RECENTLY]]
        + [(cid, "resolved", ago[40], ago[30])
           for cid in by_fact[Fact.COMPLAINT_CLOSED_LONG_AGO]]
    )  # fmt: skip
    ids = next_ids("customers_interaction", len(complaints))
    op.rows["customers_interaction"] = rows_insert(
        "customers_interaction",
        (
            "id", "created", "updated", "reference", "customer_id", "service_number",
            "channel", "direction", "kind", "reason", "outcome", "description",
            "occurred_at", "ended_at",
        ),
        (
            (
                pk, created, updated, f"BCHCP{pk:012d}", cid, "", "call_centre",
                "inbound", "complaint", "billing", outcome, "", start, end,
            )
            for pk, (cid, outcome, start, end) in zip(
                ids.tolist(), complaints, strict=True
            )
        ),
    )  # fmt: skip

    past = Campaign.objects.create(
        code=f"BCHPAST{int(op.customer_ids[0]):08d}",
        name="Last month's retention calls",
        goal="retention",
        channel="outbound_call",
        offer="10 GB a month for 3 months",
        expected_acceptance_rate=Decimal("0.1"),
        budget=Decimal(100_000),
        starts_on=DAY - datetime.timedelta(days=90),
        ends_on=DAY - datetime.timedelta(days=1),
        status="completed",
        created_by_id=op.marketer_id,
        decided_by_id=op.supervisor_id,
        decided_at=AT - datetime.timedelta(days=95),
    )
    attempts = (
        [(cid, ago[20], "refused") for cid in by_fact[Fact.REFUSED_RECENTLY]]
        + [(cid, when, "no_answer") for cid in by_fact[Fact.TWO_CALLS_THIS_MONTH]
           for when in (ago[25], ago[10])]
        + [(cid, last_evening, "no_answer")
           for cid in by_fact[Fact.CALLED_LAST_EVENING]]
        + [(cid, ago[12], "no_answer") for cid in by_fact[Fact.ONE_CALL_THIS_MONTH]]
    )  # fmt: skip
    decision_ids = next_ids("campaigns_contactdecision", len(attempts)).tolist()
    op.rows["campaigns_contactdecision"] = rows_insert(
        "campaigns_contactdecision",
        (
            "id", "customer_id", "campaign_id", "channel", "at", "stage", "allowed",
            "rule", "detail", "decided_at",
        ),
        (
            (pk, cid, past.pk, "outbound_call", when, "contact", True, "allowed",
             "{}", when)
            for pk, (cid, when, _) in zip(decision_ids, attempts, strict=True)
        ),
    )  # fmt: skip
    ids = next_ids("campaigns_contactattempt", len(attempts)).tolist()
    op.rows["campaigns_contactattempt"] = rows_insert(
        "campaigns_contactattempt",
        (
            "id", "customer_id", "campaign_id", "channel", "at", "outcome",
            "outcome_at", "note", "decision_id",
        ),
        (
            (pk, cid, past.pk, "outbound_call", when, outcome, when, "", decision)
            for pk, decision, (cid, when, outcome) in zip(
                ids, decision_ids, attempts, strict=True
            )
        ),
    )  # fmt: skip


# --- The campaigns ------------------------------------------------------------------


@dataclass
class Launched:
    campaign_id: int
    code: str
    priority: int
    uses_usage_data: bool
    members: int
    control: int
    approve_seconds: float


def campaigns_launch(
    op: Operator, specs: Sequence[CampaignSpec] = CAMPAIGNS
) -> list[Launched]:
    """Create, submit, approve (the member draw) and start each campaign."""
    from telcrm.campaigns.models import Campaign, CampaignMember
    from telcrm.campaigns.services import (
        campaign_approve,
        campaign_create,
        campaign_full_run_start,
        campaign_submit,
    )
    from telcrm.users.models import User

    marketer = User.objects.get(pk=op.marketer_id)
    supervisor = User.objects.get(pk=op.supervisor_id)
    launched = []
    for number, spec in enumerate(specs):
        campaign = campaign_create(
            by=marketer,
            name=spec.name,
            goal=spec.goal,
            channel="outbound_call",
            offer=f"{spec.name}: the offer",
            target_rule=spec.target_rule,
            expected_acceptance_rate=Decimal("0.08"),
            budget=Decimal(500_000),
            priority=spec.priority,
            starts_on=DAY - datetime.timedelta(days=7),
            ends_on=DAY + datetime.timedelta(days=60),
        )
        # A fixed control-group seed: two runs draw the same groups.
        Campaign.objects.filter(pk=campaign.pk).update(random_seed=SEED * 100 + number)
        campaign.refresh_from_db()
        campaign = campaign_submit(
            campaign=campaign, by=marketer, at=AT - datetime.timedelta(days=8)
        )
        began = time.perf_counter()
        campaign = campaign_approve(
            campaign=campaign, by=supervisor, at=AT - datetime.timedelta(days=7)
        )
        seconds = time.perf_counter() - began
        campaign = campaign_full_run_start(campaign=campaign, by=supervisor)
        control = CampaignMember.objects.filter(
            campaign=campaign, group="control"
        ).count()
        launched.append(
            Launched(
                campaign_id=campaign.pk,
                code=campaign.code,
                priority=campaign.priority,
                uses_usage_data=campaign.uses_usage_data,
                members=campaign.target_count_at_approval or 0,
                control=control,
                approve_seconds=seconds,
            )
        )
    return launched


# --- What the list build must give ------------------------------------------------


@dataclass
class ExpectedList:
    """What one campaign's list must be: its waiting members in call order (by
    customer: the builder schedules no call-backs) with the rule that must decide
    each, the seats still free when it is built, and who gets them."""

    code: str
    free_seats: int = 0
    ordered: list[tuple[int, str]] = field(default_factory=list)
    queued_customers: list[int] = field(default_factory=list)

    @property
    def eligible(self) -> int:
        return len(self.ordered)

    def denied(self, decided: int) -> Counter[str]:
        """The denials among the first ``decided`` members, by rule."""
        return Counter(rule for _, rule in self.ordered[:decided] if rule != "allowed")


def expected_rule(
    op: Operator, customer_id: int, uses_usage_data: bool, queued_ahead: bool
) -> str:
    """The rule that must decide for this customer, from the truth alone (the
    policy's defaults: caps 2 calls / 30 days and 1 contact a day)."""
    i = op.position(customer_id)
    fact = Fact(int(op.fact[i]))
    if fact in (Fact.OPTED_OUT, Fact.DO_NOT_CALL):
        return "suppression"
    if op.call_consent[i] != CallConsent.GRANTED:
        return "consent"
    if uses_usage_data and not op.profiling[i]:
        return "usage_data_consent"
    if fact in (
        Fact.REFUSED_RECENTLY,
        Fact.OPEN_COMPLAINT,
        Fact.COMPLAINT_CLOSED_RECENTLY,
    ):
        return "cool_off"
    holiday = [name for name, _ in PROVINCES].index(HOLIDAY_PROVINCE)
    if holiday in (op.province[i], op.number_province[i]):
        return "calling_hours"
    if fact in (Fact.TWO_CALLS_THIS_MONTH, Fact.CALLED_LAST_EVENING):
        return "frequency_cap"
    if queued_ahead:
        # One slot a day (any channel): a contact queued by a higher-ranked
        # campaign takes it (with one call this month, the 30-day cap's last slot).
        return "priority"
    return "allowed"


def expected_lists(op: Operator, launched: Sequence[Launched]) -> list[ExpectedList]:
    """Each campaign's list, in rank order: its treated members' deciding rules and
    the first allowed members (by customer id) while seats remain."""
    from telcrm.campaigns.models import CampaignMember

    seats = op.capacity
    queued_before: set[int] = set()
    expected = []
    for campaign in sorted(launched, key=lambda c: (-c.priority, c.campaign_id)):
        result = ExpectedList(campaign.code, free_seats=seats)
        members = sorted(
            CampaignMember.objects.filter(campaign_id=campaign.campaign_id)
            .exclude(group="control")
            .values_list("customer_id", flat=True)
        )
        result.ordered = [
            (
                customer_id,
                expected_rule(
                    op,
                    customer_id,
                    campaign.uses_usage_data,
                    customer_id in queued_before,
                ),
            )
            for customer_id in members
        ]
        allowed = [c for c, rule in result.ordered if rule == "allowed"]
        result.queued_customers = allowed[:seats]
        seats -= len(result.queued_customers)
        queued_before.update(result.queued_customers)
        expected.append(result)
    return expected


def list_disagreements(
    got: Any, want: ExpectedList, logged: dict[int, str], queued: set[int]
) -> list[str]:
    """How a built list (``got``, a ``CampaignListResult``; ``logged``, its list-build
    decisions' rules by customer; ``queued``, its queued customers) differs from
    the truth. A list decides its members in call order, only until the free seats
    are full: the decided ones must be a prefix, each decided by the rule the truth
    calls for, and they must hold enough allowed members to fill the seats (or be
    every member)."""
    problems = []
    decided = want.ordered[: got.decided]
    allowed = sum(rule == "allowed" for _, rule in decided)
    if got.eligible != want.eligible:
        problems.append(f"eligible {got.eligible}, expected {want.eligible}")
    if logged != dict(decided):
        wrong = sum(logged.get(c) != rule for c, rule in decided)
        problems.append(
            f"{len(logged)} decisions logged for the first {got.decided} members in "
            f"call order, {wrong} of them missing or by another rule"
        )
    if (got.allowed, dict(got.denied)) != (allowed, dict(want.denied(got.decided))):
        problems.append(
            f"allowed {got.allowed}, denied {dict(got.denied)}; the truth for the "
            f"members decided: {allowed}, {dict(want.denied(got.decided))}"
        )
    if got.decided < want.eligible and allowed < want.free_seats:
        problems.append(
            f"stopped after {got.decided} members with {allowed} allowed for "
            f"{want.free_seats} free seats"
        )
    if queued != set(want.queued_customers) or got.queued != len(queued):
        problems.append(
            f"queued {got.queued} ({len(queued)} on the list), expected "
            f"{len(want.queued_customers)}, "
            f"{len(queued ^ set(want.queued_customers))} customers differ"
        )
    return problems


# --- Handing the truth from one process to the next ---------------------------------


def operator_save(op: Operator, folder: Path) -> None:
    """The truth as ``truth.npz`` (arrays) and ``truth.json`` (the rest)."""
    arrays = {
        f.name: getattr(op, f.name)
        for f in fields(op)
        if isinstance(getattr(op, f.name), np.ndarray)
    }
    np.savez(folder / "truth.npz", **arrays)
    rest = {f.name: getattr(op, f.name) for f in fields(op) if f.name not in arrays}
    (folder / "truth.json").write_text(json.dumps(rest))


def operator_load(folder: Path) -> Operator:
    with np.load(folder / "truth.npz") as arrays:
        loaded = {name: arrays[name] for name in arrays.files}
    return Operator(**loaded, **json.loads((folder / "truth.json").read_text()))
