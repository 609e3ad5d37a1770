"""Choice sets of the users app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a member of staff does; each role maps to one permission group."""

    AGENT = "agent", _("Call-centre agent")
    OUTLET_STAFF = "outlet_staff", _("Retail-outlet staff")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    MARKETER = "marketer", _("Marketer")
    ANALYST = "analyst", _("Analyst")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMINISTRATOR = "administrator", _("Administrator")
    AUDITOR = "auditor", _("Auditor")
