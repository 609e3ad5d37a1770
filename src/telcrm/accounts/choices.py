"""Choice sets of the accounts app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class GroupLevel(models.TextChoices):
    GROUP = "group", _("Group")
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    BRANCH = "branch", _("Branch")


class TeamRole(models.TextChoices):
    """Roles in a key account's action team (R8)."""

    PRODUCT_SPECIALIST = "product_specialist", _("Product specialist")
    SOLUTION_ARCHITECT = "solution_architect", _("Solution architect")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    BILLING_SPECIALIST = "billing_specialist", _("Billing specialist")


class PayMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK_DEBIT = "bank_debit", _("Bank debit")
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")
    PREPAID = "prepaid", _("Prepaid")


class CreditClass(models.TextChoices):
    A = "A", _("A (best)")
    B = "B", "B"
    C = "C", "C"
    D = "D", _("D (worst)")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
