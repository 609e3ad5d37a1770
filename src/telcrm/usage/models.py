"""Per-line monthly usage, summarised from the CDR store for the customer 360 view.

Raw CDRs never enter the operational database: these rows are the analytic store's
daily per-line summaries rolled up by month (``telcrm_pipeline.cdr_store``), attached
to the line and its customer, so that a 360 page reads a few indexed rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LineUsageMonth(models.Model):
    """One line's usage in one month (``period`` is the month's first day)."""

    subscription = models.ForeignKey(
        "inventory.Subscription", on_delete=models.CASCADE, related_name="usage"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="usage"
    )
    period = models.DateField(_("month"))
    voice_out_calls = models.BigIntegerField(_("calls made"))
    voice_out_seconds = models.BigIntegerField(_("seconds of calls made"))
    voice_in_calls = models.BigIntegerField(_("calls received"))
    voice_in_seconds = models.BigIntegerField(_("seconds of calls received"))
    sms_out = models.BigIntegerField(_("SMS sent"))
    sms_in = models.BigIntegerField(_("SMS received"))
    data_sessions = models.BigIntegerField(_("data sessions"))
    data_bytes = models.BigIntegerField(_("data bytes"))
    charge = models.DecimalField(_("usage charges"), max_digits=12, decimal_places=2)
    international_calls = models.BigIntegerField(_("international calls"))
    roaming_events = models.BigIntegerField(_("roaming events"))
    distinct_contacts = models.BigIntegerField(
        _("distinct contacts"), help_text=_("The largest daily figure of the month.")
    )
    active_days = models.PositiveSmallIntegerField(_("active days"))
    first_event_at = models.DateTimeField(_("first event"), null=True)
    last_event_at = models.DateTimeField(_("last event"), null=True)

    class Meta:
        ordering = ["subscription", "period"]
        verbose_name = _("monthly line usage")
        indexes = [
            models.Index(fields=["customer", "period"], name="usage_customer_period")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"],
                name="usage_one_row_per_line_month",
                violation_error_message=_("A line has one usage row per month."),
            ),
            models.CheckConstraint(
                condition=Q(
                    voice_out_calls__gte=0,
                    voice_in_calls__gte=0,
                    sms_out__gte=0,
                    sms_in__gte=0,
                    data_bytes__gte=0,
                    charge__gte=0,
                ),
                name="usage_counts_not_negative",
                violation_error_message=_("Usage figures cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period:%Y-%m}"


class UsagePeriodSource(models.Model):
    """Which daily summary files a month was loaded from (to know when it is stale)."""

    period = models.DateField(_("month"), unique=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)

    class Meta:
        verbose_name = _("usage month source")

    def __str__(self) -> str:
        return f"{self.period:%Y-%m}"
