"""Choice sets of the inventory app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SubscriptionStatus(models.TextChoices):
    """TMF637 product status, in the billing system's vocabulary."""

    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")
    PORTED_OUT = "ported_out", _("Ported out")


LIVE_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)
ENDED_STATUSES = (SubscriptionStatus.TERMINATED, SubscriptionStatus.PORTED_OUT)
