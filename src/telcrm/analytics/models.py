"""What the analytics pipeline hands to the staff: scores, reasons, segments, flags.

``telcrm pipeline run`` computes them from the operational store and the CDR store
(``telcrm_pipeline``) and writes them here in bulk; the customer's headline columns
(``Customer.churn_risk``, ``clv``, ``value_score``, ``segment_code``, ``scored_at``)
are copied from ``CustomerScore`` in the same transaction. Models themselves live in
the file registry under ``TELCRM_HOME/models`` (docs/models.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from telcrm.analytics.choices import FlagStatus, FraudRule, RunState


class PipelineRun(models.Model):
    """One run of the pipeline: when, on which data, what it found, how long each
    stage took."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.RUNNING
    )
    as_of = models.DateField(_("data as of"), null=True, blank=True)
    started_by = models.CharField(_("started by"), max_length=150)
    marts = models.CharField(_("marts directory"), max_length=500, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("pipeline run")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RunState.values),
                name="pipeline_run_state_known",
                violation_error_message=_("Unknown run state."),
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True)
                | Q(finished_at__gte=F("started_at")),
                name="pipeline_run_ends_after_start",
                violation_error_message=_("A run cannot end before it started."),
            ),
        ]

    def __str__(self) -> str:
        return f"Pipeline run {self.pk} ({self.state})"


class CustomerScore(models.Model):
    """The latest scores of one customer, with the reasons staff read."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="score"
    )
    run = models.ForeignKey(
        PipelineRun, on_delete=models.PROTECT, related_name="scores"
    )
    churn_probability = models.FloatField(_("churn probability"), null=True)
    churn_reasons = models.JSONField(_("churn reasons"), default=list)
    churn_model = models.CharField(_("churn model version"), max_length=40, blank=True)
    bad_debt_probability = models.FloatField(_("bad-debt probability"), null=True)
    bad_debt_reasons = models.JSONField(_("bad-debt reasons"), default=list)
    contribution = models.DecimalField(
        _("contribution (12 months)"), max_digits=14, decimal_places=2, null=True
    )
    value_score = models.FloatField(_("value score (0-100)"), null=True)
    clv = models.DecimalField(
        _("lifetime value"), max_digits=14, decimal_places=2, null=True
    )
    clv_model = models.CharField(_("CLV model"), max_length=10, blank=True)
    value_band = models.CharField(_("value band"), max_length=10, blank=True)
    risk_band = models.CharField(_("risk band"), max_length=10, blank=True)
    segment_code = models.CharField(_("segment"), max_length=20, blank=True)
    treatment = models.CharField(_("treatment"), max_length=200, blank=True)
    customer_type = models.CharField(_("customer type"), max_length=20, blank=True)
    service_level = models.CharField(_("service level"), max_length=200, blank=True)
    habit_profile = models.CharField(
        _("consumption profile"), max_length=200, blank=True
    )
    scored_at = models.DateTimeField(_("scored at"))

    class Meta:
        verbose_name = _("customer score")
        indexes = [models.Index(fields=["segment_code", "churn_probability"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(churn_probability__isnull=True)
                | Q(churn_probability__gte=0, churn_probability__lte=1),
                name="customer_score_churn_is_probability",
                violation_error_message=_("A churn probability lies in [0, 1]."),
            ),
            models.CheckConstraint(
                condition=Q(bad_debt_probability__isnull=True)
                | Q(bad_debt_probability__gte=0, bad_debt_probability__lte=1),
                name="customer_score_bad_debt_is_probability",
                violation_error_message=_("A bad-debt probability lies in [0, 1]."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.segment_code}"


class FraudFlag(models.Model):
    """A line flagged by a fraud rule, with the figures that fired; staff confirm or
    dismiss it. A later run updates an open flag of the same line, rule and start."""

    run = models.ForeignKey(
        PipelineRun, on_delete=models.PROTECT, related_name="fraud_flags"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="fraud_flags",
        null=True,
        blank=True,
    )
    service_number = models.CharField(_("service number"), max_length=20)
    rule = models.CharField(_("rule"), max_length=24, choices=FraudRule.choices)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    score = models.FloatField(_("score"))
    evidence = models.TextField(_("evidence"))
    status = models.CharField(
        _("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-first_day", "service_number"]
        verbose_name = _("fraud flag")
        constraints = [
            models.UniqueConstraint(
                fields=["service_number", "rule", "first_day"],
                name="fraud_flag_once_per_line_rule_start",
                violation_error_message=_("This line is already flagged by this rule."),
            ),
            models.CheckConstraint(
                condition=Q(rule__in=FraudRule.values),
                name="fraud_flag_rule_known",
                violation_error_message=_("Unknown fraud rule."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=FlagStatus.values),
                name="fraud_flag_status_known",
                violation_error_message=_("Unknown flag status."),
            ),
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")),
                name="fraud_flag_days_in_order",
                violation_error_message=_("A flag cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_number} {self.rule} {self.first_day}"
