"""The frequency caps hold under concurrency (CONC-1, CONC-2, CONC-3, CP-T4).

Twenty workers, each on its own database connection and with a clock of its own a
few milliseconds off the others', reserve the same customer for five running
campaigns of different priorities at once, behind a barrier, fifty rounds in a row
(25 on SQLite): one attempt per round gets through (the default cap of one contact a
day on any channel), every call logs exactly one decision and the others are refused
by the frequency cap. The same race with the customer's lock taken away (no lock, no
transaction) must overshoot, which shows the test can see the bug.

Each race runs on the backend the suite runs on: PostgreSQL (``DATABASE_URL``) on the
suite's test database; SQLite on a file copy of it in WAL with the settings'
``transaction_mode=IMMEDIATE`` and busy timeout, as the embedded default runs it (the
suite's in-memory SQLite is one shared-cache database whose table locks do not wait
for the timeout, so it cannot stand for the file the product uses).
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import random
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from tests.telcrm.campaigns.helpers import (
    MONDAY_10,
    reachable_customer,
    running_campaign,
)

from telcrm.campaigns import policy
from telcrm.campaigns.choices import (
    CampaignChannel,
    MemberGroup,
    MemberState,
    PolicyRule,
)
from telcrm.campaigns.models import (
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactDecision,
    FrequencyCap,
)
from telcrm.campaigns.policy import (
    CONTACT_LOCK_CLASS,
    contact_reserve,
    customer_contact_lock,
    may_contact,
    policy_config_load,
)
from telcrm.campaigns.rules import (
    AttemptFact,
    CapRule,
    PolicyConfig,
    attempts_in_window,
)

# Transactional: the workers' connections must see what the test commits. Serialized
# rollback restores the policy's defaults (migration 0002), which the flush after
# every transactional test removes.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def policy_defaults() -> None:
    """The contact policy's default rows (migration 0002): a transactional test run
    before this one flushes every table, migration data included. (Not
    ``serialized_rollback``: reloading the serialized rows collides with the role
    groups the post-migrate sync re-creates after a flush.)"""
    from django.apps import apps

    from telcrm.campaigns.models import PolicySettings

    if not PolicySettings.objects.exists():
        defaults = importlib.import_module(
            "telcrm.campaigns.migrations.0002_policy_defaults"
        )
        defaults.add_defaults(apps, None)


CALL = CampaignChannel.OUTBOUND_CALL
DAY = datetime.timedelta(days=1)
WORKERS = 20
# SQLite's busy handler polls (up to every 100 ms) instead of waking a waiter when
# the write lock is freed: twenty writers released at once take about 1.5 s a round,
# whatever the machine, so SQLite runs fewer rounds to stay near a minute.
ROUNDS = {"postgresql": 50, "sqlite": 25}
# Measured: the control overshot in 50 rounds out of 50 on both backends; five show it.
CONTROL_ROUNDS = 5
PRIORITY_ROUNDS = 5
PRIORITIES = (9, 7, 5, 3, 1)
# Every worker dawdles this long between its decision and its insert, with or without
# the lock: without it the race window is a few statements wide.
DAWDLE = 0.002
# Waits on other threads: generous, they only end a test that has gone wrong.
PATIENCE = 60.0

on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's own locking (CONC-3)"
)
BACKENDS = [
    pytest.param("postgresql", marks=pytest.mark.postgres, id="postgresql"),
    pytest.param("sqlite", marks=on_sqlite, id="sqlite"),
]


# --- the race -------------------------------------------------------------------


@dataclass
class Call:
    """What one worker's ``contact_reserve`` returned."""

    worker: int
    campaign_id: int
    at: datetime.datetime
    decision_id: int
    allowed: bool
    rule: str


@dataclass
class Race:
    customer_id: int
    calls: list[Call] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def moments(rng: random.Random) -> list[datetime.datetime]:
    """The workers' clocks: each read "now" a few milliseconds apart, and they reach
    the lock in an order that has nothing to do with their clocks."""
    offsets = list(range(WORKERS))
    rng.shuffle(offsets)
    return [MONDAY_10 + datetime.timedelta(milliseconds=3 * k) for k in offsets]


def race(
    customer_id: int,
    campaigns: list[Campaign],
    at: list[datetime.datetime],
    config: PolicyConfig,
) -> Race:
    """``WORKERS`` threads, each on its own connection, released together to
    reserve ``customer_id``, worker ``i`` for ``campaigns[i % len(campaigns)]``."""
    result = Race(customer_id)
    barrier = threading.Barrier(WORKERS)
    lock = threading.Lock()

    def work(worker: int) -> None:
        campaign = campaigns[worker % len(campaigns)]
        try:
            barrier.wait(PATIENCE)
            decision, attempt = contact_reserve(
                customer=customer_id,
                campaign=campaign,
                channel=CALL,
                at=at[worker],
                config=config,
            )
            call = Call(
                worker,
                campaign.pk,
                at[worker],
                decision.pk,
                attempt is not None,
                decision.rule,
            )
            with lock:
                result.calls.append(call)
        except BaseException as error:
            with lock:
                result.errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    assert not any(t.is_alive() for t in threads), "a worker never finished"
    return result


def competing_campaigns() -> list[Campaign]:
    """Five running call campaigns, each of its own priority."""
    return [running_campaign(priority=p) for p in PRIORITIES]


def races(rounds: int, *, seed: int, queued: bool = False) -> list[Race]:
    """``rounds`` races, each on a customer of its own (``queued``: on every
    campaign's call list); the policy is loaded once, as a sending run does
    (``messages_send``)."""
    campaigns = competing_campaigns()
    config = policy_config_load()
    rng = random.Random(seed)
    result = []
    for _ in range(rounds):
        customer = reachable_customer()
        if queued:
            CampaignMember.objects.bulk_create(
                CampaignMember(
                    campaign=campaign,
                    customer=customer,
                    group=MemberGroup.TREATMENT,
                    state=MemberState.QUEUED,
                )
                for campaign in campaigns
            )
        result.append(race(customer.pk, campaigns, moments(rng), config))
    return result


def overfull_windows(attempts: QuerySet[ContactAttempt]) -> list[str]:
    """Every rolling window, of every active cap, that holds more attempts than the
    cap allows. The windows worth checking end at an attempt."""
    caps = [
        CapRule(cap.pk, cap.channel, cap.window, cap.max_attempts)
        for cap in FrequencyCap.objects.filter(active=True)
    ]
    by_customer: dict[int, list[AttemptFact]] = defaultdict(list)
    for cid, at, channel, campaign_id, outcome in attempts.values_list(
        "customer_id", "at", "channel", "campaign_id", "outcome"
    ):
        by_customer[cid].append(AttemptFact(at, channel, campaign_id, outcome))
    found = []
    for cap in caps:
        for cid, facts in by_customer.items():
            for end in sorted({f.at for f in facts if cap.applies_to(f.channel)}):
                held = attempts_in_window(facts, cap, end)
                if held > cap.max_attempts:
                    found.append(f"customer {cid}, cap {cap.cap_id}: {held} by {end}")
    return found


# --- the seams a test turns -----------------------------------------------------


def dawdling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers pause after deciding, before the attempt is written."""

    def slow_may_contact(*args: Any, **kwargs: Any) -> ContactDecision:
        decision = may_contact(*args, **kwargs)
        time.sleep(DAWDLE)
        return decision

    monkeypatch.setattr(policy, "may_contact", slow_may_contact)


@contextlib.contextmanager
def no_lock(customer_id: int) -> Iterator[None]:
    """The bug: no customer lock and no transaction; every statement commits alone."""
    yield


@pytest.fixture
def shared_database(
    transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A database every thread opens a connection of its own to.

    PostgreSQL: the test database as it is. SQLite: the in-memory test database
    copied into a file in WAL, opened with the settings' options
    (``transaction_mode=IMMEDIATE``, timeout); this thread's connection is swapped
    for one to the file (an in-memory database dies with its last connection, so
    that one is put aside, not closed).
    """
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "concurrency.sqlite3"
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")
    file_settings = {**connections.settings["default"], "NAME": str(path)}
    monkeypatch.setitem(connections.settings, "default", file_settings)
    in_memory = connections["default"]
    on_file = connections.create_connection("default")
    connections["default"] = on_file
    try:
        yield
    finally:
        on_file.close()
        connections["default"] = in_memory


def sqlite_pragma(name: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


# --- CONC-1 (PostgreSQL), CONC-3 (SQLite), CP-T4 ---------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_twenty_workers_on_five_campaigns_never_exceed_the_cap(
    backend: str, shared_database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == backend
    if backend == "sqlite":
        options = connection.settings_dict["OPTIONS"]
        assert (options["transaction_mode"], options["timeout"]) == ("IMMEDIATE", 30)
        assert sqlite_pragma("journal_mode") == "wal"
    dawdling(monkeypatch)
    rounds = races(ROUNDS[backend], seed=7)
    for r in rounds:
        # No "database is locked" (or anything else) escaped: every call decided.
        assert r.errors == []
        assert len(r.calls) == WORKERS
        # All five campaigns took part, whichever won.
        assert len({c.campaign_id for c in r.calls}) == len(PRIORITIES)
        assert Counter(c.rule for c in r.calls) == {
            PolicyRule.ALLOWED: 1,
            PolicyRule.FREQUENCY_CAP: WORKERS - 1,
        }
        # Exactly one logged decision per call.
        logged = ContactDecision.objects.filter(customer_id=r.customer_id)
        assert sorted(logged.values_list("pk", flat=True)) == sorted(
            c.decision_id for c in r.calls
        )
        (winner,) = [c for c in r.calls if c.allowed]
        attempt = ContactAttempt.objects.get(customer_id=r.customer_id)
        assert (attempt.decision_id, attempt.campaign_id, attempt.at) == (
            winner.decision_id,
            winner.campaign_id,
            winner.at,
        )
    assert ContactAttempt.objects.count() == ROUNDS[backend]
    assert overfull_windows(ContactAttempt.objects.all()) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_queued_on_all_five_lists_the_highest_priority_wins_every_race(
    backend: str, shared_database: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule 10 under the same race: one slot left, five campaigns want it."""
    assert connection.vendor == backend
    dawdling(monkeypatch)
    rounds = races(PRIORITY_ROUNDS, seed=11, queued=True)
    top = Campaign.objects.get(priority=max(PRIORITIES)).pk
    for r in rounds:
        assert r.errors == []
        assert len(r.calls) == WORKERS
        (winner,) = [c for c in r.calls if c.allowed]
        assert winner.campaign_id == top
        assert {c.rule for c in r.calls if c.campaign_id == top} == {
            PolicyRule.ALLOWED,
            PolicyRule.FREQUENCY_CAP,
        }
        # Refused for the queue ahead of them, or, once the winner's attempt is
        # in, for the cap.
        assert {c.rule for c in r.calls if c.campaign_id != top} <= {
            PolicyRule.PRIORITY,
            PolicyRule.FREQUENCY_CAP,
        }
        assert ContactDecision.objects.filter(customer_id=r.customer_id).count() == (
            WORKERS
        )
    assert ContactAttempt.objects.filter(campaign_id=top).count() == PRIORITY_ROUNDS
    assert ContactAttempt.objects.count() == PRIORITY_ROUNDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_the_lock_the_same_race_overshoots(
    backend: str,
    shared_database: None,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Callable[[str, object], None],
) -> None:
    assert connection.vendor == backend
    dawdling(monkeypatch)
    monkeypatch.setattr(policy, "customer_contact_lock", no_lock)
    rounds = races(CONTROL_ROUNDS, seed=7)
    assert [r.errors for r in rounds] == [[]] * CONTROL_ROUNDS
    attempts = Counter(ContactAttempt.objects.values_list("customer_id", flat=True))
    overshooting = sum(1 for r in rounds if attempts[r.customer_id] > 1)
    record_property("overshooting_rounds", f"{overshooting}/{CONTROL_ROUNDS}")
    record_property("most_attempts_in_a_round", max(attempts.values()))
    assert overshooting > 0
    assert overfull_windows(ContactAttempt.objects.all()) != []


# --- CONC-2: one interleaving, step by step --------------------------------------


def waiting_for_contact_lock(customer_id: int) -> int:
    """Sessions queued on the customer's advisory lock (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND NOT granted AND classid::bigint = %s AND objid::bigint = %s "
            "AND objsubid = 2",
            [CONTACT_LOCK_CLASS, customer_id % 2**31],
        )
        return int(cursor.fetchone()[0])


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.01)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "b_clock", [DAY / 24 / 60, -DAY / 24 / 60], ids=["b_later", "b_earlier"]
)
def test_a_second_reservation_waits_for_the_first_and_is_then_refused(
    backend: str, b_clock: datetime.timedelta, shared_database: None
) -> None:
    """A: lock, decide, insert, (hold), commit. B: reserve (waits on A's lock),
    then decides on what A committed. B's clock may be ahead of A's or behind it."""
    assert connection.vendor == backend
    first, second = running_campaign(priority=5), running_campaign(priority=9)
    customer = reachable_customer().pk
    b_result: list[tuple[ContactDecision, ContactAttempt | None]] = []
    b_errors: list[BaseException] = []

    def b() -> None:
        try:
            b_result.append(
                contact_reserve(
                    customer=customer,
                    campaign=second,
                    channel=CALL,
                    at=MONDAY_10 + b_clock,
                )
            )
        except BaseException as error:
            b_errors.append(error)
        finally:
            connection.close()

    b_thread = threading.Thread(target=b)
    with customer_contact_lock(customer):  # A's connection: this thread's
        decision = may_contact(customer, first, CALL, MONDAY_10)
        assert decision.allowed
        ContactAttempt.objects.create(
            customer_id=customer,
            campaign=first,
            channel=CALL,
            at=MONDAY_10,
            decision=decision,
        )
        b_thread.start()
        if backend == "postgresql":
            wait_until(lambda: waiting_for_contact_lock(customer) == 1, "B to queue")
        else:
            # B's BEGIN IMMEDIATE waits on A's write lock (busy timeout): let it
            # get there. Not a measure of speed; B cannot finish while A holds on.
            b_thread.join(0.5)
        assert b_thread.is_alive()
        assert (b_result, b_errors) == ([], [])
    b_thread.join(PATIENCE)
    assert not b_thread.is_alive()
    assert b_errors == []
    ((b_decision, b_attempt),) = b_result
    assert (b_decision.allowed, b_decision.rule, b_attempt) == (
        False,
        PolicyRule.FREQUENCY_CAP,
        None,
    )
    assert b_decision.detail["count"] == 1
    assert ContactAttempt.objects.get().decision_id == decision.pk
    assert ContactDecision.objects.count() == 2


# --- the lock's code paths --------------------------------------------------------


@on_sqlite
def test_on_sqlite_the_lock_is_begin_immediate_never_select_for_update(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_select_for_update(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("select_for_update is a no-op on SQLite")

    monkeypatch.setattr(QuerySet, "select_for_update", no_select_for_update)
    campaign, customer = running_campaign(), reachable_customer()
    config = policy_config_load()
    with CaptureQueriesContext(connection) as queries:
        decision, attempt = contact_reserve(
            customer=customer,
            campaign=campaign,
            channel=CALL,
            at=MONDAY_10,
            config=config,
        )
    assert (decision.allowed, attempt is not None) == (True, True)
    statements = [q["sql"] for q in queries.captured_queries]
    assert statements[0] == "BEGIN IMMEDIATE"
    assert [s for s in statements if "FOR UPDATE" in s.upper()] == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_the_lock_is_the_customers_advisory_lock() -> None:
    campaign, customer = running_campaign(), reachable_customer()
    with CaptureQueriesContext(connection) as queries:
        contact_reserve(
            customer=customer, campaign=campaign, channel=CALL, at=MONDAY_10
        )
    locks = [
        q["sql"]
        for q in queries.captured_queries
        if "pg_advisory_xact_lock" in q["sql"]
    ]
    assert locks == [
        f"SELECT pg_advisory_xact_lock({CONTACT_LOCK_CLASS}, {customer.pk})"
    ]


@on_sqlite
@pytest.mark.django_db
@pytest.mark.parametrize("mode", [None, "DEFERRED", "EXCLUSIVE"])
def test_on_sqlite_the_lock_needs_immediate_transactions(
    mode: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, customer = running_campaign(), reachable_customer()
    options = connection.settings_dict["OPTIONS"]
    if mode is None:
        monkeypatch.delitem(options, "transaction_mode")
    else:
        monkeypatch.setitem(options, "transaction_mode", mode)
    with pytest.raises(ImproperlyConfigured, match="transaction_mode IMMEDIATE"):
        contact_reserve(
            customer=customer, campaign=campaign, channel=CALL, at=MONDAY_10
        )
    assert (ContactDecision.objects.count(), ContactAttempt.objects.count()) == (0, 0)
