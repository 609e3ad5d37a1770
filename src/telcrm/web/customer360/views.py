"""Find a customer, the customer 360 page, and unmasking personal data on it.

Every customer shown comes through ``visible_customers`` / ``customer_for``: roles
without single customers get a 403, a customer outside the scope is a 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from telcrm.audit.choices import AuditAction
from telcrm.audit.services import (
    UNMASK_PERMISSION,
    UNMASK_SECONDS,
    audit_record,
    is_unmasked,
    unmask_grant,
)
from telcrm.customers.models import Customer
from telcrm.users.models import User
from telcrm.web.customer360.display import Shown, id_number_of, search_row
from telcrm.web.customer360.forms import UnmaskForm
from telcrm.web.customer360.selectors import (
    Customer360,
    customer_360,
    customer_search,
    today_local,
)
from telcrm.web.scope import customer_for, sees_customers
from telcrm.web.views import is_htmx, staff_allowed


def customer_staff(request: HttpRequest) -> User:
    """The logged-in user, if their role works with single customers (else 403)."""
    return staff_allowed(request, sees_customers)


@require_GET
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """``/customers/?q=``: the full page, or only the results for HTMX live search."""
    user = customer_staff(request)
    query = request.GET.get("q", "").strip()
    context = {
        "query": query,
        "results": [search_row(found) for found in customer_search(user, query)],
    }
    if is_htmx(request):
        return render(request, "web/customer360/search_results.html", context)
    return render(request, "web/customer360/search.html", context)


@require_GET
@login_required
def customer(request: HttpRequest, customer_number: str) -> HttpResponse:
    """The customer 360 page; every opening is recorded (who saw which customer)."""
    user = customer_staff(request)
    found = customer_for(user, customer_number)
    audit_record(user=user, action=AuditAction.VIEW, target=found, request=request)
    return render(
        request,
        "web/customer360/customer.html",
        customer_context(request, user, found),
    )


@require_POST
@login_required
def unmask(request: HttpRequest, customer_number: str) -> HttpResponse:
    """Show the full phone and ID number for a while, with a typed reason."""
    user = customer_staff(request)
    found = customer_for(user, customer_number)
    if not user.has_perm(UNMASK_PERMISSION):
        raise PermissionDenied
    form = UnmaskForm(request.POST)
    if form.is_valid():
        try:
            unmask_grant(
                request=request,
                user=user,
                customer=found,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error("reason", error)
    if form.is_valid():
        return unmasked_response(request, found.customer_number)
    return render(
        request,
        "web/customer360/unmask_form.html",
        {"customer_number": found.customer_number, "form": form},
    )


def unmasked_response(request: HttpRequest, customer_number: str) -> HttpResponse:
    """Reload the 360 page (HTMX or not) so it shows the full values."""
    page = reverse("web:customer", args=[customer_number])
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = page
        return response
    return HttpResponseRedirect(page)


def customer_context(
    request: HttpRequest, user: User, found: Customer
) -> dict[str, object]:
    view = customer_360(
        found, today=today_local(), interactions_page=request.GET.get("page", 1)
    )
    unmasked = is_unmasked(request, view.customer)
    shown = Shown(unmasked=unmasked)
    return {
        "view": view,
        "customer": view.customer,
        "score": view.score,
        "unmasked": unmasked,
        "unmask_minutes": UNMASK_SECONDS // 60,
        "may_unmask": user.has_perm(UNMASK_PERMISSION),
        "form": UnmaskForm(),
        "id_number": shown.id_number(id_number_of(view.customer)),
        "contacts": [shown.contact(contact) for contact in view.contacts],
        "billing_accounts": [shown.billing_account(a) for a in view.billing_accounts],
        "service_accounts": [shown.service_account(a) for a in view.service_accounts],
        "lines": [shown.line(line) for line in view.lines],
        "fraud_flags": [shown.fraud_flag(flag) for flag in view.fraud_flags],
        "interactions": [shown.interaction(i) for i in view.interactions],
        "usage_chart": usage_chart(view.usage),
        "arrears": arrears_rows(view),
    }


def usage_chart(usage: list[dict[str, object]]) -> dict[str, object]:
    """Series for the ECharts usage chart (passed to the page with json_script)."""
    names = {
        "voice_out_minutes": _("Minutes out"),
        "voice_in_minutes": _("Minutes in"),
        "sms_out": _("SMS out"),
        "data_mb": _("Data (MB)"),
    }
    chart: dict[str, object] = {"months": [row["month"] for row in usage]}
    for key in names:
        chart[key] = [row[key] for row in usage]
    chart["names"] = {**names, "minutes": _("Minutes"), "megabytes": _("MB")}
    return chart


def arrears_rows(view: Customer360) -> list[dict[str, object]]:
    """The ageing rows with the account number instead of its key."""
    numbers = {account.pk: account.account_number for account in view.billing_accounts}
    return [
        {**row, "account_number": numbers.get(int(str(row["billing_account"])), "")}
        for row in view.arrears
    ]
