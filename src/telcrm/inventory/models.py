"""Product inventory (TMF637): the lines customers hold."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from telcrm.core.models import TimeStampedModel
from telcrm.inventory.choices import ENDED_STATUSES, LIVE_STATUSES, SubscriptionStatus


class Subscription(TimeStampedModel):
    """One line (TMF637 Product): a mobile number, a fixed line or a broadband line.

    ``service_number`` is the MSISDN (11 digits, as the switches write it, no ``+86``)
    or the line id. A number can be reused after a line ends, so it is unique only
    among active lines; history keeps every past holder.
    """

    subscription_id = models.CharField(_("subscription id"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="subscriptions"
    )
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscriptions",
    )
    service_account = models.ForeignKey(
        "accounts.ServiceAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscriptions",
    )
    service_number = models.CharField(_("service number"), max_length=20, db_index=True)
    # A value-added add-on is a product on the same service number as the access line
    # it sits on (TMF637 productRelationship "addOn"); access lines have no parent.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("add-on of"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="addons",
    )
    offering = models.ForeignKey(
        "catalog.ProductOffering",
        on_delete=models.PROTECT,
        related_name="subscriptions",
    )
    start_date = models.DateField(_("start date"))
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    end_date = models.DateField(_("end date"), null=True, blank=True)
    port_out_operator = models.CharField(_("ported out to"), max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["subscription_id"]
        indexes = [
            models.Index(fields=["customer", "status"]),
            # Contract-end trigger (R6): lines whose contract ends in the next weeks.
            models.Index(
                fields=["contract_end"],
                name="subscription_contract_end_idx",
                condition=Q(contract_end__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SubscriptionStatus.values),
                name="subscription_status_known",
                violation_error_message=_("Unknown subscription status."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="subscription_end_after_start",
                violation_error_message=_("A line cannot end before it started."),
            ),
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True)
                | Q(contract_end__gte=F("start_date")),
                name="subscription_contract_after_start",
                violation_error_message=_(
                    "A contract cannot end before the line started."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=SubscriptionStatus.PORTED_OUT)
                | ~Q(port_out_operator="")
                | Q(end_date__isnull=False),
                name="subscription_ported_out_has_details",
                violation_error_message=_(
                    "A ported-out line needs the receiving operator or an end date."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=LIVE_STATUSES) | Q(end_date__isnull=True),
                name="subscription_live_has_no_end",
                violation_error_message=_(
                    "An active or suspended line has no end date."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=SubscriptionStatus.TERMINATED)
                | Q(end_date__isnull=False),
                name="subscription_terminated_has_end",
                violation_error_message=_("A terminated line needs its end date."),
            ),
            models.UniqueConstraint(
                fields=["service_number"],
                condition=Q(status=SubscriptionStatus.ACTIVE, parent__isnull=True),
                name="subscription_active_number_unique",
                violation_error_message=_(
                    "Another active line already has this service number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("id")),
                name="subscription_not_its_own_addon",
                violation_error_message=_("A line cannot be an add-on of itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.service_number}"

    @property
    def has_ended(self) -> bool:
        return self.status in ENDED_STATUSES
