"""Event triggers -> retention tasks: each rule at its boundaries, routing, the SLA,
deduplication, the scan and its command, the event-driven hooks
(docs/campaigns.md, "Event triggers and retention tasks")."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from tests.telcrm.campaigns.helpers import MONDAY_10
from tests.telcrm.factories import (
    BillFactory,
    BillingAccountFactory,
    CustomerFactory,
    SubscriptionFactory,
    UserFactory,
)

from telcrm.analytics.models import CustomerScore, PipelineRun
from telcrm.billing.models import Bill
from telcrm.campaigns import tasks, triggers
from telcrm.campaigns.choices import (
    TaskOutcome,
    TaskQueue,
    TaskStatus,
    TriggerKind,
)
from telcrm.campaigns.models import Holiday, RetentionTask
from telcrm.campaigns.tasks import (
    retention_task_close,
    retention_task_raise,
    retention_task_take,
    task_due_at,
    working_hours_add,
)
from telcrm.campaigns.triggers import (
    TriggerThresholds,
    interaction_trigger_kind,
    retention_task_raise_for_bill,
    retention_task_raise_for_interaction,
    retention_triggers_run,
)
from telcrm.customers.choices import (
    CustomerStatus,
    Direction,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
    InteractionReason,
)
from telcrm.customers.models import Customer, Interaction
from telcrm.inventory.choices import SubscriptionStatus
from telcrm.inventory.models import Subscription
from telcrm.linkage.services import customer_merge
from telcrm.usage.models import LineUsageMonth
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
TODAY = datetime.date(2026, 11, 16)  # MONDAY_10's day in Shanghai


@pytest.fixture(autouse=True)
def english_details(settings: Any) -> None:
    """Details are written in the operator's language; the tests read English."""
    settings.LANGUAGE_CODE = "en"


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def staff(role: str) -> User:
    return cast(User, UserFactory(role=role))


def customer(**fields: Any) -> Customer:
    return cast(Customer, CustomerFactory(**fields))


def manager(**fields: Any) -> User:
    return cast(User, UserFactory(role=Role.ACCOUNT_MANAGER, **fields))


def counts(report: triggers.TriggerReport) -> dict[str, tuple[int, int]]:
    """Non-zero counts per trigger as (raised, duplicates)."""
    return {
        kind: (count.raised, count.duplicates)
        for kind, count in report.counts.items()
        if count.raised or count.duplicates
    }


# --- The SLA -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (local(2026, 11, 16, 10, 0), local(2026, 11, 16, 14, 0)),
        (local(2026, 11, 16, 14, 0), local(2026, 11, 16, 18, 0)),
        (local(2026, 11, 16, 16, 30), local(2026, 11, 17, 11, 30)),
        (local(2026, 11, 16, 7, 0), local(2026, 11, 16, 13, 0)),
        (local(2026, 11, 16, 20, 0), local(2026, 11, 17, 13, 0)),
        (local(2026, 11, 20, 17, 0), local(2026, 11, 23, 12, 0)),
        (local(2026, 11, 21, 11, 0), local(2026, 11, 23, 13, 0)),
    ],
)
def test_four_working_hours_skip_nights_and_weekends(
    start: datetime.datetime, due: datetime.datetime
) -> None:
    assert working_hours_add(start, 4, holidays=(), zone=SHANGHAI) == due


def test_working_hours_skip_the_national_holidays_of_the_policy_calendar() -> None:
    Holiday.objects.create(date=datetime.date(2026, 11, 17), name="Test day")
    Holiday.objects.create(
        date=datetime.date(2026, 11, 18), province="浙江省", name="Provincial"
    )
    due = task_due_at(TriggerKind.PORT_OUT_QUERY, local(2026, 11, 16, 16, 0))
    # Tuesday is a national holiday; a provincial one does not stop the team.
    assert due == local(2026, 11, 18, 11, 0)


def test_working_days_end_at_the_close_of_office_after_weekends_and_holidays() -> None:
    # Friday 02:00 (the nightly scan): Monday and Tuesday, due Tuesday 18:00.
    assert task_due_at(TriggerKind.BILL_SHOCK, local(2026, 11, 20, 2, 0)) == local(
        2026, 11, 24, 18, 0
    )
    # 30 September: 1-3 October are the migration's holidays, then a weekend.
    assert task_due_at(TriggerKind.USAGE_DROP, local(2026, 9, 30, 2, 0)) == local(
        2026, 10, 6, 18, 0
    )


def test_the_migration_holidays_count_too() -> None:
    due = task_due_at(TriggerKind.COMPLAINT, local(2026, 9, 30, 17, 0))
    # 1-3 October are in the calendar the migration loads; the 3rd is a Saturday.
    assert due == local(2026, 10, 5, 12, 0)


@pytest.mark.parametrize(
    ("trigger", "due"),
    [
        (TriggerKind.PORT_OUT_QUERY, MONDAY_10 + 4 * HOUR),
        (TriggerKind.COMPLAINT, MONDAY_10 + 4 * HOUR),
        (TriggerKind.INTENT_TO_LEAVE, MONDAY_10 + 4 * HOUR),
        # Working days: the close of office on Wednesday, and a week later.
        (TriggerKind.BILL_SHOCK, local(2026, 11, 18, 18, 0)),
        (TriggerKind.USAGE_DROP, local(2026, 11, 18, 18, 0)),
        (TriggerKind.CONTRACT_END, local(2026, 11, 25, 18, 0)),
    ],
)
def test_each_trigger_has_its_sla(trigger: str, due: datetime.datetime) -> None:
    assert task_due_at(trigger, MONDAY_10) == due


# --- Raising: routing, deduplication, idempotence -----------------------------------


def test_a_key_account_goes_to_its_manager_at_once() -> None:
    boss = manager()
    task, created = retention_task_raise(
        customer=customer(account_manager=boss),
        trigger=TriggerKind.PORT_OUT_QUERY,
        at=MONDAY_10,
        detail="asked for the port-out code",
        source_reference="interaction:1",
    )
    assert created
    assert (task.assigned_to, task.queue, task.status) == (
        boss,
        TaskQueue.ACCOUNT_MANAGER,
        TaskStatus.OPEN,
    )
    assert (task.raised_at, task.due_at) == (MONDAY_10, MONDAY_10 + 4 * HOUR)


def test_other_customers_go_to_the_retention_team_unassigned() -> None:
    task, created = retention_task_raise(
        customer=customer(), trigger=TriggerKind.BILL_SHOCK, at=MONDAY_10
    )
    assert created
    assert (task.assigned_to, task.queue) == (None, TaskQueue.RETENTION_TEAM)


def test_a_departed_manager_s_customer_goes_to_the_team() -> None:
    task, _ = retention_task_raise(
        customer=customer(account_manager=manager(is_active=False)),
        trigger=TriggerKind.USAGE_DROP,
        at=MONDAY_10,
    )
    assert (task.assigned_to, task.queue) == (None, TaskQueue.RETENTION_TEAM)


def test_a_second_firing_while_open_changes_nothing() -> None:
    someone = customer()
    first, _ = retention_task_raise(
        customer=someone,
        trigger=TriggerKind.COMPLAINT,
        at=MONDAY_10,
        detail="first",
        source_reference="interaction:1",
    )
    again, created = retention_task_raise(
        customer=someone,
        trigger=TriggerKind.COMPLAINT,
        at=MONDAY_10 + DAY,
        detail="second",
        source_reference="interaction:2",
    )
    assert (again.pk, created) == (first.pk, False)
    stored = RetentionTask.objects.get()
    assert (stored.detail, stored.source_reference, stored.raised_at) == (
        "first",
        "interaction:1",
        MONDAY_10,
    )
    other, created = retention_task_raise(
        customer=someone, trigger=TriggerKind.PORT_OUT_QUERY, at=MONDAY_10
    )
    assert created and other.pk != first.pk


def test_the_same_event_never_raises_twice_even_after_closing() -> None:
    someone = customer()
    first, _ = retention_task_raise(
        customer=someone,
        trigger=TriggerKind.BILL_SHOCK,
        at=MONDAY_10,
        source_reference="bill:B1",
    )
    retention_task_close(
        task=first,
        by=staff(Role.SUPERVISOR),
        outcome=TaskOutcome.STAYED,
        at=MONDAY_10 + HOUR,
    )
    again, created = retention_task_raise(
        customer=someone,
        trigger=TriggerKind.BILL_SHOCK,
        at=MONDAY_10 + DAY,
        source_reference="bill:B1",
    )
    assert (again.pk, created, again.status) == (first.pk, False, TaskStatus.DONE)
    fresh, created = retention_task_raise(
        customer=someone,
        trigger=TriggerKind.BILL_SHOCK,
        at=MONDAY_10 + DAY,
        source_reference="bill:B2",
    )
    assert created and fresh.pk != first.pk
    assert RetentionTask.objects.count() == 2


def test_a_raise_racing_another_meets_the_unique_constraint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other worker inserted between our check and our insert: the database's
    constraint stops ours, and we return theirs."""
    someone = customer()
    theirs, _ = retention_task_raise(
        customer=someone, trigger=TriggerKind.COMPLAINT, at=MONDAY_10
    )
    real = tasks._open_task
    calls: list[int] = []

    def blind_first(customer_id: int, trigger: str) -> RetentionTask | None:
        calls.append(customer_id)
        return None if len(calls) == 1 else real(customer_id, trigger)

    monkeypatch.setattr(tasks, "_open_task", blind_first)
    ours, created = retention_task_raise(
        customer=someone, trigger=TriggerKind.COMPLAINT, at=MONDAY_10 + HOUR
    )
    assert (ours.pk, created, len(calls)) == (theirs.pk, False, 2)
    assert RetentionTask.objects.count() == 1


def test_the_database_holds_one_open_task_per_customer_and_trigger() -> None:
    someone = customer()
    retention_task_raise(customer=someone, trigger=TriggerKind.COMPLAINT, at=MONDAY_10)
    with pytest.raises(IntegrityError):
        RetentionTask.objects.create(
            customer=someone,
            trigger=TriggerKind.COMPLAINT,
            queue=TaskQueue.RETENTION_TEAM,
            raised_at=MONDAY_10,
            due_at=MONDAY_10,
        )


def test_merging_two_records_of_one_person_keeps_one_open_task_per_trigger() -> None:
    survivor, duplicate = customer(), customer()
    kept, _ = retention_task_raise(
        customer=survivor, trigger=TriggerKind.COMPLAINT, at=MONDAY_10
    )
    twin, _ = retention_task_raise(
        customer=duplicate, trigger=TriggerKind.COMPLAINT, at=MONDAY_10
    )
    other, _ = retention_task_raise(
        customer=duplicate, trigger=TriggerKind.PORT_OUT_QUERY, at=MONDAY_10
    )

    customer_merge(survivor=survivor, merged=duplicate, decision="manual")

    tasks = {
        t.pk: (t.customer_id, t.status)
        for t in RetentionTask.objects.filter(pk__in=[kept.pk, twin.pk, other.pk])
    }
    assert tasks == {
        kept.pk: (survivor.pk, TaskStatus.OPEN),
        twin.pk: (survivor.pk, TaskStatus.CANCELLED),
        other.pk: (survivor.pk, TaskStatus.OPEN),
    }


# --- Taking and closing -------------------------------------------------------------


def queue_task() -> RetentionTask:
    return retention_task_raise(
        customer=customer(), trigger=TriggerKind.USAGE_DROP, at=MONDAY_10
    )[0]


def test_an_agent_takes_a_queue_task_and_a_second_agent_cannot() -> None:
    task = queue_task()
    first, second = staff(Role.AGENT), staff(Role.AGENT)
    taken = retention_task_take(task=task, by=first)
    assert (taken.assigned_to, taken.queue) == (first, TaskQueue.RETENTION_TEAM)
    with pytest.raises(ValidationError) as error:
        retention_task_take(task=task, by=second)
    assert error.value.messages == [f"{first} has already taken this task."]


def test_only_agents_take_and_only_queue_tasks() -> None:
    with pytest.raises(PermissionDenied):
        retention_task_take(task=queue_task(), by=staff(Role.MARKETER))
    managed = retention_task_raise(
        customer=customer(account_manager=manager()),
        trigger=TriggerKind.USAGE_DROP,
        at=MONDAY_10,
    )[0]
    with pytest.raises(ValidationError):
        retention_task_take(task=managed, by=staff(Role.AGENT))


def test_the_assignee_closes_with_an_outcome() -> None:
    task = queue_task()
    agent = staff(Role.AGENT)
    retention_task_take(task=task, by=agent)
    task.refresh_from_db()
    closed = retention_task_close(
        task=task, by=agent, outcome=TaskOutcome.STAYED, at=MONDAY_10 + HOUR
    )
    assert (
        closed.status,
        closed.outcome,
        closed.closed_at,
        closed.closed_by,
    ) == (TaskStatus.DONE, TaskOutcome.STAYED, MONDAY_10 + HOUR, agent)
    with pytest.raises(ValidationError) as error:
        retention_task_close(task=task, by=agent, outcome=TaskOutcome.LEFT)
    assert error.value.messages == ["This task is already closed."]


def test_others_do_not_close_someone_else_s_task_but_supervisors_do() -> None:
    task = queue_task()
    with pytest.raises(PermissionDenied):
        retention_task_close(
            task=task, by=staff(Role.AGENT), outcome=TaskOutcome.STAYED
        )
    with pytest.raises(ValidationError):
        retention_task_close(task=task, by=staff(Role.SUPERVISOR), outcome="")
    closed = retention_task_close(
        task=task,
        by=staff(Role.SUPERVISOR),
        outcome=TaskOutcome.NOT_REACHED,
        at=MONDAY_10 - DAY,
    )
    # Never closed before it was raised.
    assert (closed.outcome, closed.closed_at) == (TaskOutcome.NOT_REACHED, MONDAY_10)


def test_a_change_of_manager_reroutes_open_tasks() -> None:
    old, new, leaving = manager(), manager(), manager()

    def task_of(who: Customer) -> RetentionTask:
        return retention_task_raise(
            customer=who, trigger=TriggerKind.USAGE_DROP, at=MONDAY_10
        )[0]

    moved = customer(account_manager=old)
    dropped = customer(account_manager=old)
    promoted = customer()
    taken = customer()
    departed = customer(account_manager=leaving)
    kept = customer(account_manager=old)
    closed = customer(account_manager=old)
    left_behind = customer()
    tasks_of = {who.pk: task_of(who) for who in (moved, dropped, promoted, taken,
                                                 departed, kept, closed,
                                                 left_behind)}  # fmt: skip
    agent, quitting = staff(Role.AGENT), staff(Role.AGENT)
    retention_task_take(task=tasks_of[taken.pk], by=agent)
    retention_task_take(task=tasks_of[left_behind.pk], by=quitting)
    retention_task_close(
        task=tasks_of[closed.pk], by=old, outcome=TaskOutcome.STAYED, at=MONDAY_10
    )
    Customer.objects.filter(pk__in=[moved.pk, promoted.pk, taken.pk, closed.pk]).update(
        account_manager=new
    )
    Customer.objects.filter(pk=dropped.pk).update(account_manager=None)
    User.objects.filter(pk__in=[leaving.pk, quitting.pk]).update(is_active=False)

    assert tasks.retention_tasks_reroute(at=MONDAY_10) == 5

    routed = {
        t.customer_id: (t.queue, t.assigned_to_id) for t in RetentionTask.objects.all()
    }
    assert routed == {
        moved.pk: (TaskQueue.ACCOUNT_MANAGER, new.pk),
        dropped.pk: (TaskQueue.RETENTION_TEAM, None),
        promoted.pk: (TaskQueue.ACCOUNT_MANAGER, new.pk),
        taken.pk: (TaskQueue.RETENTION_TEAM, agent.pk),
        departed.pk: (TaskQueue.RETENTION_TEAM, None),
        kept.pk: (TaskQueue.ACCOUNT_MANAGER, old.pk),
        closed.pk: (TaskQueue.ACCOUNT_MANAGER, old.pk),
        # A departed agent's task goes back to the queue.
        left_behind.pk: (TaskQueue.RETENTION_TEAM, None),
    }
    assert tasks.retention_tasks_reroute(at=MONDAY_10) == 0
    Customer.objects.filter(pk=kept.pk).update(account_manager=new)
    assert retention_triggers_run(at=MONDAY_10).rerouted == 1


# --- 1. Contract end ----------------------------------------------------------------


def line(owner: Customer, **fields: Any) -> Subscription:
    return cast(Subscription, SubscriptionFactory(customer=owner, **fields))


def test_contract_end_within_30_days_fires_once_per_customer() -> None:
    boss = manager()
    soon = customer(account_manager=boss)
    a = line(soon, contract_end=TODAY + 30 * DAY)
    b = line(soon, contract_end=TODAY + 30 * DAY)
    line(soon, contract_end=TODAY + 200 * DAY)
    line(customer(), contract_end=TODAY + 31 * DAY)
    line(customer(), contract_end=TODAY - DAY)
    line(
        customer(),
        contract_end=TODAY + 5 * DAY,
        status=SubscriptionStatus.TERMINATED,
        end_date=TODAY,
    )
    gone = customer(status=CustomerStatus.CLOSED)
    line(gone, contract_end=TODAY + 5 * DAY)
    addon_owner = customer()
    access = line(addon_owner)
    line(addon_owner, parent=access, contract_end=TODAY + 5 * DAY)

    report = retention_triggers_run(at=MONDAY_10)

    assert counts(report) == {TriggerKind.CONTRACT_END: (1, 0)}
    task = RetentionTask.objects.get()
    assert (task.customer, task.assigned_to, task.due_at) == (
        soon,
        boss,
        local(2026, 11, 25, 18, 0),  # 7 working days
    )
    assert task.source_reference == "contract:2026-12-16"
    assert task.detail == (
        f"Contract ends on 2026-12-16 (in 30 days): "
        f"{a.subscription_id}, {b.subscription_id}."
    )


def test_a_contract_ending_tomorrow_says_one_day() -> None:
    held = line(customer(), contract_end=TODAY + DAY)

    retention_triggers_run(at=MONDAY_10)

    assert RetentionTask.objects.get().detail == (
        f"Contract ends on 2026-11-17 (in 1 day): {held.subscription_id}."
    )


def test_a_second_scan_raises_nothing_again() -> None:
    line(customer(), contract_end=TODAY + 10 * DAY)
    first = retention_triggers_run(at=MONDAY_10)
    again = retention_triggers_run(at=MONDAY_10 + DAY)
    assert counts(first) == {TriggerKind.CONTRACT_END: (1, 0)}
    assert counts(again) == {TriggerKind.CONTRACT_END: (0, 1)}
    assert (again.raised, again.duplicates) == (0, 1)
    assert RetentionTask.objects.count() == 1


# --- 2. Usage drop -------------------------------------------------------------------


def usage(
    owner: Customer,
    months: dict[datetime.date, tuple[str, int, int]],
    subscription: Subscription | None = None,
) -> Subscription:
    """Monthly usage rows: period -> (charge, outgoing seconds, data bytes)."""
    held = subscription or line(owner)
    for period, (charge, seconds, data) in months.items():
        LineUsageMonth.objects.create(
            subscription=held,
            customer=owner,
            period=period,
            voice_out_calls=0,
            voice_out_seconds=seconds,
            voice_in_calls=0,
            voice_in_seconds=0,
            sms_out=0,
            sms_in=0,
            data_sessions=0,
            data_bytes=data,
            charge=Decimal(charge),
            international_calls=0,
            roaming_events=0,
            distinct_contacts=0,
            active_days=30,
        )
    return held


JUL, AUG, SEP, OCT = (datetime.date(2026, m, 1) for m in (7, 8, 9, 10))


def history(now: tuple[str, int, int], *, before: tuple[str, int, int] | None = None):
    base = before or ("100.00", 0, 0)
    return {JUL: base, AUG: base, SEP: base, OCT: now}


def test_usage_drop_compares_last_month_with_the_three_before() -> None:
    halved = customer()
    usage(halved, history(("50.00", 0, 0)))
    usage(customer(), history(("50.01", 0, 0)))
    # Two lines: the customer's total counts (100 + 0 against 100 + 50), not a line's.
    two_lines = customer()
    usage(two_lines, history(("100.00", 0, 0)))
    usage(two_lines, history(("0.00", 0, 0), before=("50.00", 0, 0)))
    # A month missing from the baseline: too new to judge.
    young = customer()
    usage(young, {AUG: ("100.00", 0, 0), SEP: ("100.00", 0, 0), OCT: ("0.00", 0, 0)})
    # Below the floor (20 yuan a month), a drop is noise.
    usage(customer(), history(("0.00", 0, 0), before=("19.99", 0, 0)))
    # No usage row at all last month is a drop to nothing.
    silent = customer()
    usage(silent, {JUL: ("30.00", 0, 0), AUG: ("30.00", 0, 0), SEP: ("30.00", 0, 0)})

    report = retention_triggers_run(at=MONDAY_10)

    assert counts(report) == {TriggerKind.USAGE_DROP: (2, 0)}
    tasks_by_customer = {t.customer_id: t for t in RetentionTask.objects.all()}
    assert set(tasks_by_customer) == {halved.pk, silent.pk}
    assert tasks_by_customer[silent.pk].detail == (
        "2026-10 against the mean of 2026-07 to 2026-09: revenue 0.00 yuan, was 30.00."
    )
    task = tasks_by_customer[halved.pk]
    assert task.source_reference == "usage:2026-10"
    assert task.detail == (
        "2026-10 against the mean of 2026-07 to 2026-09: revenue 50.00 yuan, "
        "was 100.00."
    )
    assert task.due_at == local(2026, 11, 18, 18, 0)  # 2 working days


def test_usage_drop_at_a_share_with_no_exact_quotient() -> None:
    """70 against a mean of 100 is exactly 0.7 of it: a drop, on every database
    (3 / 0.7 has no exact decimal, so the comparison is multiplied out)."""
    at_share = customer()
    usage(at_share, history(("70.00", 0, 0)))
    usage(customer(), history(("70.01", 0, 0)))

    report = retention_triggers_run(
        at=MONDAY_10, thresholds=TriggerThresholds(usage_drop_share=Decimal("0.7"))
    )

    assert counts(report) == {TriggerKind.USAGE_DROP: (1, 0)}
    assert RetentionTask.objects.get().customer_id == at_share.pk


def test_usage_drop_in_calls_or_data_alone() -> None:
    calls = customer()
    usage(calls, history(("100.00", 600, 0), before=("100.00", 7200, 0)))
    data = customer()
    usage(data, history(("100.00", 0, 10**9), before=("100.00", 0, 4 * 10**9)))
    few_calls = customer()
    usage(few_calls, history(("100.00", 0, 0), before=("100.00", 3599, 0)))

    report = retention_triggers_run(at=MONDAY_10)

    assert counts(report) == {TriggerKind.USAGE_DROP: (2, 0)}
    details = dict(RetentionTask.objects.values_list("customer_id", "detail"))
    assert details == {
        calls.pk: "2026-10 against the mean of 2026-07 to 2026-09: calls made 10 "
        "min, was 120.",
        data.pk: "2026-10 against the mean of 2026-07 to 2026-09: data 1.00 GB, "
        "was 4.00.",
    }


def test_no_usage_drop_while_last_month_is_not_loaded() -> None:
    usage(
        customer(), {JUL: ("99.00", 0, 0), AUG: ("99.00", 0, 0), SEP: ("99.00", 0, 0)}
    )
    assert counts(retention_triggers_run(at=MONDAY_10)) == {}


# --- 3. Bill shock -------------------------------------------------------------------


def bills(amounts: list[str], *, issued: datetime.date = TODAY) -> Bill:
    """Bills of one account for consecutive months; the last issued ``issued``."""
    account = BillingAccountFactory()
    last = None
    for index, amount in enumerate(amounts):
        period = datetime.date(2026, 11 - len(amounts) + index, 1)
        last = BillFactory(
            billing_account=account,
            period=period,
            issue_date=issued if index == len(amounts) - 1 else period,
            due_date=issued + 20 * DAY,
            amount=Decimal(amount),
        )
    return cast(Bill, last)


def test_bill_shock_is_one_and_a_half_times_and_fifty_yuan_more() -> None:
    shocked = bills(["100.00", "100.00", "100.00", "150.00"])
    bills(["100.00", "100.00", "100.00", "149.99"])
    bills(["20.00", "20.00", "20.00", "69.99"])  # 3.5 times, but 49.99 more
    bills(["100.00", "100.00", "300.00"])  # only two bills before
    bills(["100.00", "100.00", "100.00", "300.00"], issued=TODAY - 7 * DAY)

    report = retention_triggers_run(at=MONDAY_10)

    assert counts(report) == {TriggerKind.BILL_SHOCK: (1, 0)}
    task = RetentionTask.objects.get()
    assert task.customer_id == shocked.billing_account.customer_id
    assert task.source_reference == f"bill:{shocked.bill_number}"
    assert task.detail == (
        f"Bill {shocked.bill_number} for 2026-10: 150.00 yuan, against 100.00 on "
        "average over the 3 months before."
    )


def test_bill_shock_hook_for_a_bill_just_issued() -> None:
    shocked = bills(["80.00", "90.00", "100.00", "200.00"], issued=TODAY - 30 * DAY)
    calm = bills(["80.00", "90.00", "100.00", "100.00"])
    assert retention_task_raise_for_bill(bill=calm, at=MONDAY_10) is None
    raised = retention_task_raise_for_bill(bill=shocked, at=MONDAY_10)
    assert raised is not None
    task, created = raised
    assert created
    assert task.detail.endswith(
        "200.00 yuan, against 90.00 on average over the 3 months before."
    )
    assert retention_task_raise_for_bill(bill=shocked, at=MONDAY_10) == (task, False)


# --- 4. Interactions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "kind", "reason", "outcome", "valuable", "fires"),
    [
        ("inbound", "inquiry", "port_out_query", "closed", False, "port_out_query"),
        ("inbound", "complaint", "port_out_query", "open", True, "port_out_query"),
        ("outbound", "retention", "port_out_query", "open", True, None),
        ("inbound", "complaint", "billing", "open", True, "complaint"),
        ("inbound", "complaint", "billing", "resolved", False, None),
        ("inbound", "retention", "", "declined", True, "intent_to_leave"),
        ("inbound", "retention", "", "open", True, "intent_to_leave"),
        ("inbound", "retention", "", "accepted", True, None),
        ("inbound", "retention", "", "open", False, None),
        ("outbound", "retention", "", "declined", True, None),
        ("inbound", "inquiry", "billing", "closed", True, None),
    ],
)
def test_which_interaction_fires_what(
    direction: str,
    kind: str,
    reason: str,
    outcome: str,
    valuable: bool,
    fires: str | None,
) -> None:
    assert (
        interaction_trigger_kind(
            direction=direction,
            kind=kind,
            reason=reason,
            outcome=outcome,
            valuable=valuable,
        )
        == fires
    )


def contact(
    who: Customer,
    *,
    kind: str = InteractionKind.COMPLAINT,
    reason: str = InteractionReason.NETWORK_QUALITY,
    direction: str = Direction.INBOUND,
    outcome: str = InteractionOutcome.OPEN,
    at: datetime.datetime = MONDAY_10 - HOUR,
    reference: str | None = None,
    description: str = "",
) -> Interaction:
    return Interaction.objects.create(
        reference=reference,
        customer=who,
        channel=InteractionChannel.CALL_CENTRE,
        direction=direction,
        kind=kind,
        reason=reason,
        outcome=outcome,
        description=description,
        occurred_at=at,
    )


def scored(band: str) -> Customer:
    who = customer()
    run = PipelineRun.objects.first() or PipelineRun.objects.create(
        started_at=MONDAY_10, started_by="test"
    )
    CustomerScore.objects.create(
        customer=who, run=run, value_band=band, scored_at=MONDAY_10
    )
    return who


def test_the_scan_reads_the_week_s_interactions() -> None:
    boss = manager()
    key = customer(account_manager=boss)
    high, low = scored("high"), scored("low")
    anyone = customer()
    porting = contact(
        anyone,
        kind=InteractionKind.INQUIRY,
        reason=InteractionReason.PORT_OUT_QUERY,
        reference="T100",
        description="客户咨询携号转网办理条件",
        at=local(2026, 11, 15, 9, 30),
    )
    contact(key, reference="T101")
    contact(high, at=MONDAY_10 - 6 * DAY)
    contact(high, at=MONDAY_10 - 5 * DAY)  # the open task absorbs it
    contact(low)
    contact(high, kind=InteractionKind.RETENTION, reason="")
    contact(key, at=MONDAY_10 - 8 * DAY, kind=InteractionKind.RETENTION, reason="")
    contact(key, at=MONDAY_10 + HOUR, kind=InteractionKind.RETENTION, reason="")

    report = retention_triggers_run(at=MONDAY_10)

    assert counts(report) == {
        TriggerKind.PORT_OUT_QUERY: (1, 0),
        TriggerKind.COMPLAINT: (2, 1),
        TriggerKind.INTENT_TO_LEAVE: (1, 0),
    }
    port = RetentionTask.objects.get(trigger=TriggerKind.PORT_OUT_QUERY)
    assert (port.customer, port.queue, port.source_reference) == (
        anyone,
        TaskQueue.RETENTION_TEAM,
        f"interaction:{porting.pk}",
    )
    assert port.detail == (
        "T100 · 2026-11-15 09:30 · Inquiry · Port-out query · 客户咨询携号转网办理条件"
    )
    assert port.due_at == MONDAY_10 + 4 * HOUR
    complaint = RetentionTask.objects.get(trigger=TriggerKind.COMPLAINT, customer=key)
    assert (complaint.assigned_to, complaint.queue) == (
        boss,
        TaskQueue.ACCOUNT_MANAGER,
    )
    earliest = RetentionTask.objects.get(trigger=TriggerKind.COMPLAINT, customer=high)
    assert earliest.raised_at == MONDAY_10
    assert "2026-11-10" in earliest.detail


def test_the_interaction_hook_raises_at_once() -> None:
    boss = manager()
    key = customer(account_manager=boss)
    complaint = contact(key, reference="T7", reason=InteractionReason.BILLING)

    raised = retention_task_raise_for_interaction(interaction=complaint, at=MONDAY_10)

    assert raised is not None
    task, created = raised
    assert created
    assert (task.trigger, task.assigned_to, task.due_at) == (
        TriggerKind.COMPLAINT,
        boss,
        MONDAY_10 + 4 * HOUR,
    )
    assert task.detail == "T7 · 2026-11-16 09:00 · Complaint · Billing"
    again = retention_task_raise_for_interaction(interaction=complaint, at=MONDAY_10)
    assert again == (task, False)
    assert retention_triggers_run(at=MONDAY_10).counts[TriggerKind.COMPLAINT] == (
        triggers.TriggerCount(raised=0, duplicates=1)
    )
    assert retention_task_raise_for_interaction(interaction=contact(customer())) is None


def test_details_are_written_in_the_operator_s_language(settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    complaint = contact(
        scored("high"), reference="T8", reason=InteractionReason.BILLING
    )
    raised = retention_task_raise_for_interaction(interaction=complaint, at=MONDAY_10)
    assert raised is not None
    assert raised[0].detail == "T8 · 2026-11-16 09:00 · 投诉 · 计费"


# --- Thresholds, bulk raise fallback, the command -------------------------------------


def test_thresholds_are_parameters() -> None:
    line(customer(), contract_end=TODAY + 40 * DAY)
    assert counts(retention_triggers_run(at=MONDAY_10)) == {}
    report = retention_triggers_run(
        at=MONDAY_10, thresholds=TriggerThresholds(contract_end_days=60)
    )
    assert counts(report) == {TriggerKind.CONTRACT_END: (1, 0)}


def test_a_batch_that_meets_a_concurrent_raise_is_raised_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for days in (3, 4, 5):
        line(customer(), contract_end=TODAY + days * DAY)

    def conflict(*args: object, **kwargs: object) -> None:
        raise IntegrityError("retention_task_one_open_per_trigger")

    monkeypatch.setattr(RetentionTask.objects, "bulk_create", conflict)
    report = retention_triggers_run(at=MONDAY_10)
    assert counts(report) == {TriggerKind.CONTRACT_END: (3, 0)}
    assert RetentionTask.objects.count() == 3


def test_the_command_prints_the_counts() -> None:
    line(customer(), contract_end=TODAY + 3 * DAY)
    contact(
        customer(),
        kind=InteractionKind.INQUIRY,
        reason=InteractionReason.PORT_OUT_QUERY,
    )
    out = io.StringIO()
    call_command("retention_triggers", "--at", "2026-11-16T10:00:00+08:00", stdout=out)
    assert out.getvalue().splitlines() == [
        "Retention triggers at 2026-11-16 10:00 (Asia/Shanghai)",
        "contract_end: 1 raised, 0 duplicates",
        "usage_drop: 0 raised, 0 duplicates",
        "complaint: 0 raised, 0 duplicates",
        "intent_to_leave: 0 raised, 0 duplicates",
        "port_out_query: 1 raised, 0 duplicates",
        "bill_shock: 0 raised, 0 duplicates",
        "total: 2 raised, 0 duplicates",
        "open tasks rerouted: 0",
    ]
    out = io.StringIO()
    call_command("retention_triggers", "--at", "2026-11-16T10:00", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["at"] == "2026-11-16T10:00:00+08:00"
    assert figures["counts"]["contract_end"] == {"raised": 0, "duplicates": 1}
    assert figures["counts"]["port_out_query"] == {"raised": 0, "duplicates": 1}


def test_the_command_refuses_a_bad_time() -> None:
    with pytest.raises(CommandError):
        call_command("retention_triggers", "--at", "yesterday")
