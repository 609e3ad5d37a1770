"""The retention task queue: ``/retention/tasks/``, taking a task from the team's
queue and closing a task with its outcome (HTMX answers with the task's row).

The page is for agents, account managers, supervisors and administrators (else
403); a task outside the user's tasks and data scope is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from telcrm.campaigns.choices import TriggerKind
from telcrm.campaigns.models import RetentionTask
from telcrm.campaigns.tasks import retention_task_close as task_close
from telcrm.campaigns.tasks import retention_task_take as task_take
from telcrm.users.models import User
from telcrm.web.retention.forms import CLOSING_OUTCOMES, TaskCloseForm
from telcrm.web.retention.selectors import (
    sees_retention_tasks,
    takes_retention_tasks,
    task_board,
    task_for,
    task_row,
)
from telcrm.web.views import is_htmx, staff_allowed


@require_GET
@login_required
def retention_tasks(request: HttpRequest) -> HttpResponse:
    """``/retention/tasks/``: the open tasks the user works on, overdue first."""
    user = staff_allowed(request, sees_retention_tasks)
    board = task_board(
        user,
        now=timezone.now(),
        trigger=request.GET.get("trigger", ""),
        pages={
            key: request.GET.get(key) for key in ("all_page", "mine_page", "queue_page")
        },
    )
    return render(
        request,
        "web/retention/tasks.html",
        {
            "board": board,
            "outcomes": CLOSING_OUTCOMES,
            "triggers": TriggerKind.choices,
        },
    )


def _answer(
    request: HttpRequest, user: User, task: RetentionTask, error: str, done: str
) -> HttpResponse:
    """HTMX: the task's row again (with the error, if any); else back to the page."""
    if is_htmx(request):
        task.refresh_from_db()
        return render(
            request,
            "web/retention/task_row.html",
            {
                "row": task_row(user, task, timezone.now()),
                "error": error,
                "outcomes": CLOSING_OUTCOMES,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("web:retention_tasks"))


@require_POST
@login_required
def retention_task_take(request: HttpRequest, task_id: int) -> HttpResponse:
    """An agent takes the task from the retention team's queue."""
    user = staff_allowed(request, takes_retention_tasks)
    task = task_for(user, task_id)
    error = ""
    try:
        task_take(task=task, by=user)
    except ValidationError as failure:
        error = " ".join(failure.messages)
    return _answer(
        request, user, task, error, _("Task taken: it is now in your tasks.")
    )


@require_POST
@login_required
def retention_task_close(request: HttpRequest, task_id: int) -> HttpResponse:
    """Close the task with its outcome (its assignee, a supervisor, an administrator;
    the service refuses anyone else with a 403)."""
    user = staff_allowed(request, sees_retention_tasks)
    task = task_for(user, task_id)
    form = TaskCloseForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Choose the outcome of the task.")
    else:
        try:
            task_close(task=task, by=user, outcome=form.cleaned_data["outcome"])
        except ValidationError as failure:
            error = " ".join(failure.messages)
    return _answer(request, user, task, error, _("Task closed."))
