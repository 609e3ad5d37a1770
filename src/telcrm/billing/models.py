"""Customer bills (TMF678) and payments (TMF676)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from telcrm.billing.choices import ChargeType, PaymentMethod
from telcrm.core.models import TimeStampedModel


def _amount(verbose: str) -> models.DecimalField:
    return models.DecimalField(_(verbose), max_digits=14, decimal_places=2)


class Bill(TimeStampedModel):
    """One account's bill for one month (TMF678 CustomerBill, ``billing/bills.csv``).

    ``period`` is the first day of the billed month. What is still owed is not stored:
    it is ``amount`` minus the payments against the bill up to a date, computed by
    the database in ``billing.selectors`` (see docs/data-model.md, "Arrears").
    """

    bill_number = models.CharField(_("bill number"), max_length=30, unique=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount", on_delete=models.PROTECT, related_name="bills"
    )
    period = models.DateField(_("period (first day of month)"))
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    amount = _amount("amount due")

    class Meta:
        ordering = ["billing_account_id", "-period"]
        indexes = [models.Index(fields=["due_date", "billing_account"])]
        constraints = [
            models.UniqueConstraint(
                fields=["billing_account", "period"],
                name="bill_one_per_account_period",
                violation_error_message=_(
                    "This account already has a bill this month."
                ),
            ),
            models.CheckConstraint(
                condition=Q(period__day=1),
                name="bill_period_first_of_month",
                violation_error_message=_("A bill period is the first day of a month."),
            ),
            models.CheckConstraint(
                condition=Q(issue_date__gte=F("period")),
                name="bill_issued_after_period_start",
                violation_error_message=_(
                    "A bill cannot be issued before its period began."
                ),
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")),
                name="bill_due_after_issue",
                violation_error_message=_(
                    "A bill cannot fall due before it is issued."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="bill_amount_not_negative",
                violation_error_message=_(
                    "A bill total cannot be negative (credits are carried forward)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.bill_number


class BillItem(models.Model):
    """One charge on a bill (TMF678 AppliedCustomerBillingRate)."""

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="items")
    subscription = models.ForeignKey(
        "inventory.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bill_items",
    )
    charge_type = models.CharField(
        _("charge type"), max_length=15, choices=ChargeType.choices
    )
    amount = _amount("amount")

    class Meta:
        ordering = ["bill_id", "id"]
        indexes = [models.Index(fields=["subscription", "charge_type"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(charge_type__in=ChargeType.values),
                name="billitem_charge_type_known",
                violation_error_message=_("Unknown charge type."),
            ),
            # Discounts are the only credits; every other charge is a debit.
            models.CheckConstraint(
                condition=Q(charge_type=ChargeType.DISCOUNT, amount__lte=0)
                | (~Q(charge_type=ChargeType.DISCOUNT) & Q(amount__gte=0)),
                name="billitem_sign_matches_type",
                violation_error_message=_(
                    "Discounts are negative; every other charge is zero or positive."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id} {self.charge_type} {self.amount}"


class Payment(TimeStampedModel):
    """Money received on an account (TMF676 Payment, ``billing/payments.csv``).

    ``bill`` is NULL for prepaid top-ups and unallocated payments; only payments
    against a bill reduce that bill's arrears.
    """

    payment_number = models.CharField(_("payment number"), max_length=30, unique=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount", on_delete=models.PROTECT, related_name="payments"
    )
    bill = models.ForeignKey(
        Bill,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    paid_at = models.DateTimeField(_("paid at"))
    amount = _amount("amount")
    method = models.CharField(_("method"), max_length=12, choices=PaymentMethod.choices)

    class Meta:
        ordering = ["-paid_at", "-id"]
        indexes = [
            models.Index(fields=["bill", "paid_at"]),
            models.Index(fields=["billing_account", "paid_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message=_("A payment amount must be positive."),
            ),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values),
                name="payment_method_known",
                violation_error_message=_("Unknown payment method."),
            ),
        ]

    def __str__(self) -> str:
        return self.payment_number
