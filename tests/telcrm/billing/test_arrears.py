"""Arrears and their ageing, computed by the database on a constructed case."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from tests.telcrm.constraint_helpers import assert_db_rejects
from tests.telcrm.factories import BillFactory, BillingAccountFactory, PaymentFactory

from telcrm.billing.models import Bill, BillItem, Payment
from telcrm.billing.selectors import (
    account_arrears,
    arrears_ageing,
    arrears_ageing_totals,
)

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2024, 6, 30)
D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _bill(
    account: object, period: datetime.date, due: datetime.date, amount: str
) -> Bill:
    bill: Bill = BillFactory(
        billing_account=account,
        period=period,
        issue_date=period,
        due_date=due,
        amount=Decimal(amount),
    )
    return bill


def _pay(bill: Bill, amount: str, when: datetime.datetime) -> None:
    PaymentFactory(bill=bill, amount=Decimal(amount), paid_at=when)


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    # Local (Asia/Shanghai) times, as the billing system writes them.
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def _case() -> tuple[object, object]:
    a, b = BillingAccountFactory(), BillingAccountFactory()
    _bill(a, D(2024, 6, 1), D(2024, 6, 30), "999.00")  # due today: not past due
    june = _bill(a, D(2024, 5, 1), D(2024, 6, 29), "100.00")  # 1 day  -> 0-30
    _pay(june, "40.00", _at(D(2024, 6, 30), 23))  # last hour of as_of: counts
    may = _bill(a, D(2024, 4, 1), D(2024, 5, 31), "80.00")  # 30 days -> 0-30
    _pay(may, "80.00", _at(D(2024, 7, 1), 0))  # paid after as_of: ignored
    _bill(a, D(2024, 3, 1), D(2024, 5, 30), "50.00")  # 31 days -> 31-60
    _bill(a, D(2024, 2, 1), D(2024, 4, 1), "70.00")  # 90 days -> 61-90
    _bill(a, D(2024, 1, 1), D(2024, 3, 31), "25.00")  # 91 days -> 90+
    settled = _bill(b, D(2024, 1, 1), D(2024, 2, 1), "60.00")
    _pay(settled, "60.00", _at(D(2024, 2, 1)))
    _bill(b, D(2024, 2, 1), D(2024, 4, 30), "33.33")  # 61 days -> 61-90
    return a, b


def test_it_sums_what_an_account_owes_on_past_due_bills() -> None:
    a, b = _case()

    assert account_arrears(a, AS_OF) == Decimal("285.00")  # 60+80+50+70+25
    assert account_arrears(b, AS_OF) == Decimal("33.33")
    assert account_arrears(BillingAccountFactory(), AS_OF) == Decimal("0.00")


def test_it_ages_arrears_into_buckets_per_account() -> None:
    a, b = _case()

    rows = list(arrears_ageing(as_of=AS_OF))

    assert rows == [
        {
            "billing_account": a.pk,  # type: ignore[attr-defined]
            "days_0_30": Decimal("140.00"),
            "days_31_60": Decimal("50.00"),
            "days_61_90": Decimal("70.00"),
            "days_90_plus": Decimal("25.00"),
            "total": Decimal("285.00"),
        },
        {
            "billing_account": b.pk,  # type: ignore[attr-defined]
            "days_0_30": Decimal("0.00"),
            "days_31_60": Decimal("0.00"),
            "days_61_90": Decimal("33.33"),
            "days_90_plus": Decimal("0.00"),
            "total": Decimal("33.33"),
        },
    ]


def test_it_totals_the_buckets_over_all_accounts() -> None:
    _case()

    assert arrears_ageing_totals(as_of=AS_OF) == {
        "days_0_30": Decimal("140.00"),
        "days_31_60": Decimal("50.00"),
        "days_61_90": Decimal("103.33"),
        "days_90_plus": Decimal("25.00"),
    }


def test_it_computes_ageing_in_one_query(django_assert_num_queries: object) -> None:
    _case()
    with django_assert_num_queries(1):  # type: ignore[operator]
        list(arrears_ageing(as_of=AS_OF))


def test_it_rejects_a_second_bill_for_the_same_account_and_month() -> None:
    bill = BillFactory()
    assert_db_rejects(
        Bill,
        lambda: BillFactory(billing_account=bill.billing_account, period=bill.period),
        "bill_one_per_account_period",
    )


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"period": D(2024, 1, 15), "issue_date": D(2024, 2, 3)}, "bill_period_first"),
        ({"due_date": D(2024, 2, 1)}, "bill_due_after_issue"),
        (
            {"issue_date": D(2023, 12, 31), "due_date": D(2024, 1, 20)},
            "bill_issued_after",
        ),
        ({"amount": Decimal("-0.01")}, "bill_amount_not_negative"),
    ],
)
def test_it_rejects_inconsistent_bills(
    fields: dict[str, object], constraint: str
) -> None:
    assert_db_rejects(Bill, lambda: BillFactory(**fields), constraint)


def test_it_rejects_a_payment_that_is_not_positive() -> None:
    bill = BillFactory()
    assert_db_rejects(
        Payment,
        lambda: PaymentFactory(bill=bill, amount=Decimal("0.00")),
        "payment_amount_positive",
    )


def test_it_rejects_a_positive_discount_and_a_negative_charge() -> None:
    bill = BillFactory()
    for charge_type, amount in [("discount", "5.00"), ("data", "-5.00")]:
        assert_db_rejects(
            BillItem,
            lambda c=charge_type, a=amount: BillItem.objects.create(
                bill=bill, charge_type=c, amount=Decimal(a)
            ),
            "billitem_sign_matches_type",
        )
