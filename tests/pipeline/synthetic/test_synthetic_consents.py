"""The CRM's consents and the do-not-call list: shares, dates, evidence, own stream."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.pipeline.synthetic.conftest import read_frame

WINDOW_START, WINDOW_END = pd.Timestamp("2026-06-01"), pd.Timestamp("2026-09-01")
PIPL_IN_FORCE = pd.Timestamp("2021-11-01")


@pytest.fixture(scope="module")
def customers(silos: Path) -> pd.DataFrame:
    return read_frame(silos / "crm/customers.csv")


@pytest.fixture(scope="module")
def consents(silos: Path, customers: pd.DataFrame) -> pd.DataFrame:
    frame = read_frame(silos / "crm/consents.csv")
    for column in ("granted_at", "withdrawn_at"):
        frame[column] = pd.to_datetime(frame[column])
    kept = customers[["cust_no", "cust_type", "customer_since"]]
    return frame.merge(kept, on="cust_no", how="left", validate="many_to_one")


@pytest.fixture(scope="module")
def do_not_call(silos: Path) -> pd.DataFrame:
    frame = read_frame(silos / "crm/do_not_call.csv")
    for column in ("added_at", "expires_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def test_consents_come_at_their_shares_with_a_few_withdrawn(
    consents: pd.DataFrame,
) -> None:
    counts = consents.groupby(["cust_type", "purpose", "channel", "status"]).size()

    # 2,000 customers (1,900 individuals, 100 organisations), 3 months, seed 7.
    assert counts.to_dict() == {
        ("individual", "marketing", "email", "granted"): 538,
        ("individual", "marketing", "email", "withdrawn"): 30,
        ("individual", "marketing", "phone_call", "granted"): 1456,
        ("individual", "marketing", "phone_call", "withdrawn"): 84,
        ("individual", "marketing", "sms", "granted"): 1117,
        ("individual", "marketing", "sms", "withdrawn"): 66,
        ("individual", "profiling", "any", "granted"): 1179,
        ("individual", "profiling", "any", "withdrawn"): 64,
        ("organization", "marketing", "email", "granted"): 54,
        ("organization", "marketing", "phone_call", "granted"): 62,
        ("organization", "marketing", "phone_call", "withdrawn"): 2,
        ("organization", "marketing", "sms", "granted"): 49,
        ("organization", "marketing", "sms", "withdrawn"): 2,
        ("organization", "profiling", "any", "granted"): 37,
        ("organization", "profiling", "any", "withdrawn"): 1,
    }
    people = consents[consents["cust_type"] == "individual"]
    share = people.groupby(["purpose", "channel"]).size() / 1900
    assert share["marketing", "phone_call"] == pytest.approx(0.80, abs=0.02)
    assert share["marketing", "sms"] == pytest.approx(0.60, abs=0.03)
    assert share["marketing", "email"] == pytest.approx(0.30, abs=0.02)
    assert share["profiling", "any"] == pytest.approx(0.65, abs=0.02)
    assert (consents["status"] == "withdrawn").mean() == pytest.approx(0.05, abs=0.01)


def test_each_consent_is_one_row_of_a_known_customer(
    consents: pd.DataFrame,
) -> None:
    assert consents["cust_type"].notna().all()
    key = ["cust_no", "purpose", "channel", "granted_at"]
    assert not consents.duplicated(key).any()
    # At most one current grant per customer, purpose and channel.
    assert not consents.duplicated(["cust_no", "purpose", "channel"]).any()
    assert set(consents["purpose"]) == {"marketing", "profiling"}
    assert set(consents.loc[consents["purpose"] == "profiling", "channel"]) == {"any"}


def test_withdrawals_fall_in_the_window_after_the_grant(
    consents: pd.DataFrame,
) -> None:
    withdrawn = consents[consents["status"] == "withdrawn"]
    granted = consents[consents["status"] == "granted"]

    assert granted["withdrawn_at"].isna().all()
    assert withdrawn["withdrawn_at"].notna().all()
    assert (withdrawn["withdrawn_at"] > withdrawn["granted_at"]).all()
    assert withdrawn["withdrawn_at"].between(WINDOW_START, WINDOW_END).all()
    hours = withdrawn["withdrawn_at"].dt.hour
    assert hours.between(8, 21).all()


def test_consents_are_given_at_signup_or_in_the_re_consent_drive(
    consents: pd.DataFrame,
) -> None:
    since = pd.to_datetime(consents["customer_since"])
    day = consents["granted_at"].dt.normalize()
    recent = since >= PIPL_IN_FORCE

    assert (day[recent] == since[recent]).all()
    assert (
        day[~recent].between(PIPL_IN_FORCE, WINDOW_START - pd.Timedelta(days=1)).all()
    )
    assert (
        consents.loc[~recent, "source"]
        .isin(["business_hall", "call_centre", "app", "sms_reply"])
        .all()
    )
    # One occasion per customer: one time, one source, one piece of evidence.
    per_customer = consents.groupby("cust_no")[["granted_at", "source", "evidence_ref"]]
    assert (per_customer.nunique() == 1).all().all()
    prefix = consents["evidence_ref"].str.extract(r"^([A-Z]+)\d{10}$")[0]
    expected = consents["source"].map(
        {"business_hall": "FORM", "call_centre": "CALL", "web": "WEB", "app": "APP",
         "sms_reply": "SMS"}
    )  # fmt: skip
    assert (prefix == expected).all()


def test_channels_need_the_means_and_organisations_consent_through_a_contact(
    silos: Path, consents: pd.DataFrame, subscriptions: pd.DataFrame
) -> None:
    contacts = read_frame(silos / "crm/contacts.csv")
    with_email = set(contacts.loc[contacts["kind"] == "email", "cust_no"])
    mobile = subscriptions["service_no"].str.fullmatch(r"1[3-9]\d{9}")
    with_mobile = set(subscriptions.loc[mobile, "cust_no"])

    email = consents[consents["channel"] == "email"]
    assert email["cust_no"].isin(with_email).all()
    assert consents.loc[consents["channel"] == "sms", "cust_no"].isin(with_mobile).all()
    organisations = consents["cust_type"] == "organization"
    assert consents.loc[organisations, "given_by"].str.len().between(2, 4).all()
    assert consents.loc[~organisations, "given_by"].isna().all()


def test_the_do_not_call_list_holds_customers_mobile_numbers(
    do_not_call: pd.DataFrame, consents: pd.DataFrame, subscriptions: pd.DataFrame
) -> None:
    assert do_not_call["source"].value_counts().to_dict() == {
        "customer_request": 39, "regulator": 9, "complaint": 8, "internal": 4,
    }  # fmt: skip
    assert do_not_call["phone"].str.fullmatch(r"\+861[3-9]\d{9}").all()
    assert do_not_call["phone"].is_unique
    numbers = set("+86" + subscriptions["service_no"])
    assert do_not_call["phone"].isin(numbers).all()
    assert do_not_call["added_at"].is_monotonic_increasing
    assert do_not_call["added_at"].max() < WINDOW_END
    expiring = do_not_call[do_not_call["expires_at"].notna()]
    assert (expiring["expires_at"] > expiring["added_at"]).all()
    requests = do_not_call[do_not_call["source"] == "customer_request"]
    assert requests["expires_at"].isna().all()
    # Customers who withdrew their phone-call consent asked for the list then.
    withdrawn_calls = consents[
        (consents["channel"] == "phone_call") & (consents["status"] == "withdrawn")
    ]
    asked_then = do_not_call["added_at"].isin(withdrawn_calls["withdrawn_at"])
    assert asked_then.sum() == 31


def test_the_consents_draw_from_their_own_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other shares of consent change those files only, never another file."""
    from telcrm_pipeline.synthetic import GeneratorConfig, consents, generate_operator

    generate_operator(GeneratorConfig(300, 1, 3, tmp_path / "a"))
    monkeypatch.setattr(consents, "WITHDRAWN_SHARE", 0.3)
    monkeypatch.setattr(consents, "DNC_SHARE", 0.2)
    generate_operator(GeneratorConfig(300, 1, 3, tmp_path / "b"))

    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*.csv"))
        }

    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    changed = {name for name in a if a[name] != b[name]}
    assert changed == {"silos/crm/consents.csv", "silos/crm/do_not_call.csv"}
