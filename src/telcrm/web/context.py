"""What every page's navigation offers the logged-in member of staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from telcrm.users.models import User
from telcrm.web.auditlog.views import reads_audit_log
from telcrm.web.campaigns.selectors import makes_calls, reads_campaigns
from telcrm.web.dashboards.views import sees_dashboards
from telcrm.web.keyaccounts.views import sees_workbench
from telcrm.web.retention.selectors import sees_retention_tasks
from telcrm.web.scope import sees_customers


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav``: which parts of the app the user's role opens (links to the others
    would only lead to a 403)."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {"nav": {}}
    return {
        "nav": {
            "customers": sees_customers(user),
            "dashboards": sees_dashboards(user),
            "audit": reads_audit_log(user),
            "workbench": sees_workbench(user),
            "retention": sees_retention_tasks(user),
            "campaigns": reads_campaigns(user),
            "calls": makes_calls(user),
        }
    }
