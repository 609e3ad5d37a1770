"""Reads of the billing app: arrears and their ageing, computed by the database.

Outstanding on a bill as of a date = its amount minus the payments against it made up
to the end of that day (Asia/Shanghai). It is derived, not stored: payments arrive in
bulk from the billing system and late, so a stored balance would have to be repaired
after every load, and a stored balance only answers "as of now" while collections ask
"as of month end". The (bill, paid_at) index makes the per-bill sum an index lookup.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from telcrm.accounts.models import BillingAccount
from telcrm.billing.choices import AgeingBucket
from telcrm.billing.models import Bill, Payment

MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


def end_of_day(as_of: datetime.date) -> datetime.datetime:
    """The first instant after ``as_of`` in the operator's time zone."""
    next_day = datetime.datetime.combine(
        as_of + datetime.timedelta(days=1), datetime.time()
    )
    return timezone.make_aware(next_day)


def bills_outstanding(as_of: datetime.date) -> QuerySet[Bill]:
    """Bills past their due date on ``as_of`` with money still owed, annotated with
    ``outstanding`` (amount minus payments made by the end of ``as_of``)."""
    paid = (
        Payment.objects.filter(bill=OuterRef("pk"), paid_at__lt=end_of_day(as_of))
        .values("bill")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Bill.objects.filter(due_date__lt=as_of)
        .annotate(
            outstanding=F("amount") - Coalesce(Subquery(paid, output_field=MONEY), ZERO)
        )
        .filter(outstanding__gt=0)
    )


def account_arrears(account: BillingAccount, as_of: datetime.date) -> Decimal:
    """What ``account`` owes on bills past due on ``as_of`` (0.00 when nothing)."""
    result = (
        bills_outstanding(as_of)
        .filter(billing_account=account)
        .aggregate(total=Coalesce(Sum("outstanding"), ZERO))
    )
    return Decimal(result["total"]).quantize(Decimal("0.01"))


def _bucket_bounds(as_of: datetime.date) -> dict[str, Q]:
    # Days past due d = as_of - due_date >= 1. Bucket "0_30" is d in 1..30, and so on;
    # comparing due_date with dates computed here keeps the SQL portable and indexable.
    def day(n: int) -> datetime.date:
        return as_of - datetime.timedelta(days=n)

    return {
        AgeingBucket.DAYS_0_30: Q(due_date__gte=day(30)),
        AgeingBucket.DAYS_31_60: Q(due_date__lt=day(30), due_date__gte=day(60)),
        AgeingBucket.DAYS_61_90: Q(due_date__lt=day(60), due_date__gte=day(90)),
        AgeingBucket.DAYS_90_PLUS: Q(due_date__lt=day(90)),
    }


def _bucket_sums(as_of: datetime.date) -> dict[str, Coalesce]:
    return {
        f"days_{bucket}": Coalesce(
            Sum(Case(When(bound, then=F("outstanding")), default=ZERO)), ZERO
        )
        for bucket, bound in _bucket_bounds(as_of).items()
    }


def arrears_ageing(
    *, as_of: datetime.date, accounts: QuerySet[BillingAccount] | None = None
) -> QuerySet[Bill, dict[str, object]]:
    """Outstanding amount per ageing bucket, one row per account in arrears.

    Rows: ``billing_account``, ``days_0_30``, ``days_31_60``, ``days_61_90``,
    ``days_90_plus``, ``total`` (Decimals). One GROUP BY query.
    """
    bills = bills_outstanding(as_of)
    if accounts is not None:
        bills = bills.filter(billing_account__in=accounts)
    return (
        bills.values("billing_account")
        .annotate(**_bucket_sums(as_of), total=Sum("outstanding"))
        .order_by("billing_account")
    )


def arrears_ageing_totals(*, as_of: datetime.date) -> dict[str, Decimal]:
    """The ageing buckets summed over every account (one aggregate query)."""
    totals = bills_outstanding(as_of).aggregate(**_bucket_sums(as_of))
    return {
        key: Decimal(value).quantize(Decimal("0.01")) for key, value in totals.items()
    }
