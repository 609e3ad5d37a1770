"""The auditor's audit log: every recorded event, filtered and paginated, read only.

Readable by auditors and administrators; everyone else gets 403. Nothing here writes:
the trail is only ever appended to by ``telcrm.audit.services.audit_record``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from telcrm.audit.choices import AuditAction
from telcrm.audit.models import AuditEvent
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.scope import holds_role
from telcrm.web.views import staff

AUDIT_LOG_ROLES = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
EVENTS_PER_PAGE = 50


def reads_audit_log(user: User) -> bool:
    return holds_role(user, AUDIT_LOG_ROLES)


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action")), *AuditAction.choices],
    )
    target = forms.CharField(label=_("Target"), required=False, max_length=64)
    since = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("To"), required=False)


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in the operator's time zone (dates are local days)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_events(filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """Events matching the cleaned filters; the date range includes both days."""
    events = AuditEvent.objects.all()
    if filters.get("user"):
        events = events.filter(username__icontains=str(filters["user"]))
    if filters.get("action"):
        events = events.filter(action=str(filters["action"]))
    if filters.get("target"):
        events = events.filter(target_id=str(filters["target"]))
    since = filters.get("since")
    if isinstance(since, date):
        events = events.filter(at__gte=start_of_day(since))
    until = filters.get("until")
    if isinstance(until, date):
        events = events.filter(at__lt=start_of_day(until + timedelta(days=1)))
    return events


@require_GET
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not reads_audit_log(staff(request)):
        raise PermissionDenied
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(filtered_events(filters), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Page links keep the filters.
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/auditlog/audit_log.html",
        {"form": form, "page": page, "filter_query": query.urlencode()},
    )
