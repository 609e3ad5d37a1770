"""Account features per customer and month: exact on hand-made records, point in time,
the labels from the operational records, and the whole snapshot the same on DuckDB
and on Spark."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from telcrm_pipeline.features import (
    account_month_features,
    cdr_table,
    churn_labels,
    customer_month_features,
    duckdb_backend,
    month_table,
    operator_tables,
)
from telcrm_pipeline.operator_data import OperatorData
from telcrm_pipeline.sample import SampleOperator

from .operator_tables import (
    at,
    customer,
    day,
    line,
    operator_data,
)

# Ibis 12 still calls DuckDB's fetch_arrow_table(), deprecated in DuckDB 1.5.
pytestmark = pytest.mark.filterwarnings(
    "ignore:fetch_arrow_table:DeprecationWarning:ibis"
)

JUNE, JULY = day("2026-06-01"), day("2026-07-01")


def bill(number: str, holder: str, period: str, amount: float) -> dict[str, Any]:
    """A bill issued on the 1st after its period, due on the 20th."""
    first = day(period)
    issued = (pd.Timestamp(first) + pd.offsets.MonthBegin(1)).date()
    return {
        "bill_no": number,
        "account": f"A-{holder}",
        "customer": holder,
        "period": first,
        "issue_date": issued,
        "due_date": issued.replace(day=20),
        "amount": amount,
    }


def item(bill_no: str, period: str, charge_type: str, amount: float) -> dict[str, Any]:
    return {
        "bill_no": bill_no,
        "customer": "C1",
        "period": day(period),
        "service_no": "N1",
        "charge_type": charge_type,
        "amount": amount,
    }


def payment(
    number: str, holder: str, paid_at: str, amount: float, bill_no: str | None = None
) -> dict[str, Any]:
    return {
        "payment_no": number,
        "account": f"A-{holder}",
        "customer": holder,
        "bill_no": bill_no,
        "paid_at": at(paid_at),
        "amount": amount,
        "method": "prepaid" if bill_no is None else "alipay",
    }


def ticket(
    number: str,
    kind: str,
    opened: str,
    closed: str | None,
    satisfaction: int | None,
    category: str = "billing",
) -> dict[str, Any]:
    return {
        "ticket_no": number,
        "customer": "C1",
        "service_no": "N1",
        "kind": kind,
        "category": category,
        "opened_at": at(opened),
        "closed_at": at(closed) if closed else None,
        "satisfaction": satisfaction,
    }


def records() -> dict[str, list[dict[str, Any]]]:
    """C1: a postpaid line with an add-on, two bills (one paid late, one unpaid) and
    three tickets; C2: prepaid with top-ups; C3 closes in July; C4's only line ends
    on the last day of June; C5 signs up in July."""
    return {
        "customers": [
            customer("C1"),
            customer("C2", channel="business_hall"),
            customer("C3", status="closed", status_date=day("2026-07-10")),
            customer("C4"),
            customer("C5", since="2026-07-05"),
        ],
        "lines": [
            line("N1", "C1", contract_end=day("2026-09-15")),
            line(
                "N1",
                "C1",
                line_of_business="vas",
                offer_kind="addon",
                monthly_fee=5.0,
            ),
            line("N2", "C2", line_of_business="mobile_prepaid", monthly_fee=18.0),
            line("N3", "C3", end="2026-07-10"),
            line("N4", "C4", end="2026-06-30"),
            line("N5", "C5", start="2026-07-05"),
        ],
        "accounts": [
            {
                "account": "A-C1",
                "customer": "C1",
                "pay_method": "alipay",
                "credit_class": "B",
                "opened_date": day("2025-01-01"),
            },
        ],
        "bills": [
            bill("B05", "C1", "2026-05-01", 100.0),
            bill("B06", "C1", "2026-06-01", 80.0),
        ],
        "bill_items": [
            item("B05", "2026-05-01", "monthly_fee", 90.0),
            item("B05", "2026-05-01", "local_voice", 6.0),
            item("B05", "2026-05-01", "sms", 4.0),
            item("B06", "2026-06-01", "monthly_fee", 80.0),
        ],
        "payments": [
            payment("P1", "C1", "2026-06-25 10:00:00", 100.0, bill_no="B05"),
            payment("P2", "C2", "2026-06-05 09:00:00", 30.0),
            payment("P3", "C2", "2026-06-20 09:00:00", 50.0),
        ],
        "tickets": [
            ticket("T1", "inquiry", "2026-04-15 10:00:00", "2026-04-16 10:00:00", 4),
            ticket("T2", "complaint", "2026-06-10 10:00:00", "2026-06-12 10:00:00", 2),
            ticket("T3", "complaint", "2026-07-30 10:00:00", None, None),
        ],
    }


def features(data: OperatorData, *months: Any) -> pd.DataFrame:
    con = duckdb_backend()
    expression = account_month_features(operator_tables(data), month_table(months))
    frame = con.execute(expression)
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame.set_index(["customer", "month"]).sort_index()


def test_the_grain_is_the_customers_live_at_month_end() -> None:
    result = features(operator_data(**records()), JUNE, JULY)

    assert list(result.index) == [
        ("C1", JUNE), ("C1", JULY), ("C2", JUNE), ("C2", JULY), ("C3", JUNE),
        ("C5", JULY),
    ]  # fmt: skip


def test_lines_tenure_and_contract_at_month_end() -> None:
    result = features(operator_data(**records()), JUNE, JULY)

    june, july = result.loc[("C1", JUNE)], result.loc[("C1", JULY)]
    assert (june.lines_live, june.mobile_postpaid_lines, june.vas_lines) == (2, 1, 1)
    assert june.monthly_fee_total == 55.0
    assert (june.tenure_months, july.tenure_months) == (17, 18)
    # The contract ends in September: three months after June, two after July.
    assert (june.contract_months_left, july.contract_months_left) == (3, 2)
    assert pd.isna(result.loc[("C2", JUNE)].contract_months_left)
    assert (june.pay_method, june.credit_class, june.channel) == ("alipay", "B", "app")
    assert result.loc[("C2", JUNE)].channel == "business_hall"


def test_the_bill_issued_after_the_month_is_not_known_in_it() -> None:
    result = features(operator_data(**records()), JUNE, JULY)

    june, july = result.loc[("C1", JUNE)], result.loc[("C1", JULY)]
    # At the end of June the latest known bill is May's (June's is issued July 1st).
    assert (june.bill_amount, june.bill_fees, june.bill_usage) == (100.0, 90.0, 10.0)
    assert (july.bill_amount, july.bill_fees, july.bill_usage) == (80.0, 80.0, 0.0)
    assert pd.isna(result.loc[("C2", JUNE)].bill_amount)


def test_late_payments_and_arrears() -> None:
    result = features(operator_data(**records()), JUNE, JULY)

    june, july = result.loc[("C1", JUNE)], result.loc[("C1", JULY)]
    # May's bill, due June 20th, paid June 25th: late by 5 days, nothing owed.
    assert (june.bills_due_3m, june.late_payments_3m) == (1, 1)
    assert (june.days_late_latest, june.arrears) == (5, 0.0)
    # June's bill, due July 20th, still unpaid on July 31st: late by 11 days.
    assert (july.bills_due_3m, july.late_payments_3m) == (2, 2)
    assert (july.days_late_latest, july.arrears) == (11, 80.0)
    assert result.loc[("C2", JUNE)].late_payments_3m == 0


def test_topups_count_in_their_month() -> None:
    result = features(operator_data(**records()), JUNE, JULY)

    assert (result.loc[("C2", JUNE)].topups, result.loc[("C2", JUNE)].topup_amount) == (
        2,
        80.0,
    )
    assert (result.loc[("C2", JULY)].topups, result.loc[("C2", JULY)].topup_amount) == (
        0,
        0.0,
    )


def test_tickets_count_in_the_right_months() -> None:
    result = features(operator_data(**records()), JUNE, JULY)

    june, july = result.loc[("C1", JUNE)], result.loc[("C1", JULY)]
    # June's 3 months are April to June: the April inquiry and the June complaint.
    assert (june.complaints, june.complaints_3m, june.tickets_3m) == (1, 1, 2)
    assert (june.open_tickets, june.satisfaction_3m) == (0, 3.0)
    # July's are May to July: the June complaint and the July one, still open.
    assert (july.complaints, july.complaints_3m, july.tickets_3m) == (1, 2, 2)
    assert (july.open_tickets, july.satisfaction_3m) == (1, 2.0)


def test_records_dated_after_the_month_change_nothing_for_it() -> None:
    before = records()
    after = records()
    after["customers"][0] = customer(
        "C1", status="closed", status_date=day("2026-07-15")
    )
    after["bills"].append(bill("B07", "C1", "2026-07-01", 70.0))
    after["payments"] += [
        payment("P4", "C1", "2026-07-02 10:00:00", 80.0, bill_no="B06"),
        payment("P5", "C2", "2026-07-03 10:00:00", 20.0),
    ]
    after["tickets"].append(
        ticket("T4", "complaint", "2026-07-01 08:00:00", None, None)
    )
    after["lines"].append(line("N6", "C1", start="2026-07-01"))

    june_before = features(operator_data(**before), JUNE)
    june_after = features(operator_data(**after), JUNE)

    pd.testing.assert_frame_equal(june_before, june_after)
    # The later records are read for July: C1 closed on July 15th.
    assert ("C1", JULY) not in features(operator_data(**after), JULY).index


def test_labels_say_who_closes_during_the_next_month() -> None:
    data = records()
    # Billing July closes it for labels: June is then labelled, July is not.
    data["bills"].append(bill("B07", "C1", "2026-07-01", 70.0))

    labels = duckdb_backend().execute(churn_labels(None, operator_data(**data)))

    june = labels[pd.to_datetime(labels["month"]).dt.date == JUNE]
    assert sorted(zip(june.customer, june.churned_next_month, strict=True)) == [
        ("C1", 0),
        ("C2", 0),
        ("C3", 1),
    ]
    # Bills of May, June and July: April, May and June are followed by a billed month.
    assert set(pd.to_datetime(labels["month"]).dt.date) == {
        day("2026-04-01"),
        day("2026-05-01"),
        JUNE,
    }


def snapshot_on(con: Any, operator: SampleOperator) -> pd.DataFrame:
    cdr = cdr_table(con, operator.store)
    frame = con.execute(customer_month_features(con, operator.data, cdr))
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame.sort_values(["customer", "month"]).reset_index(drop=True)


@pytest.mark.spark
def test_duckdb_and_spark_give_the_same_snapshot(
    generated_operator: SampleOperator, spark: object
) -> None:
    on_duckdb = snapshot_on(duckdb_backend(), generated_operator)
    on_spark = snapshot_on(spark, generated_operator)[on_duckdb.columns]

    assert len(on_duckdb) == 7990
    pd.testing.assert_frame_equal(on_duckdb, on_spark, check_dtype=False, rtol=1e-9)
