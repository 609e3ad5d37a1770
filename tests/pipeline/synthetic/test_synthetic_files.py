"""The generator writes the contract's files, deterministically, in either encoding."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn import ric, uscc
from tests.pipeline.synthetic.conftest import generate, read_frame, read_table

CONTRACT = Path(__file__).parents[3] / "docs" / "silos.md"


def contract_columns() -> dict[str, list[str]]:
    """File -> columns, parsed from the tables of docs/silos.md."""
    files: dict[str, list[str]] = {}
    current = None
    for line in CONTRACT.read_text("utf-8").splitlines():
        heading = re.match(r"^`([a-z_]+/[^`]+\.csv)`", line)
        if heading:
            current = heading.group(1)
            files[current] = []
        elif current and line.startswith("| ") and not line.startswith("| column"):
            cell = line.split("|")[1].strip()
            files[current] += [c.strip() for c in cell.split(",")]
    return files


def all_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_it_writes_every_contract_file_with_its_columns_in_order(silos: Path) -> None:
    for relative, columns in contract_columns().items():
        if relative.startswith("cdr/"):
            path = next((silos / "cdr").glob("*/cdr_*.csv"))
        else:
            path = silos / relative
        assert read_table(path).column_names == columns, relative


def test_the_same_command_twice_gives_byte_identical_files(
    operator: Path, tmp_path: Path
) -> None:
    again = generate(tmp_path / "again")

    assert all_files(again) == all_files(operator)


def test_another_seed_gives_other_data(operator: Path, tmp_path: Path) -> None:
    other = generate(tmp_path / "other", seed=8, months=1)

    first = (operator / "silos/crm/customers.csv").read_bytes()
    assert (other / "silos/crm/customers.csv").read_bytes() != first


def test_the_truth_stays_out_of_the_silos(operator: Path) -> None:
    silo_headers = {
        p.open("rb").readline().decode("ascii").strip()
        for p in (operator / "silos").rglob("*.csv")
    }
    leaked = {"cause", "entity_id", "pattern", "default_period", "credit_risk"}
    for header in silo_headers:
        assert not leaked & set(header.split(",")), header
    assert sorted(p.name for p in (operator / "truth").iterdir()) == [
        "churn.csv",
        "defaulters.csv",
        "fraud.csv",
        "identities.csv",
        "manifest.json",
        "traits.csv",
    ]


def test_the_manifest_counts_rows_without_timestamps(silos: Path) -> None:
    manifest = json.loads((silos / "manifest.json").read_text("utf-8"))

    assert manifest["encoding"] == "utf-8"
    assert manifest["files"]["crm/customers.csv"] == 2000
    assert manifest["cdr_rows"] == sum(
        rows for name, rows in manifest["files"].items() if name.startswith("cdr/")
    )
    assert not re.search(r"\d{2}:\d{2}:\d{2}", json.dumps(manifest))


def test_gbk_holds_the_same_rows_encoded_in_gbk(operator: Path, tmp_path: Path) -> None:
    gbk = generate(tmp_path / "gbk", "--encoding", "gbk")

    for name in (
        "crm/customers.csv",
        "broadband/customers.csv",
        "complaints/tickets.csv",
    ):
        raw = (gbk / "silos" / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert raw.decode("gbk") == (operator / "silos" / name).read_text("utf-8")
    manifest = json.loads((gbk / "silos/manifest.json").read_text("utf-8"))
    assert manifest["encoding"] == "gbk"


def test_it_rejects_an_unsupported_encoding(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "telcrm.cli",
            "generate",
            "--out",
            str(tmp_path),
            "--encoding",
            "latin-1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "unsupported encoding" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("relative", "key"),
    [
        ("crm/customers.csv", "cust_no"),
        ("crm/staff.csv", "staff_no"),
        ("crm/groups.csv", "node_no"),
        ("crm/offers.csv", "offer_code"),
        ("crm/subscriptions.csv", "subs_id"),
        ("billing/accounts.csv", "acct_no"),
        ("billing/bills.csv", "bill_no"),
        ("billing/payments.csv", "payment_no"),
        ("broadband/customers.csv", "bb_cust_id"),
        ("complaints/tickets.csv", "ticket_no"),
    ],
)
def test_keys_are_unique(silos: Path, relative: str, key: str) -> None:
    values = read_frame(silos / relative)[key]

    assert values.notna().all()
    assert values.is_unique


def test_references_resolve(
    silos: Path, subscriptions: pd.DataFrame, cdrs: pd.DataFrame
) -> None:
    customers = set(read_frame(silos / "crm/customers.csv")["cust_no"])
    accounts = read_frame(silos / "billing/accounts.csv")
    bills = read_frame(silos / "billing/bills.csv")
    groups = read_frame(silos / "crm/groups.csv")

    assert set(subscriptions["cust_no"]) <= customers
    assert set(subscriptions["acct_no"]) <= set(accounts["acct_no"])
    assert set(bills["acct_no"]) <= set(accounts["acct_no"])
    assert set(read_frame(silos / "billing/bill_items.csv")["bill_no"]) <= set(
        bills["bill_no"]
    )
    assert set(groups["parent_node_no"].dropna()) <= set(groups["node_no"])
    assert set(groups["cust_no"]) <= customers
    assert set(accounts["cust_ref"].dropna()) <= customers
    numbers = set(subscriptions["service_no"])
    assert (cdrs["caller"].isin(numbers) | cdrs["callee"].isin(numbers)).all()


def test_id_numbers_carry_valid_check_digits(silos: Path) -> None:
    customers = read_frame(silos / "crm/customers.csv")
    people = customers[customers["id_type"] == "resident_id"]
    companies = customers[customers["id_type"] == "uscc"]

    assert people["id_no"].map(ric.is_valid).all()
    assert companies["id_no"].map(uscc.is_valid).all()
    assert len(companies) == 100


def test_resident_ids_agree_with_gender_and_birth_date(silos: Path) -> None:
    people = read_frame(silos / "crm/customers.csv").query("cust_type == 'individual'")

    born = people["id_no"].str[6:14]
    assert (born == people["birth_date"].str.replace("-", "")).all()
    odd = people["id_no"].str[16].astype(int) % 2 == 1
    assert (odd == (people["gender"] == "M")).all()


def test_bill_items_add_up_the_cdr_charges(silos: Path, cdrs: pd.DataFrame) -> None:
    items = read_frame(silos / "billing/bill_items.csv")
    usage = items[
        ~items["charge_type"].isin(["monthly_fee", "vas", "discount", "late_fee"])
    ]
    billed = usage["amount"].astype(float).sum()

    assert billed == pytest.approx(cdrs["charge"].sum(), abs=0.01)
    bills = read_frame(silos / "billing/bills.csv")
    assert bills["amount"].astype(float).sum() == pytest.approx(
        items["amount"].astype(float).sum()
    )


def test_missing_dates_stay_empty(silos: Path, subscriptions: pd.DataFrame) -> None:
    # Regression: a validity mask given to pa.array() over an Arrow array is ignored,
    # which once wrote the first simulated day into every missing date.
    live = subscriptions["status"].isin(["active", "suspended"])
    assert subscriptions.loc[live, "end_date"].isna().all()
    assert subscriptions.loc[~live, "end_date"].notna().all()
    started = pd.to_datetime(subscriptions["start_date"])
    ended = pd.to_datetime(subscriptions.loc[~live, "end_date"])
    assert (ended >= started[~live]).all()
    offers = read_frame(silos / "crm/offers.csv").set_index("offer_code")
    no_contract = offers.loc[subscriptions["offer_code"], "contract_months"].eq("0")
    assert subscriptions.loc[no_contract.to_numpy(), "contract_end"].isna().all()


def test_every_cdr_file_is_in_time_order_with_ascending_ids(silos: Path) -> None:
    for path in sorted((silos / "cdr").glob("*/cdr_*.csv")):
        frame = read_frame(path)

        assert frame["start_time"].is_monotonic_increasing, path
        assert frame["cdr_id"].astype("int64").diff().dropna().eq(1).all(), path


def test_days_merged_from_many_chunks_stay_in_time_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small chunks and slices: the per-chunk runs are merged into one sorted day."""
    from telcrm_pipeline.synthetic import GeneratorConfig, cdr, generate_operator

    monkeypatch.setattr(cdr, "LINES_PER_CHUNK", 97)
    monkeypatch.setattr(cdr, "SLICE_ROWS", 1000)
    config = GeneratorConfig(customers=300, months=1, seed=3, out=tmp_path / "op")
    report = generate_operator(config)
    paths = sorted((tmp_path / "op" / "silos" / "cdr").glob("*/cdr_*.csv"))
    frames = [read_frame(p) for p in paths]

    assert sum(len(f) for f in frames) == report.cdr_rows > 10_000
    for path, frame in zip(paths, frames, strict=True):
        assert frame["start_time"].is_monotonic_increasing, path
        assert frame["cdr_id"].astype("int64").diff().dropna().eq(1).all(), path
    items = read_frame(tmp_path / "op" / "silos" / "billing/bill_items.csv")
    usage = items[
        ~items["charge_type"].isin(["monthly_fee", "vas", "discount", "late_fee"])
    ]
    charged = sum(f["charge"].astype(float).sum() for f in frames)
    assert usage["amount"].astype(float).sum() == pytest.approx(charged, abs=0.01)
