"""Choice sets of the billing app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from telcrm.accounts.choices import PayMethod


class ChargeType(models.TextChoices):
    """Bill item types of ``billing/bill_items.csv``."""

    MONTHLY_FEE = "monthly_fee", _("Monthly fee")
    LOCAL_VOICE = "local_voice", _("Local calls")
    LONG_DISTANCE = "long_distance", _("Long-distance calls")
    INTERNATIONAL = "international", _("International calls")
    INFO_SERVICE = "info_service", _("Information services")
    SMS = "sms", _("SMS")
    DATA = "data", _("Data")
    ROAMING = "roaming", _("Roaming")
    VAS = "vas", _("Value-added services")
    DISCOUNT = "discount", _("Discount")
    LATE_FEE = "late_fee", _("Late fee")


# Payments use the accounts' pay methods (docs/silos.md: "as pay_method").
PaymentMethod = PayMethod


class AgeingBucket(models.TextChoices):
    """Days past the due date, as the arrears report groups them."""

    DAYS_0_30 = "0_30", _("0-30 days")
    DAYS_31_60 = "31_60", _("31-60 days")
    DAYS_61_90 = "61_90", _("61-90 days")
    DAYS_90_PLUS = "90_plus", _("Over 90 days")
