"""Reads of the retention task queue page (``/retention/tasks/``).

Who sees which tasks, always within their data scope (``telcrm.web.scope``):

* agents: the retention team's queue (open, nobody has taken them) and their own;
* account managers: their own (their key accounts' tasks);
* supervisors and administrators: every task of the customers they see, overdue
  first, and the team queue's size as counts (its customers may lie outside a
  supervisor's scope, so they are not listed).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils.translation import gettext as _

from telcrm.campaigns.choices import TaskQueue, TaskStatus, TriggerKind
from telcrm.campaigns.models import ContactSuppression, RetentionTask
from telcrm.campaigns.tasks import may_close
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.scope import holds_role, visible_customers

RETENTION_ROLES = frozenset(
    {Role.AGENT, Role.ACCOUNT_MANAGER, Role.SUPERVISOR, Role.ADMINISTRATOR}
)
OVERSEEING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})
TAKING_ROLES = frozenset({Role.AGENT})
TASKS_PER_PAGE = 50


def sees_retention_tasks(user: User) -> bool:
    return holds_role(user, RETENTION_ROLES)


def takes_retention_tasks(user: User) -> bool:
    return user.is_active and user.role in TAKING_ROLES


def oversees_retention(user: User) -> bool:
    return holds_role(user, OVERSEEING_ROLES)


def visible_tasks(user: User) -> QuerySet[RetentionTask]:
    """The tasks ``user`` may see, open or closed."""
    if not sees_retention_tasks(user):
        return RetentionTask.objects.none()
    tasks = RetentionTask.objects.filter(
        customer__in=visible_customers(user).values("pk")
    )
    if oversees_retention(user):
        return tasks
    if user.role == Role.AGENT:
        return tasks.filter(
            Q(assigned_to=user)
            | Q(queue=TaskQueue.RETENTION_TEAM, assigned_to__isnull=True)
        )
    return tasks.filter(assigned_to=user)


def task_for(user: User, task_id: int) -> RetentionTask:
    """The task, if ``user`` sees it; otherwise 404 (no existence leak)."""
    task = (
        visible_tasks(user)
        .select_related("customer__party", "assigned_to")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise Http404
    return task


@dataclass(frozen=True)
class TaskRow:
    task: RetentionTask
    overdue: bool
    may_take: bool
    may_close: bool
    # The customer opted out of marketing (or objected): the person acts on the
    # trigger without pitching an offer.
    opted_out: bool

    @property
    def closed(self) -> bool:
        return self.task.status != TaskStatus.OPEN


def opted_out() -> Exists:
    """Annotation: the task's customer is on the suppression list now."""
    return Exists(
        ContactSuppression.objects.filter(
            customer=OuterRef("customer"), lifted_at__isnull=True
        )
    )


def task_row(user: User, task: RetentionTask, now: datetime.datetime) -> TaskRow:
    """One task's row; ``task`` comes annotated with ``opted_out`` (else one query)."""
    is_open = task.status == TaskStatus.OPEN
    suppressed = getattr(task, "opted_out", None)
    if suppressed is None:
        suppressed = ContactSuppression.objects.filter(
            customer_id=task.customer_id, lifted_at__isnull=True
        ).exists()
    return TaskRow(
        task=task,
        overdue=is_open and task.due_at < now,
        may_take=is_open
        and takes_retention_tasks(user)
        and task.queue == TaskQueue.RETENTION_TEAM
        and task.assigned_to_id is None,
        may_close=is_open and may_close(user, task),
        opted_out=bool(suppressed),
    )


@dataclass(frozen=True)
class TaskSection:
    key: str
    title: str
    page: Page[Any]
    rows: list[TaskRow]
    empty: str

    @property
    def page_param(self) -> str:
        return f"{self.key}_page"


@dataclass(frozen=True)
class QueueSummary:
    open: int
    overdue: int


@dataclass(frozen=True)
class TaskBoard:
    now: datetime.datetime
    trigger: str
    sections: list[TaskSection]
    queue: QueueSummary | None


def overdue_first(
    tasks: QuerySet[RetentionTask], now: datetime.datetime
) -> QuerySet[RetentionTask]:
    return tasks.annotate(
        is_overdue=Case(
            When(due_at__lt=now, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    ).order_by("-is_overdue", "due_at", "id")


def _section(
    user: User,
    key: str,
    title: str,
    empty: str,
    tasks: QuerySet[RetentionTask],
    now: datetime.datetime,
    page: str | None,
) -> TaskSection:
    found = Paginator(
        overdue_first(tasks, now)
        .annotate(opted_out=opted_out())
        .select_related("customer__party", "assigned_to"),
        TASKS_PER_PAGE,
    ).get_page(page)
    rows = [task_row(user, task, now) for task in found.object_list]
    return TaskSection(key, title, found, rows, empty)


def task_board(
    user: User,
    *,
    now: datetime.datetime,
    trigger: str = "",
    pages: dict[str, str | None] | None = None,
) -> TaskBoard:
    """The open tasks ``user`` works on, by section, each overdue first."""
    pages = pages or {}
    trigger = trigger if trigger in TriggerKind.values else ""
    tasks = visible_tasks(user).filter(status=TaskStatus.OPEN)
    if trigger:
        tasks = tasks.filter(trigger=trigger)
    sections = []
    queue = None
    if oversees_retention(user):
        sections.append(
            _section(
                user,
                "all",
                _("All open tasks"),
                _("No open task."),
                tasks,
                now,
                pages.get("all_page"),
            )
        )
        team = RetentionTask.objects.filter(
            status=TaskStatus.OPEN,
            queue=TaskQueue.RETENTION_TEAM,
            assigned_to__isnull=True,
        )
        if trigger:
            team = team.filter(trigger=trigger)
        queue = QueueSummary(
            open=team.count(), overdue=team.filter(due_at__lt=now).count()
        )
    else:
        sections.append(
            _section(
                user,
                "mine",
                _("My tasks"),
                _("No open task of yours."),
                tasks.filter(assigned_to=user),
                now,
                pages.get("mine_page"),
            )
        )
        if takes_retention_tasks(user):
            sections.append(
                _section(
                    user,
                    "queue",
                    _("Retention team queue"),
                    _("The queue is empty."),
                    tasks.filter(assigned_to__isnull=True),
                    now,
                    pages.get("queue_page"),
                )
            )
    return TaskBoard(now=now, trigger=trigger, sections=sections, queue=queue)
