"""Customers (TMF629) and what happens between them and the operator.

A Customer is the role a Party plays with the operator; the party holds who they are,
the customer holds the relationship: number, status, channel, manager and scores.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from telcrm.core.models import TimeStampedModel
from telcrm.customers.choices import (
    AcquisitionChannel,
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
    CustomerStatus,
    Direction,
    DoNotCallSource,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
    InteractionReason,
    SourceSystem,
)
from telcrm.lib.masking import mask_phone
from telcrm.parties.validators import validate_e164


class Customer(TimeStampedModel):
    """A party's relationship with the operator (TMF629 Customer).

    The score columns are written by the nightly pipeline (R4-R6) and are NULL until
    its first run; ``scored_at`` says how fresh they are.
    """

    party = models.OneToOneField(
        "parties.Party", on_delete=models.PROTECT, related_name="customer"
    )
    customer_number = models.CharField(_("customer number"), max_length=20, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CustomerStatus.choices,
        default=CustomerStatus.ACTIVE,
    )
    status_date = models.DateField(_("status date"), null=True, blank=True)
    customer_since = models.DateField(_("customer since"))
    acquisition_channel = models.CharField(
        _("acquisition channel"),
        max_length=20,
        choices=AcquisitionChannel.choices,
        blank=True,
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
    )
    value_score = models.DecimalField(
        _("value score"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    churn_risk = models.FloatField(_("churn risk"), null=True, blank=True)
    clv = models.DecimalField(
        _("customer lifetime value"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    segment_code = models.CharField(_("segment"), max_length=20, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    # Identity linkage: a duplicate of another customer, whose records now sit with
    # that customer (undone exactly by an unmerge; see telcrm.linkage).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_duplicates",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["customer_number"]
        permissions = [
            (
                "unmask_personal_data",
                "Can see a customer's full phone and ID number (with a reason)",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "customer_since"]),
            models.Index(
                fields=["segment_code"],
                name="customer_segment_idx",
                condition=~Q(segment_code=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CustomerStatus.values),
                name="customer_status_known",
                violation_error_message=_("Unknown customer status."),
            ),
            models.CheckConstraint(
                condition=Q(status_date__isnull=True)
                | Q(status_date__gte=F("customer_since")),
                name="customer_status_date_after_since",
                violation_error_message=_(
                    "The status cannot change before the relationship began."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("pk")),
                name="customer_not_merged_into_itself",
                violation_error_message=_("A customer cannot be merged into itself."),
            ),
            models.CheckConstraint(
                condition=Q(churn_risk__isnull=True)
                | Q(churn_risk__gte=0, churn_risk__lte=1),
                name="customer_churn_risk_probability",
                violation_error_message=_("Churn risk is a probability in [0, 1]."),
            ),
        ]

    def __str__(self) -> str:
        return self.customer_number


class CustomerSourceKey(TimeStampedModel):
    """One source system's id for a customer (``cust_no``, ``acct_no``, ``bb_cust_id``).

    Lets an import be re-run idempotently and lets merges be undone: each source
    record points at the customer it was linked to.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="source_keys"
    )
    system = models.CharField(_("system"), max_length=12, choices=SourceSystem.choices)
    source_id = models.CharField(_("source id"), max_length=40)

    class Meta:
        ordering = ["system", "source_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "source_id"],
                name="source_key_unique",
                violation_error_message=_(
                    "This source record is already linked to a customer."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.source_id}"


class Interaction(TimeStampedModel):
    """One contact between the customer and the operator (TMF683 PartyInteraction).

    Complaint tickets from every channel land here as well (``reference`` = ticket
    number); ``customer`` is NULL when the caller could not be identified.
    """

    reference = models.CharField(
        _("reference"), max_length=40, unique=True, null=True, blank=True
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interactions",
    )
    subscription = models.ForeignKey(
        "inventory.Subscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    service_number = models.CharField(_("service number"), max_length=20, blank=True)
    channel = models.CharField(
        _("channel"), max_length=15, choices=InteractionChannel.choices
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    reason = models.CharField(
        _("reason"), max_length=20, choices=InteractionReason.choices, blank=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=InteractionOutcome.choices, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), null=True, blank=True
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"]),
            models.Index(fields=["service_number"]),
            models.Index(fields=["kind", "reason", "occurred_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=InteractionChannel.values)
                & Q(direction__in=Direction.values)
                & Q(kind__in=InteractionKind.values),
                name="interaction_choices_known",
                violation_error_message=_("Unknown channel, direction or kind."),
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("occurred_at")),
                name="interaction_ends_after_start",
                violation_error_message=_("An interaction cannot end before it began."),
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="interaction_satisfaction_1_5",
                violation_error_message=_("Satisfaction is rated from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class Consent(TimeStampedModel):
    """A customer's consent for one purpose over one channel (PIPL Art. 14, 29).

    Rows are never deleted: a withdrawal closes the current row (``withdrawn_at``), a
    new grant opens a new one, so the history of consents is the table itself.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(
        _("purpose"), max_length=15, choices=ConsentPurpose.choices
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=ConsentChannel.choices
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConsentStatus.choices,
        default=ConsentStatus.GRANTED,
    )
    source = models.CharField(_("source"), max_length=15, choices=ConsentSource.choices)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    evidence = models.TextField(_("evidence"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["customer_id", "purpose", "channel", "-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "purpose", "channel"],
                condition=Q(status=ConsentStatus.GRANTED),
                name="consent_one_current",
                violation_error_message=_(
                    "There is already a current consent for this purpose and channel."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status=ConsentStatus.GRANTED, withdrawn_at__isnull=True)
                | Q(
                    status=ConsentStatus.WITHDRAWN,
                    # Spelled out: a NULL comparison would let the CHECK pass.
                    withdrawn_at__isnull=False,
                    withdrawn_at__gte=F("granted_at"),
                ),
                name="consent_withdrawal_consistent",
                violation_error_message=_(
                    "A withdrawn consent needs a withdrawal time after the grant; "
                    "a granted one has none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose}/{self.channel}: {self.status}"


class DoNotCallEntry(TimeStampedModel):
    """A number no campaign may call (R9 contact policy), optionally until a date."""

    phone = models.CharField(
        _("phone (E.164)"), max_length=16, validators=[validate_e164]
    )
    source = models.CharField(
        _("source"), max_length=20, choices=DoNotCallSource.choices
    )
    reason = models.TextField(_("reason"), blank=True)
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["phone", "-added_at"]
        verbose_name_plural = _("do-not-call entries")
        indexes = [models.Index(fields=["phone", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__startswith="+"),
                name="dnc_phone_e164",
                violation_error_message=_("Do-not-call numbers are stored in E.164."),
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("added_at")),
                name="dnc_expires_after_added",
                violation_error_message=_("An entry must expire after it was added."),
            ),
        ]

    def __str__(self) -> str:
        return mask_phone(self.phone)
