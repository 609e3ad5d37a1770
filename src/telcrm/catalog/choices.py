"""Choice sets of the catalog app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LineOfBusiness(models.TextChoices):
    MOBILE_PREPAID = "mobile_prepaid", _("Mobile prepaid")
    MOBILE_POSTPAID = "mobile_postpaid", _("Mobile postpaid")
    FIXED_LINE = "fixed_line", _("Fixed line")
    BROADBAND = "broadband", _("Broadband")
    VAS = "vas", _("Value-added service")


class OfferingKind(models.TextChoices):
    PLAN = "plan", _("Price plan")
    BUNDLE = "bundle", _("Bundle")
    ADDON = "addon", _("Add-on")


class LifecycleStatus(models.TextChoices):
    """TMF620 lifecycle, reduced to the states that change what may be sold."""

    IN_DESIGN = "in_design", _("In design")
    ACTIVE = "active", _("Active (sold)")
    RETIRED = "retired", _("Retired (kept, no new sales)")
