"""The key-account group page, its visits and bundle proposal, and the workbench.

A group page opens when the node's customer is in the user's data scope (else 404);
visits may be recorded by the group's manager, team, their supervisors and
administrators (else 403); the workbench is for account managers and supervisors.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.customer360.selectors import today_local
from telcrm.web.keyaccounts.forms import VisitForm
from telcrm.web.keyaccounts.proposal import group_proposal as proposal_of
from telcrm.web.keyaccounts.selectors import (
    group_node_for,
    group_page,
    group_root_of,
    group_visit_lists,
    may_record_visits,
)
from telcrm.web.keyaccounts.selectors import workbench as workbench_of
from telcrm.web.keyaccounts.services import group_visit_record
from telcrm.web.scope import holds_role
from telcrm.web.views import is_htmx, staff_allowed

WORKBENCH_ROLES = frozenset({Role.ACCOUNT_MANAGER, Role.SUPERVISOR})
# Key-account management: agents and outlet staff find a group's member customers,
# but the group's revenue, risk and proposals are for its managers.
KEY_ACCOUNT_ROLES = frozenset(
    {Role.ACCOUNT_MANAGER, Role.SUPERVISOR, Role.ADMINISTRATOR}
)


def manages_key_accounts(user: User) -> bool:
    return holds_role(user, KEY_ACCOUNT_ROLES)


def sees_workbench(user: User) -> bool:
    return holds_role(user, WORKBENCH_ROLES)


def key_account_staff(request: HttpRequest) -> User:
    """The logged-in user, if their role manages key accounts (else 403)."""
    return staff_allowed(request, manages_key_accounts)


@require_GET
@login_required
def group(request: HttpRequest, node_number: str) -> HttpResponse:
    """``/groups/<node_number>/``: the tree, team, products, revenue, risk, visits."""
    user = key_account_staff(request)
    node = group_node_for(user, node_number)
    page = group_page(node, today=today_local())
    return render(
        request,
        "web/keyaccounts/group.html",
        {
            "page": page,
            "may_record": may_record_visits(user, page.root),
            "form": VisitForm(today=today_local()),
        },
    )


@require_POST
@login_required
def group_visit(request: HttpRequest, node_number: str) -> HttpResponse:
    """Record a visit or a plan (HTMX: answers with the refreshed visits section)."""
    user = key_account_staff(request)
    root = group_root_of(group_node_for(user, node_number))
    if not may_record_visits(user, root):
        raise PermissionDenied
    today = today_local()
    form = VisitForm(request.POST, today=today)
    if form.is_valid():
        group_visit_record(
            root=root,
            by=user,
            day=form.cleaned_data["visit_date"],
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
        )
        if not is_htmx(request):
            return HttpResponseRedirect(reverse("web:group", args=[node_number]))
        form = VisitForm(today=today)
    return render(
        request,
        "web/keyaccounts/visits.html",
        {
            "node_number": node_number,
            "may_record": True,
            "form": form,
            "visits": group_visit_lists(root),
        },
    )


@require_GET
@login_required
def group_proposal(request: HttpRequest, node_number: str) -> HttpResponse:
    """``/groups/<node_number>/proposal/``: a printable customised bundle proposal."""
    user = key_account_staff(request)
    node = group_node_for(user, node_number)
    held, proposal = proposal_of(node)
    return render(
        request,
        "web/keyaccounts/proposal.html",
        {"node": node, "held": held, "proposal": proposal, "today": today_local()},
    )


@require_GET
@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """``/workbench/``: my customers and groups, who is at risk, my tasks today."""
    user = workbench_user(request)
    return render(
        request,
        "web/keyaccounts/workbench.html",
        {
            "bench": workbench_of(
                user, today=today_local(), page=request.GET.get("page", 1)
            )
        },
    )


def workbench_user(request: HttpRequest) -> User:
    return staff_allowed(request, sees_workbench)
