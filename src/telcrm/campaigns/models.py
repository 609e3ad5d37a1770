"""Campaigns, their target lists and control groups, contact attempts, the contact
policy's parameters and decision log, retention tasks and referrals (R6, R9).

The contact policy itself is ``policy.py``; its parameters are rows here so that
administrators edit them in the admin without a release.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignGoal,
    CampaignStatus,
    ContactOutcome,
    DecisionStage,
    MemberGroup,
    MemberState,
    OptOutSource,
    PolicyRule,
    SuppressionKind,
    TaskOutcome,
    TaskQueue,
    TaskStatus,
    TriggerKind,
)
from telcrm.core.models import TimeStampedModel


class Campaign(TimeStampedModel):
    """A marketing or retention project (立项): who, what offer, which channel, when.

    The target rule is frozen at approval: the target list (``CampaignMember``) is
    drawn then, with its control group, and never changes afterwards.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    project = models.CharField(
        _("project"),
        max_length=100,
        blank=True,
        help_text=_("The programme the campaign belongs to, for reports."),
    )
    goal = models.CharField(_("goal"), max_length=20, choices=CampaignGoal.choices)
    channel = models.CharField(
        _("channel"), max_length=20, choices=CampaignChannel.choices
    )
    offer = models.TextField(_("offer"))
    script = models.TextField(_("call script"), blank=True)
    target_rule = models.JSONField(_("target rule"), default=dict)
    uses_usage_data = models.BooleanField(
        _("targets with call-record data"),
        default=False,
        help_text=_(
            "Scores, segments and usage come from call records: contacting on them "
            "needs the customer's separate consent to profiling."
        ),
    )
    expected_acceptance_rate = models.DecimalField(
        _("expected acceptance rate"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    expected_revenue_per_acceptance = models.DecimalField(
        _("expected revenue kept per acceptance (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_(
            "1 (lowest) to 9 (highest): who gets the seats and the caps first."
        ),
    )
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    cost_per_attempt = models.DecimalField(
        _("cost per contact attempt (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("2.00"),
    )
    cost_per_acceptance = models.DecimalField(
        _("offer cost per acceptance (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    control_fraction = models.FloatField(
        _("control group share"),
        default=0.1,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.9)],
    )
    pilot_size = models.PositiveIntegerField(
        _("pilot size"),
        default=0,
        help_text=_(
            "Customers contacted in the pilot before the full run (0: no pilot)."
        ),
    )
    max_attempts_per_customer = models.PositiveSmallIntegerField(
        _("attempts per customer"), default=3
    )
    random_seed = models.BigIntegerField(
        _("random seed"),
        default=0,
        help_text=_("Seed of the control-group draw, kept so that it can be audited."),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="campaigns_created",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns_decided",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    target_count_at_approval = models.PositiveIntegerField(
        _("target list size at approval"), null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [models.Index(fields=["status", "channel"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decided_by=F("created_by")),
                name="campaign_approver_not_creator",
                violation_error_message=_(
                    "A campaign is approved or rejected by someone other than its "
                    "creator."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="campaign_ends_after_start",
                violation_error_message=_("A campaign ends on or after its start."),
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=9),
                name="campaign_priority_range",
                violation_error_message=_("Priority runs from 1 to 9."),
            ),
            models.CheckConstraint(
                condition=Q(control_fraction__gte=0, control_fraction__lte=0.9),
                name="campaign_control_fraction_range",
                violation_error_message=_("The control group share lies in [0, 0.9]."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=[CampaignStatus.DRAFT, CampaignStatus.SUBMITTED])
                | Q(status=CampaignStatus.CANCELLED, decided_by__isnull=True)
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="campaign_decided_states_have_decider",
                violation_error_message=_(
                    "An approved, rejected or started campaign names who decided."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status in (CampaignStatus.PILOT, CampaignStatus.RUNNING)


class CampaignMember(models.Model):
    """One customer of a frozen target list, its random group and where it stands."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="members"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="campaign_members"
    )
    group = models.CharField(_("group"), max_length=10, choices=MemberGroup.choices)
    stratum = models.CharField(_("stratum (segment)"), max_length=20, blank=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=MemberState.choices,
        default=MemberState.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_outcome = models.CharField(
        _("last outcome"), max_length=12, choices=ContactOutcome.choices, blank=True
    )
    last_denied_rule = models.CharField(
        _("last denied by"), max_length=20, choices=PolicyRule.choices, blank=True
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaign_calls",
    )
    call_day = models.DateField(_("call day"), null=True, blank=True)
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)

    class Meta:
        ordering = ["campaign_id", "id"]
        indexes = [
            models.Index(fields=["campaign", "group", "state"]),
            models.Index(fields=["assigned_agent", "call_day", "state"]),
            models.Index(fields=["customer", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                name="campaign_member_once",
                violation_error_message=_("A customer is on a target list once."),
            ),
            models.CheckConstraint(
                condition=~Q(group=MemberGroup.CONTROL)
                | Q(state=MemberState.HELD_OUT, attempts=0),
                name="campaign_control_never_contacted",
                violation_error_message=_(
                    "A control-group customer is held out and never contacted."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id}: {self.group}"


class ContactAttempt(models.Model):
    """One contact attempt, reserved under the contact policy before the dial.

    Attempts are never deleted: the frequency caps count them, answered or not.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="contact_attempts"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="attempts"
    )
    member = models.ForeignKey(
        CampaignMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attempt_set",
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=CampaignChannel.choices
    )
    at = models.DateTimeField(_("at"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_attempts",
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=12,
        choices=ContactOutcome.choices,
        default=ContactOutcome.RESERVED,
    )
    outcome_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    decision = models.OneToOneField(
        "ContactDecision",
        on_delete=models.PROTECT,
        related_name="attempt",
        verbose_name=_("decision"),
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "at"]),
            models.Index(fields=["campaign", "outcome"]),
            models.Index(fields=["agent", "at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome=ContactOutcome.RESERVED, outcome_at__isnull=True)
                | (~Q(outcome=ContactOutcome.RESERVED) & Q(outcome_at__isnull=False)),
                name="contact_attempt_outcome_time",
                violation_error_message=_(
                    "An attempt's outcome is recorded with its time."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.at:%Y-%m-%d %H:%M}"


class ContactDecision(models.Model):
    """Every contact-policy decision with the rule that decided and its inputs
    (consent ids, counts, local time, zones), kept as evidence (rule 12)."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="contact_decisions",
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="decisions"
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=CampaignChannel.choices
    )
    at = models.DateTimeField(_("decision for"))
    stage = models.CharField(_("stage"), max_length=12, choices=DecisionStage.choices)
    allowed = models.BooleanField(_("allowed"))
    rule = models.CharField(
        _("deciding rule"), max_length=20, choices=PolicyRule.choices
    )
    detail = models.JSONField(_("inputs"), default=dict)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "decided_at"]),
            models.Index(fields=["campaign", "stage", "rule"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(allowed=True, rule=PolicyRule.ALLOWED)
                | (Q(allowed=False) & ~Q(rule=PolicyRule.ALLOWED)),
                name="contact_decision_rule_matches",
                violation_error_message=_(
                    "An allowed decision names no rule; a denial names one."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.rule}"


class ContactSuppression(TimeStampedModel):
    """The operator-wide suppression list (rule 2): once there, no campaign on any
    channel contacts the customer until a fresh marketing consent lifts it."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="suppressions"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SuppressionKind.choices)
    source = models.CharField(
        _("recorded via"), max_length=15, choices=OptOutSource.choices
    )
    since = models.DateTimeField(_("since"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["customer_id", "-since"]
        indexes = [models.Index(fields=["customer", "lifted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=F("since")),
                name="suppression_lifted_after_since",
                violation_error_message=_("A suppression is lifted after it began."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} since {self.since:%Y-%m-%d}"


class FrequencyCap(TimeStampedModel):
    """At most ``max_attempts`` attempts on a rolling window of ``window_days`` days,
    per customer, across every campaign (of one channel, or all channels)."""

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=CampaignChannel.choices,
        blank=True,
        help_text=_("Empty: attempts on every channel count together."),
    )
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), validators=[MinValueValidator(1)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"), validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["channel", "window_days"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1, max_attempts__gte=1),
                name="frequency_cap_positive",
                violation_error_message=_(
                    "A cap has a window of a day or more and allows at least one "
                    "attempt."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def window(self) -> datetime.timedelta:
        return datetime.timedelta(days=self.window_days)


class CallingWindow(TimeStampedModel):
    """A span of local time in which calls and SMS may reach customers.

    Rows with a province replace the default rows (empty province) for customers
    living there; a weekday-less row applies every day.
    """

    province = models.CharField(_("province"), max_length=50, blank=True)
    weekday = models.PositiveSmallIntegerField(
        _("weekday (0 = Monday)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(6)],
    )
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until (exclusive)"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["province", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="calling_window_ends_after_start",
                violation_error_message=_("A calling window ends after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province or '*'} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class Holiday(models.Model):
    """A day without marketing calls (statutory holidays; per province or national)."""

    date = models.DateField(_("date"))
    province = models.CharField(_("province"), max_length=50, blank=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["date", "province"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "province"],
                name="holiday_once",
                violation_error_message=_("This holiday is already in the calendar."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class RegionTimeZone(models.Model):
    """The time zone of customers living in a province (default: the setting
    ``TELCRM_CONTACT_TIME_ZONE``)."""

    province = models.CharField(_("province"), max_length=50, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=50)

    class Meta:
        ordering = ["province"]

    def __str__(self) -> str:
        return f"{self.province}: {self.time_zone}"


class PolicySettings(models.Model):
    """The contact policy's single row of numbers (the admin edits it)."""

    refusal_cool_off_days = models.PositiveSmallIntegerField(
        _("no marketing contact for this many days after a refusal"), default=60
    )
    complaint_cool_off_days = models.PositiveSmallIntegerField(
        _("no marketing contact for this many days after a complaint closes"),
        default=14,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact policy settings")
        verbose_name_plural = _("contact policy settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1),
                name="policy_settings_single_row",
                violation_error_message=_("There is one row of policy settings."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Contact policy settings"))


class AgentCapacity(TimeStampedModel):
    """How many outbound calls an agent's seat takes per day."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="call_capacity",
    )
    calls_per_day = models.PositiveSmallIntegerField(_("calls per day"), default=60)
    active = models.BooleanField(_("on outbound duty"), default=True)

    class Meta:
        verbose_name_plural = _("agent capacities")
        ordering = ["agent_id"]

    def __str__(self) -> str:
        return f"{self.agent}: {self.calls_per_day}/day"


class RetentionTask(TimeStampedModel):
    """A key moment (contract end, usage drop, complaint, port-out query, bill shock)
    that asks a person to act on a customer before an SLA runs out."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="retention_tasks"
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=TriggerKind.choices)
    detail = models.TextField(_("detail"), blank=True)
    source_reference = models.CharField(_("source"), max_length=60, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retention_tasks",
    )
    queue = models.CharField(_("queue"), max_length=20, choices=TaskQueue.choices)
    raised_at = models.DateTimeField(_("raised at"))
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=TaskOutcome.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "queue", "due_at"]),
            models.Index(fields=["assigned_to", "status", "due_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "trigger"],
                condition=Q(status=TaskStatus.OPEN),
                name="retention_task_one_open_per_trigger",
                violation_error_message=_(
                    "This customer already has an open task for this trigger."
                ),
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=F("raised_at")),
                name="retention_task_due_after_raised",
                violation_error_message=_("A task falls due after it was raised."),
            ),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.OPEN, closed_at__isnull=True)
                | (~Q(status=TaskStatus.OPEN) & Q(closed_at__isnull=False)),
                name="retention_task_closed_time",
                violation_error_message=_("A closed task has its closing time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.trigger} due {self.due_at:%Y-%m-%d %H:%M}"


class Referral(TimeStampedModel):
    """A new customer (or prospect's number) a customer brought, credited to them."""

    referrer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="referrals_made"
    )
    referred_customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referred_by",
    )
    referred_phone = models.CharField(
        _("referred phone (E.164)"), max_length=16, blank=True
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    credit = models.DecimalField(
        _("credit (yuan)"), max_digits=14, decimal_places=2, default=Decimal(0)
    )
    credited_at = models.DateTimeField(_("credited at"), null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(referred_customer__isnull=False) | ~Q(referred_phone=""),
                name="referral_names_someone",
                violation_error_message=_(
                    "A referral names the new customer or their phone number."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(referred_customer=F("referrer")),
                name="referral_not_self",
                violation_error_message=_("Customers cannot refer themselves."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} -> {self.referred_customer_id or '…'}"
