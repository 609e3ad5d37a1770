"""Retention tasks: raised at a key moment, routed at once to the person who acts,
due within an SLA, taken from the retention team's queue and closed with an outcome
(docs/campaigns.md, "Event triggers and retention tasks").

Routing: a key account (a customer with an active account manager) goes to its
manager; everyone else goes to the retention team's queue, unassigned, where an agent
takes it. Deduplication is the database's: one open task per customer and trigger
(``retention_task_one_open_per_trigger``); a second firing while one is open changes
nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from telcrm.campaigns.choices import TaskOutcome, TaskQueue, TaskStatus, TriggerKind
from telcrm.campaigns.models import Holiday, RetentionTask
from telcrm.customers.models import Customer
from telcrm.users.choices import Role
from telcrm.users.models import User


@dataclass(frozen=True)
class Sla:
    """How long the person has, counted from the moment the task is raised: working
    hours (office hours on working days), or working days (due at the close of the
    last one, so that it never falls due at night or on a day off)."""

    working_hours: int = 0
    working_days: int = 0


# The default SLA of each trigger (docs/campaigns.md has the same table).
TASK_SLA: dict[str, Sla] = {
    TriggerKind.PORT_OUT_QUERY: Sla(working_hours=4),
    TriggerKind.COMPLAINT: Sla(working_hours=4),
    TriggerKind.INTENT_TO_LEAVE: Sla(working_hours=4),
    TriggerKind.BILL_SHOCK: Sla(working_days=2),
    TriggerKind.USAGE_DROP: Sla(working_days=2),
    TriggerKind.CONTRACT_END: Sla(working_days=7),
}
# Office hours of the retention team and the account managers, in the operator's
# zone (TELCRM_TIME_ZONE), Monday to Friday except national holidays (the contact
# policy's holiday calendar, rows without a province).
WORKDAY_STARTS = datetime.time(9, 0)
WORKDAY_ENDS = datetime.time(18, 0)
WORKDAYS = frozenset(range(5))
# Roles that close any task they see (the assignee always closes their own).
CLOSING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})


def is_working_day(day: datetime.date, holidays: Collection[datetime.date]) -> bool:
    return day.weekday() in WORKDAYS and day not in holidays


def working_hours_add(
    start: datetime.datetime,
    hours: float,
    *,
    holidays: Collection[datetime.date],
    zone: ZoneInfo,
) -> datetime.datetime:
    """``start`` plus ``hours`` of office hours: time outside 09:00-18:00, on
    weekends and on ``holidays`` does not count. A task raised at night is due
    ``hours`` after the next office opening."""
    remaining = datetime.timedelta(hours=hours)
    moment = start.astimezone(zone)
    while True:
        day = moment.date()
        opens = datetime.datetime.combine(day, WORKDAY_STARTS, tzinfo=zone)
        closes = datetime.datetime.combine(day, WORKDAY_ENDS, tzinfo=zone)
        if is_working_day(day, holidays) and moment < closes:
            moment = max(moment, opens)
            if moment + remaining <= closes:
                return moment + remaining
            remaining -= closes - moment
        next_day = day + datetime.timedelta(days=1)
        moment = datetime.datetime.combine(next_day, WORKDAY_STARTS, tzinfo=zone)


def working_days_add(
    start: datetime.datetime,
    days: int,
    *,
    holidays: Collection[datetime.date],
    zone: ZoneInfo,
) -> datetime.datetime:
    """The close of office on the ``days``-th working day after ``start``'s day:
    weekends and ``holidays`` do not count."""
    day = start.astimezone(zone).date()
    while days > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, holidays):
            days -= 1
    return datetime.datetime.combine(day, WORKDAY_ENDS, tzinfo=zone)


def national_holidays(
    first: datetime.date, last: datetime.date
) -> frozenset[datetime.date]:
    return frozenset(
        Holiday.objects.filter(
            province="", date__gte=first, date__lte=last
        ).values_list("date", flat=True)
    )


def task_due_at(trigger: str, raised_at: datetime.datetime) -> datetime.datetime:
    """When a task of ``trigger`` raised at ``raised_at`` falls due (``TASK_SLA``)."""
    sla = TASK_SLA[TriggerKind(trigger)]
    zone = ZoneInfo(settings.TIME_ZONE)
    first = raised_at.astimezone(zone).date()
    # Ten weeks hold any run of holidays and weekends several times over.
    holidays = national_holidays(first, first + datetime.timedelta(days=70))
    if sla.working_days:
        return working_days_add(
            raised_at, sla.working_days, holidays=holidays, zone=zone
        )
    return working_hours_add(raised_at, sla.working_hours, holidays=holidays, zone=zone)


def task_route(account_manager: User | None) -> tuple[User | None, str]:
    """``(assignee, queue)``: a key account's active manager, else the team."""
    if account_manager is not None and account_manager.is_active:
        return account_manager, TaskQueue.ACCOUNT_MANAGER
    return None, TaskQueue.RETENTION_TEAM


def _open_task(customer_id: int, trigger: str) -> RetentionTask | None:
    return RetentionTask.objects.filter(
        customer_id=customer_id, trigger=trigger, status=TaskStatus.OPEN
    ).first()


def retention_task_raise(
    *,
    customer: Customer,
    trigger: str,
    at: datetime.datetime,
    detail: str = "",
    source_reference: str = "",
) -> tuple[RetentionTask, bool]:
    """The customer's task for ``trigger``, and whether it was created now.

    Idempotent: the same event (``source_reference``) raised again returns the task
    it raised the first time, open or closed; any firing while the customer has an
    open task for ``trigger`` returns that task unchanged. Two workers raising at
    once meet at the database's unique constraint; the loser gets the winner's task.
    """
    trigger = TriggerKind(trigger)
    if source_reference:
        earlier = (
            RetentionTask.objects.filter(
                customer_id=customer.pk,
                trigger=trigger,
                source_reference=source_reference,
            )
            .order_by("-raised_at", "-id")
            .first()
        )
        if earlier is not None:
            return earlier, False
    current = _open_task(customer.pk, trigger)
    if current is not None:
        return current, False
    assignee, queue = task_route(customer.account_manager)
    task = RetentionTask(
        customer=customer,
        trigger=trigger,
        detail=detail,
        source_reference=source_reference,
        assigned_to=assignee,
        queue=queue,
        raised_at=at,
        due_at=task_due_at(trigger, at),
    )
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        current = _open_task(customer.pk, trigger)
        if current is None:
            raise
        return current, False
    return task, True


def retention_tasks_reroute(*, at: datetime.datetime | None = None) -> int:
    """Open tasks whose routing no longer holds, sent where a new task would go;
    returns how many moved.

    A key account's task follows the customer's current active manager (a new
    manager takes it; a departed one, or none, sends it to the team's queue), and an
    untaken queue task of a customer who became a key account goes to the manager.
    Tasks an agent has taken stay with the agent while the agent's account is
    active; a departed agent's go back to the queue. The nightly scan runs this, so
    that a change of staff never orphans a task outside everyone's view.
    """
    manager = F("customer__account_manager")
    active_manager = Q(
        customer__account_manager__isnull=False,
        customer__account_manager__is_active=True,
    )
    stale = RetentionTask.objects.filter(status=TaskStatus.OPEN).filter(
        Q(queue=TaskQueue.ACCOUNT_MANAGER)
        & (~active_manager | ~Q(assigned_to=manager) | Q(assigned_to__isnull=True))
        | Q(queue=TaskQueue.RETENTION_TEAM, assigned_to__isnull=True) & active_manager
        | Q(queue=TaskQueue.RETENTION_TEAM, assigned_to__is_active=False)
    )
    moved = 0
    for task in stale.select_related("customer__account_manager"):
        assignee, queue = task_route(task.customer.account_manager)
        moved += RetentionTask.objects.filter(
            pk=task.pk,
            status=TaskStatus.OPEN,
            queue=task.queue,
            assigned_to=task.assigned_to_id,
        ).update(assigned_to=assignee, queue=queue, updated=at or timezone.now())
    return moved


def _task_state_error(task_id: int) -> ValidationError:
    task = RetentionTask.objects.select_related("assigned_to").get(pk=task_id)
    if task.status != TaskStatus.OPEN:
        return ValidationError(_("This task is already closed."))
    if task.assigned_to is not None:
        return ValidationError(
            _("%(name)s has already taken this task.") % {"name": task.assigned_to}
        )
    return ValidationError(_("Only tasks of the retention team's queue are taken."))


def retention_task_take(
    *, task: RetentionTask, by: User, at: datetime.datetime | None = None
) -> RetentionTask:
    """An agent takes an open task from the retention team's queue.

    One conditional UPDATE: when two agents click at once, one gets the task and
    the other a ValidationError naming who has it.
    """
    if not (by.is_active and by.role == Role.AGENT):
        raise PermissionDenied(_("Agents take tasks from the retention queue."))
    taken = RetentionTask.objects.filter(
        pk=task.pk,
        status=TaskStatus.OPEN,
        queue=TaskQueue.RETENTION_TEAM,
        assigned_to__isnull=True,
    ).update(assigned_to=by, updated=at or timezone.now())
    if not taken:
        raise _task_state_error(task.pk)
    return RetentionTask.objects.get(pk=task.pk)


def may_close(user: User, task: RetentionTask) -> bool:
    """The assignee closes their task; supervisors and administrators any task."""
    if not user.is_active:
        return False
    return (
        user.is_superuser
        or user.role in CLOSING_ROLES
        or (task.assigned_to_id is not None and task.assigned_to_id == user.pk)
    )


def retention_task_close(
    *,
    task: RetentionTask,
    by: User,
    outcome: str,
    at: datetime.datetime | None = None,
) -> RetentionTask:
    """Close an open task with its outcome (stays, leaves, not reached)."""
    if outcome == TaskOutcome.NONE or outcome not in TaskOutcome.values:
        raise ValidationError(
            _("Unknown task outcome %(outcome)s.") % {"outcome": outcome}
        )
    if not may_close(by, task):
        raise PermissionDenied(
            _("The task's assignee, a supervisor or an administrator closes it.")
        )
    moment = at or timezone.now()
    closed = RetentionTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE,
        outcome=outcome,
        closed_at=max(moment, task.raised_at),
        closed_by=by,
        updated=timezone.now(),
    )
    if not closed:
        raise _task_state_error(task.pk)
    return RetentionTask.objects.get(pk=task.pk)


def retention_tasks_merge(
    *, merged: Customer, survivor: Customer, by: User | None
) -> int:
    """Before two records of one person are merged: cancel the merged record's open
    tasks for a trigger the survivor has an open task for (one person, one open
    task per trigger; the survivor's stands). Undoing the merge does not reopen
    them. Returns how many were cancelled."""
    survivor_open = RetentionTask.objects.filter(
        customer=survivor, status=TaskStatus.OPEN
    ).values("trigger")
    now = timezone.now()
    return RetentionTask.objects.filter(
        customer=merged, status=TaskStatus.OPEN, trigger__in=survivor_open
    ).update(status=TaskStatus.CANCELLED, closed_at=now, closed_by=by, updated=now)
