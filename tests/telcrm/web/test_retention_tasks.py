"""The retention task queue page: who sees which tasks (within their data scope),
overdue first, taking a queue task and closing a task (HTMX rows)."""

from __future__ import annotations

import datetime
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.telcrm import factories
from tests.telcrm.factories import CustomerFactory, UserFactory

from telcrm.campaigns.choices import (
    OptOutSource,
    TaskOutcome,
    TaskQueue,
    TaskStatus,
    TriggerKind,
)
from telcrm.campaigns.models import RetentionTask
from telcrm.campaigns.services import customer_opt_out
from telcrm.campaigns.tasks import retention_task_raise
from telcrm.customers.models import Customer
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.retention import views

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
PAGE = "/retention/tasks/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def logged_in(role: str, **fields: Any) -> tuple[Client, User]:
    """A member of staff reading English (unless ``language`` says otherwise)."""
    return factories.logged_in(role, **{"language": "en", **fields})


def raise_task(
    trigger: str = TriggerKind.CONTRACT_END,
    *,
    manager: User | None = None,
    ago: datetime.timedelta = datetime.timedelta(0),
    **customer_fields: Any,
) -> RetentionTask:
    """A task raised ``ago`` before now; contract-end tasks are due 7 working days
    later, port-out queries within 4 working hours."""
    customer = cast(
        Customer, CustomerFactory(account_manager=manager, **customer_fields)
    )
    task, _ = retention_task_raise(
        customer=customer,
        trigger=trigger,
        at=timezone.now() - ago,
        detail=f"detail of {customer.customer_number}",
    )
    return task


def overdue_task(**fields: Any) -> RetentionTask:
    # 30 days hold 7 working days whatever the weekends and holidays around now.
    return raise_task(ago=30 * DAY, **fields)


def shown(client: Client, query: str = "") -> dict[str, list[int]]:
    """The page's sections and the task ids in each, in order."""
    response = client.get(PAGE + query)
    assert response.status_code == 200
    return {
        section.key: [row.task.pk for row in section.rows]
        for section in response.context["board"].sections
    }


def test_an_agent_sees_the_team_queue_and_their_own_tasks() -> None:
    client, agent = logged_in(Role.AGENT)
    later = raise_task()
    late = overdue_task()
    mine = raise_task()
    RetentionTask.objects.filter(pk=mine.pk).update(assigned_to=agent)
    taken_by_other = raise_task()
    RetentionTask.objects.filter(pk=taken_by_other.pk).update(
        assigned_to=UserFactory(role=Role.AGENT)
    )
    raise_task(manager=UserFactory(role=Role.ACCOUNT_MANAGER))

    assert shown(client) == {"mine": [mine.pk], "queue": [late.pk, later.pk]}
    page = client.get(PAGE).content.decode()
    assert 'href="/retention/tasks/"' in page
    assert f'action="/retention/tasks/{later.pk}/take/"' in page
    assert f'action="/retention/tasks/{mine.pk}/close/"' in page
    assert "overdue" in page


def test_an_account_manager_sees_their_own_tasks_only() -> None:
    client, manager = logged_in(Role.ACCOUNT_MANAGER)
    own = raise_task(manager=manager)
    own_late = overdue_task(manager=manager)
    raise_task(manager=UserFactory(role=Role.ACCOUNT_MANAGER))
    raise_task()

    assert shown(client) == {"mine": [own_late.pk, own.pk]}
    page = client.get(PAGE).content.decode()
    assert "/take/" not in page
    assert f'action="/retention/tasks/{own.pk}/close/"' in page


def test_a_supervisor_sees_every_task_in_scope_overdue_first_and_queue_counts() -> None:
    client, supervisor = logged_in(Role.SUPERVISOR)
    report = cast(User, UserFactory(role=Role.ACCOUNT_MANAGER, supervisor=supervisor))
    stranger = cast(User, UserFactory(role=Role.ACCOUNT_MANAGER))
    due_later = raise_task(manager=report)
    port_out = raise_task(TriggerKind.PORT_OUT_QUERY, manager=report, ago=3 * DAY)
    raise_task(manager=stranger)
    raise_task()
    overdue_task()

    assert shown(client) == {"all": [port_out.pk, due_later.pk]}
    response = client.get(PAGE)
    assert response.context["board"].queue.open == 2
    assert response.context["board"].queue.overdue == 1
    page = response.content.decode()
    assert "Retention team queue: 2 open tasks, 1 overdue." in page
    assert f'action="/retention/tasks/{due_later.pk}/close/"' in page


def test_an_administrator_sees_every_task() -> None:
    client, _ = logged_in(Role.ADMINISTRATOR)
    tasks = [raise_task(), raise_task(manager=UserFactory(role=Role.ACCOUNT_MANAGER))]
    assert shown(client) == {"all": [task.pk for task in tasks]}


def test_the_trigger_filter() -> None:
    client, _ = logged_in(Role.AGENT)
    raise_task(TriggerKind.CONTRACT_END)
    port = raise_task(TriggerKind.PORT_OUT_QUERY)
    assert shown(client, "?trigger=port_out_query") == {
        "mine": [],
        "queue": [port.pk],
    }
    assert len(shown(client, "?trigger=nonsense")["queue"]) == 2


def test_closed_tasks_leave_the_page() -> None:
    client, manager = logged_in(Role.ACCOUNT_MANAGER)
    task = raise_task(manager=manager)
    RetentionTask.objects.filter(pk=task.pk).update(
        status=TaskStatus.DONE, closed_at=timezone.now()
    )
    assert shown(client) == {"mine": []}


def test_other_roles_are_refused() -> None:
    for role in (Role.MARKETER, Role.ANALYST, Role.AUDITOR, Role.OUTLET_STAFF):
        client, _ = logged_in(role)
        assert client.get(PAGE).status_code == 403
        assert b"/retention/tasks/" not in client.get("/").content


def rows_of(page: str) -> dict[int, str]:
    """Each task row's HTML by task id."""
    return {
        int(chunk.split('"', 1)[0]): chunk for chunk in page.split('<tr id="task-')[1:]
    }


def test_a_customer_who_opted_out_of_marketing_is_flagged() -> None:
    client, _ = logged_in(Role.AGENT)
    quiet = raise_task()
    other = raise_task()
    customer_opt_out(customer=quiet.customer, source=OptOutSource.WEB)

    rows = rows_of(client.get(PAGE).content.decode())

    assert "opted out of marketing" in rows[quiet.pk]
    assert "opted out of marketing" not in rows[other.pk]
    row = client.post(f"{PAGE}{quiet.pk}/take/", **HTMX).content.decode()
    assert "opted out of marketing" in row


# --- Taking --------------------------------------------------------------------------


def test_an_agent_takes_a_queue_task_htmx_answers_with_its_row() -> None:
    client, agent = logged_in(Role.AGENT)
    task = raise_task()

    response = client.post(f"{PAGE}{task.pk}/take/", **HTMX)

    assert response.status_code == 200
    row = response.content.decode()
    assert row.startswith(f'<tr id="task-{task.pk}">')
    assert f'action="/retention/tasks/{task.pk}/close/"' in row
    assert str(agent) in row
    task.refresh_from_db()
    assert (task.assigned_to, task.queue) == (agent, TaskQueue.RETENTION_TEAM)
    assert shown(client) == {"mine": [task.pk], "queue": []}


def test_a_task_taken_in_between_says_by_whom(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both agents clicked at once: the other's take lands between our page's check
    and our update; the row tells us who has the task."""
    client, _ = logged_in(Role.AGENT)
    other = cast(User, UserFactory(role=Role.AGENT, full_name="坐席甲"))
    task = raise_task()
    real_take = views.task_take

    def other_first(*, task: RetentionTask, by: User) -> RetentionTask:
        real_take(task=task, by=other)
        return real_take(task=task, by=by)

    monkeypatch.setattr(views, "task_take", other_first)
    response = client.post(f"{PAGE}{task.pk}/take/", **HTMX)

    row = response.content.decode()
    assert f'<p class="error">{other} has already taken this task.</p>' in row
    assert "/close/" not in row
    task.refresh_from_db()
    assert task.assigned_to == other


def test_a_task_another_agent_took_is_out_of_reach() -> None:
    client_a, agent_a = logged_in(Role.AGENT)
    client_b, _ = logged_in(Role.AGENT)
    task = raise_task()
    assert client_a.post(f"{PAGE}{task.pk}/take/").status_code == 302
    # Agent B's page still showed the button; the task is A's now, so B gets a 404
    # from the scope before the service is asked.
    assert client_b.post(f"{PAGE}{task.pk}/take/").status_code == 404
    task.refresh_from_db()
    assert task.assigned_to == agent_a


def test_taking_without_htmx_redirects_with_a_message() -> None:
    client, _ = logged_in(Role.AGENT)
    task = raise_task()
    response = client.post(f"{PAGE}{task.pk}/take/", follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Task taken: it is now in your tasks." in response.content.decode()


def test_only_agents_take() -> None:
    client, manager = logged_in(Role.SUPERVISOR)
    task = raise_task()
    assert client.post(f"{PAGE}{task.pk}/take/").status_code == 403
    client, manager = logged_in(Role.ACCOUNT_MANAGER)
    own = raise_task(manager=manager)
    assert client.post(f"{PAGE}{own.pk}/take/").status_code == 403


def test_a_manager_s_task_cannot_be_taken_by_an_agent() -> None:
    client, _ = logged_in(Role.AGENT)
    task = raise_task(manager=UserFactory(role=Role.ACCOUNT_MANAGER))
    assert client.post(f"{PAGE}{task.pk}/take/").status_code == 404


# --- Closing -------------------------------------------------------------------------


def test_the_assignee_closes_with_an_outcome() -> None:
    client, manager = logged_in(Role.ACCOUNT_MANAGER)
    task = raise_task(manager=manager)

    response = client.post(
        f"{PAGE}{task.pk}/close/", {"outcome": TaskOutcome.STAYED}, **HTMX
    )

    assert response.status_code == 200
    row = response.content.decode()
    assert "Done · Customer stays" in row
    assert "<form" not in row
    task.refresh_from_db()
    assert (task.status, task.outcome, task.closed_by) == (
        TaskStatus.DONE,
        TaskOutcome.STAYED,
        manager,
    )


def test_closing_without_an_outcome_says_so_in_the_row() -> None:
    client, manager = logged_in(Role.ACCOUNT_MANAGER)
    task = raise_task(manager=manager)
    for data in ({}, {"outcome": ""}, {"outcome": "maybe"}):
        response = client.post(f"{PAGE}{task.pk}/close/", data, **HTMX)
        assert response.status_code == 200
        assert "Choose the outcome of the task." in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_closing_twice_says_it_is_closed() -> None:
    client, manager = logged_in(Role.ACCOUNT_MANAGER)
    task = raise_task(manager=manager)
    client.post(f"{PAGE}{task.pk}/close/", {"outcome": TaskOutcome.LEFT})
    response = client.post(
        f"{PAGE}{task.pk}/close/", {"outcome": TaskOutcome.STAYED}, follow=True
    )
    assert "This task is already closed." in response.content.decode()
    task.refresh_from_db()
    assert task.outcome == TaskOutcome.LEFT


def test_an_agent_closes_a_queue_task_only_after_taking_it() -> None:
    client, agent = logged_in(Role.AGENT)
    task = raise_task()
    assert (
        client.post(f"{PAGE}{task.pk}/close/", {"outcome": "stayed"}).status_code == 403
    )
    client.post(f"{PAGE}{task.pk}/take/")
    client.post(f"{PAGE}{task.pk}/close/", {"outcome": TaskOutcome.NOT_REACHED})
    task.refresh_from_db()
    assert (task.status, task.closed_by) == (TaskStatus.DONE, agent)


def test_a_supervisor_closes_a_report_s_task_not_a_stranger_s() -> None:
    client, supervisor = logged_in(Role.SUPERVISOR)
    report = UserFactory(role=Role.ACCOUNT_MANAGER, supervisor=supervisor)
    theirs = raise_task(manager=report)
    strangers = raise_task(manager=UserFactory(role=Role.ACCOUNT_MANAGER))
    client.post(f"{PAGE}{theirs.pk}/close/", {"outcome": TaskOutcome.STAYED})
    assert (
        client.post(
            f"{PAGE}{strangers.pk}/close/", {"outcome": TaskOutcome.STAYED}
        ).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert (theirs.status, theirs.closed_by) == (TaskStatus.DONE, supervisor)


# --- Cost and language --------------------------------------------------------------


def page_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_one_task_or_many() -> None:
    client, _ = logged_in(Role.AGENT)
    raise_task()
    page_queries(client)  # the session's first request costs more
    one = page_queries(client)
    for _ in range(12):
        raise_task()
        raise_task(TriggerKind.PORT_OUT_QUERY)
    assert page_queries(client) == one


def test_the_page_in_chinese() -> None:
    client, _ = logged_in(Role.AGENT, language="zh-hans")
    raise_task(TriggerKind.PORT_OUT_QUERY)
    page = client.get(PAGE).content.decode()
    assert "<h1>挽留任务</h1>" in page
    assert "挽留团队队列" in page
    assert "携号转网咨询" in page
    assert ">领取</button>" in page
