"""The generated operator behaves like its latent traits say, not like noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tests.pipeline.synthetic.conftest import read_frame


def outgoing_voice(cdrs: pd.DataFrame, owner_of: dict[str, str]) -> pd.DataFrame:
    voice = cdrs[
        (cdrs["record_type"] == "voice") & cdrs["caller"].isin(owner_of)
    ].copy()
    voice["cust_no"] = voice["caller"].map(owner_of)
    return voice


def test_churners_usage_declines_before_they_leave(
    cdrs: pd.DataFrame, owner_of: dict[str, str], truth: dict[str, pd.DataFrame]
) -> None:
    voice = outgoing_voice(cdrs, owner_of)
    first = cdrs["start_time"].min().normalize()
    churn = truth["churn"].assign(churn_date=lambda f: pd.to_datetime(f["churn_date"]))
    churn = churn[churn["churn_date"] >= first + pd.Timedelta(days=56)]
    leaving = voice.merge(churn, on="cust_no")
    days_left = (leaving["churn_date"] - leaving["start_time"]).dt.days
    late = leaving.loc[days_left.between(0, 27), "duration_s"].sum() / 4
    early = leaving.loc[days_left >= 28, "duration_s"].sum() / (
        (days_left.max() - 27) / 7
    )
    assert len(churn) >= 20
    assert late < 0.7 * early

    staying = voice[~voice["cust_no"].isin(truth["churn"]["cust_no"])]
    last = staying["start_time"].max().normalize()
    weeks_left = (last - staying["start_time"]).dt.days // 7
    weekly = staying.groupby(weeks_left)["duration_s"].sum().sort_index()
    assert 0.85 < weekly.iloc[:4].mean() / weekly.iloc[4:12].mean() < 1.15


def test_a_fifth_of_the_customers_bring_most_of_the_revenue(
    silos: Path, subscriptions: pd.DataFrame
) -> None:
    bills = read_frame(silos / "billing/bills.csv")
    owner = subscriptions.drop_duplicates("acct_no").set_index("acct_no")["cust_no"]
    revenue = bills["amount"].astype(float).groupby(bills["acct_no"].map(owner)).sum()
    ranked = revenue.sort_values(ascending=False)

    top = ranked.iloc[: len(ranked) // 5].sum() / ranked.sum()
    assert top >= 0.6


def test_sim_boxes_call_many_strangers_briefly_and_receive_nothing(
    cdrs: pd.DataFrame, truth: dict[str, pd.DataFrame]
) -> None:
    fraud = truth["fraud"]
    boxes = set(fraud.loc[fraud["pattern"] == "sim_box", "service_no"])
    calls = cdrs[cdrs["record_type"] == "voice"]
    out = calls.groupby("caller").agg(
        callees=("callee", "nunique"),
        calls=("callee", "size"),
        seconds=("duration_s", "mean"),
        days=("start_time", lambda t: t.dt.normalize().nunique()),
    )
    incoming = cdrs.groupby("callee").size()
    out["incoming"] = incoming.reindex(out.index, fill_value=0)
    out["callees_per_day"] = out["callees"] / out["days"]
    box, normal = (
        out[out.index.isin(boxes)],
        out[~out.index.isin(boxes) & (out["calls"] > 20)],
    )

    assert len(box) == len(boxes) >= 3
    assert box["callees_per_day"].min() > 10 * normal["callees_per_day"].median()
    assert box["seconds"].max() < 0.5 * normal["seconds"].median()
    assert (box["incoming"] / box["calls"]).max() < 0.01
    assert (normal["incoming"] / normal["calls"]).median() > 0.1
    box_data = cdrs[cdrs["caller"].isin(boxes) & (cdrs["record_type"] != "voice")]
    assert box_data.empty


def test_international_bursts_spike_the_bill(
    cdrs: pd.DataFrame, truth: dict[str, pd.DataFrame]
) -> None:
    bursts = truth["fraud"].query("pattern == 'international_burst'")
    intl = cdrs[cdrs["call_type"] == "international"]
    for row in bursts.itertuples():
        mine = intl[intl["caller"] == row.service_no]
        during = (
            mine["start_time"]
            .dt.strftime("%Y-%m-%d")
            .between(row.start_date, row.end_date)
        )
        daily_during = (
            mine.loc[during, "charge"].sum()
            / (pd.Timestamp(row.end_date) - pd.Timestamp(row.start_date)).days
        )
        daily_other = mine.loc[~during, "charge"].sum() / 60
        assert daily_during > 100
        assert daily_during > 20 * max(daily_other, 0.01)


def test_defaulters_paid_late_before_they_stopped_paying(
    silos: Path, truth: dict[str, pd.DataFrame]
) -> None:
    bills = read_frame(silos / "billing/bills.csv")
    payments = read_frame(silos / "billing/payments.csv").dropna(subset=["bill_no"])
    paid = bills.merge(payments[["bill_no", "paid_at"]], on="bill_no", how="left")
    paid["late"] = paid["paid_at"].str[:10] > paid["due_date"]
    defaulters = truth["defaulters"]
    before_default = paid.merge(defaulters, on="acct_no")
    before_default = before_default[
        before_default["period"] < before_default["default_period"]
    ]
    others = paid[~paid["acct_no"].isin(defaulters["acct_no"])]
    unpaid_from_default = paid.merge(defaulters, on="acct_no").query(
        "period >= default_period"
    )

    assert before_default["late"].mean() > 3 * others["late"].mean()
    assert unpaid_from_default["paid_at"].isna().all()


def test_contacts_of_churners_churn_more_than_the_base(
    cdrs: pd.DataFrame,
    owner_of: dict[str, str],
    truth: dict[str, pd.DataFrame],
    silos: Path,
) -> None:
    calls = cdrs[
        (cdrs["record_type"] == "voice")
        & cdrs["caller"].isin(owner_of)
        & cdrs["callee"].isin(owner_of)
    ]
    pairs = pd.DataFrame(
        {"a": calls["caller"].map(owner_of), "b": calls["callee"].map(owner_of)}
    ).drop_duplicates()
    pairs = pairs[pairs["a"] != pairs["b"]]
    churners = set(truth["churn"]["cust_no"])
    # Whoever keeps calling people who left is likely to follow them.
    callers_of_churners = set(pairs.loc[pairs["b"].isin(churners), "a"])
    contacts = callers_of_churners - churners
    contacts_churned = callers_of_churners & churners
    customers = read_frame(silos / "crm/customers.csv")
    base = len(churners) / len(customers)

    rate = len(contacts_churned) / (len(contacts) + len(contacts_churned))
    assert rate > 1.6 * base


def test_nights_are_quiet_and_weekends_differ(
    cdrs: pd.DataFrame, subscriptions: pd.DataFrame, silos: Path
) -> None:
    hour = cdrs["start_time"].dt.hour
    assert (hour < 6).mean() < 0.06
    assert ((hour >= 18) & (hour < 22)).mean() > 4 * (hour < 6).mean()

    customers = read_frame(silos / "crm/customers.csv").set_index("cust_no")[
        "cust_type"
    ]
    owner = subscriptions.drop_duplicates("service_no").set_index("service_no")
    kind = cdrs["caller"].map(owner["cust_no"]).map(customers)
    day = cdrs["start_time"].dt.normalize()
    weekend = cdrs["start_time"].dt.day_of_week >= 5
    per_day = (
        cdrs.assign(kind=kind, weekend=weekend, day=day)
        .groupby(["kind", "weekend", "day"])
        .size()
    )
    business = per_day["organization"]
    assert business[False].mean() > 2 * business[True].mean()
    people = per_day["individual"]
    assert people[True].mean() > people[False].mean()


def test_broadband_names_carry_the_intended_typo_rate(
    silos: Path, truth: dict[str, pd.DataFrame]
) -> None:
    identities = truth["identities"]
    entity = identities.set_index(["source_system", "source_id"])["entity_id"]
    crm = read_frame(silos / "crm/customers.csv")
    crm_name = dict(zip(crm["cust_no"].map(entity["crm"]), crm["name"], strict=True))
    broadband = read_frame(silos / "broadband/customers.csv")
    broadband["entity"] = broadband["bb_cust_id"].map(entity["broadband"])
    known = broadband[broadband["entity"].isin(crm_name)]

    differs = (known["name"] != known["entity"].map(crm_name)).mean()
    assert 0.04 < differs < 0.14
    assert 0.3 < known["id_no"].isna().mean() < 0.5
    assert len(known) < len(broadband)


def test_complaints_grow_before_churn(
    silos: Path, truth: dict[str, pd.DataFrame]
) -> None:
    tickets = read_frame(silos / "complaints/tickets.csv").dropna(subset=["cust_no"])
    per_customer = tickets.groupby("cust_no").size()
    customers = read_frame(silos / "crm/customers.csv")["cust_no"]
    counts = per_customer.reindex(customers, fill_value=0)
    leaving = counts.index.isin(truth["churn"]["cust_no"])

    assert counts[leaving].mean() > 3 * counts[~leaving].mean()
    port_queries = tickets[tickets["category"] == "port_out_query"]
    assert port_queries["cust_no"].isin(truth["churn"]["cust_no"]).mean() > 0.9
    scores = tickets.dropna(subset=["satisfaction"])
    happy = scores.groupby(scores["cust_no"].isin(truth["churn"]["cust_no"]))[
        "satisfaction"
    ]
    means = happy.apply(lambda s: s.astype(int).mean())
    assert means[True] < means[False] - 0.8


def test_ported_out_lines_name_the_new_operator(
    subscriptions: pd.DataFrame, truth: dict[str, pd.DataFrame]
) -> None:
    ported = subscriptions[subscriptions["status"] == "ported_out"]

    assert len(ported) > 0
    assert ported["port_out_operator"].notna().all()
    assert ported["end_date"].notna().all()
    assert set(ported["cust_no"]) <= set(truth["churn"]["cust_no"])
    assert np.all(ported["service_no"].str.len() == 11)
