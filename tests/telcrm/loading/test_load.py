"""Loading the silos: all rows accounted for, none twice, bad ones kept with reasons."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from tests.telcrm.silo_files import rewrite

from telcrm.accounts.selectors import group_manager_mismatches
from telcrm.billing.models import Bill, BillItem, Payment
from telcrm.customers.choices import SourceSystem
from telcrm.customers.models import Customer, CustomerSourceKey, Interaction
from telcrm.inventory.models import Subscription
from telcrm.loading.reading import SiloFileError
from telcrm.loading.report import LoadReport
from telcrm.loading.service import silos_load
from telcrm.parties.models import ContactMedium
from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

pytestmark = pytest.mark.django_db


def data_rows(path: Path, encoding: str = "utf-8") -> int:
    with path.open(encoding=encoding, newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def by_path(report: LoadReport) -> dict[str, tuple[int, int, int, int]]:
    return {
        f.path: (f.read, f.loaded, f.quarantined, f.duplicates) for f in report.files
    }


def other_amount(line: str) -> str:
    """A payments.csv line with its amount (5th field) changed."""
    fields = line.split(",")
    fields[4] = "1.23"
    return ",".join(fields)


def test_a_generated_operator_loads_completely(silos: Path) -> None:
    report = silos_load(silos)

    for item in report.files:
        assert item.read == data_rows(Path(item.path)), item.path
        assert (item.loaded, item.quarantined, item.duplicates) == (item.read, 0, 0)
    assert report.rejections == []
    assert Customer.objects.filter(source_keys__system=SourceSystem.CRM).count() == (
        data_rows(silos / "crm/customers.csv")
    )
    assert Bill.objects.count() == data_rows(silos / "billing/bills.csv")
    assert BillItem.objects.count() == data_rows(silos / "billing/bill_items.csv")
    assert Payment.objects.count() == data_rows(silos / "billing/payments.csv")
    assert Interaction.objects.count() == data_rows(silos / "complaints/tickets.csv")


def test_a_second_run_loads_nothing_twice(silos: Path) -> None:
    first = silos_load(silos)
    counts = [
        model.objects.count()
        for model in (Customer, ContactMedium, Subscription, Bill, BillItem, Payment)
    ]

    second = silos_load(silos)

    for item in second.files:
        assert (item.loaded, item.quarantined) == (0, 0), item.path
        assert item.duplicates == item.read, item.path
    assert [f.read for f in second.files] == [f.read for f in first.files]
    assert counts == [
        model.objects.count()
        for model in (Customer, ContactMedium, Subscription, Bill, BillItem, Payment)
    ]


def test_each_bad_row_is_rejected_with_file_line_field_and_reason(silos: Path) -> None:
    rewrite(
        silos / "crm/customers.csv",
        {
            0: {"customer_since": "2024-02-30"},
            1: {"cust_type": "alien"},
            2: {"id_no": "110101199003070000"},
            250: {"status_date": "1990-01-01"},
        },
    )
    rewrite(silos / "crm/subscriptions.csv", {5: {"cust_no": "C999999999"}})
    rewrite(silos / "billing/bills.csv", {3: {"amount": "-12.00"}})
    rewrite(silos / "billing/payments.csv", {4: {"paid_at": "yesterday"}})

    report = silos_load(silos)

    reasons = {
        (str(Path(r.file).relative_to(silos)), r.line, r.field): r.reason
        for r in report.rejections
    }
    assert reasons[("crm/customers.csv", 2, "customer_since")] == (
        "'2024-02-30' is not a date (YYYY-MM-DD)"
    )
    assert reasons[("crm/customers.csv", 3, "cust_type")] == (
        "'alien' is not one of individual, organization"
    )
    assert ("crm/customers.csv", 4, "id_number") in reasons
    # Only the database can tell this one (a CHECK across two columns): the batch
    # it was in is retried row by row, and its neighbours still load.
    assert reasons[("crm/customers.csv", 252, "(constraint)")] == (
        "The status cannot change before the relationship began."
    )
    customers = data_rows(silos / "crm/customers.csv")
    assert Customer.objects.filter(source_keys__system=SourceSystem.CRM).count() == (
        customers - 4
    )
    assert reasons[("crm/subscriptions.csv", 7, "cust_no")] == (
        "unknown customer 'C999999999'"
    )
    assert reasons[("billing/bills.csv", 5, "(constraint)")] == (
        "A bill total cannot be negative (credits are carried forward)."
    )
    assert reasons[("billing/payments.csv", 6, "paid_at")] == (
        "'yesterday' is not a time (YYYY-MM-DD HH:MM:SS)"
    )
    for item in report.files:
        assert item.read == item.loaded + item.quarantined + item.duplicates


def test_rows_with_wrong_field_count_or_duplicate_keys_are_rejected(
    silos: Path,
) -> None:
    path = silos / "billing/payments.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first = lines[1]
    lines.insert(2, first)  # the first payment twice: a duplicate, skipped
    lines.insert(3, other_amount(first))  # the same key with other values
    lines.insert(5, '"P9","A1"\n')  # a truncated row
    path.write_text("".join(lines), encoding="utf-8")

    report = silos_load(silos)

    payments = next(f for f in report.files if f.kind == "payments")
    rejected = [(r.line, r.field, r.reason) for r in report.rejections]
    number = first.split(",")[0][1:-1]
    assert rejected == [
        (4, "payment_no",
         f"duplicate key {number!r} with different values (first at line 2)"),
        (6, "(row)", "2 fields, expected 6"),
    ]  # fmt: skip
    assert (payments.quarantined, payments.duplicates) == (2, 1)
    assert payments.read == payments.loaded + 3


def test_a_file_of_the_wrong_kind_is_refused_before_anything_is_written(
    silos: Path,
) -> None:
    (silos / "billing/bills.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")

    with pytest.raises(
        SiloFileError, match=r"billing/bills.csv: header \['a', 'b', 'c'\] is not"
    ):
        silos_load(silos)

    assert Customer.objects.count() == 0


def test_a_row_with_undecodable_bytes_is_quarantined_naming_its_column(
    silos: Path,
) -> None:
    path = silos / "crm/staff.csv"
    text = path.read_bytes()
    path.write_bytes(text + "S99999,张三,agent,浙江省,杭州市,\n".encode("gbk"))

    report = silos_load(silos)

    staff = next(f for f in report.files if f.kind == "staff")
    assert (staff.read, staff.quarantined) == (data_rows(path, "latin-1"), 1)
    assert staff.loaded == staff.read - 1
    [rejection] = report.rejections
    assert (rejection.line, rejection.field) == (staff.read + 1, "name")
    assert rejection.reason == ("undecodable bytes (not UTF-8): '\\xd5\\xc5\\xc8\\xfd'")
    assert rejection.row["staff_no"] == "S99999"


def test_a_header_in_another_encoding_is_refused_with_its_encoding(
    silos: Path,
) -> None:
    path = silos / "crm/staff.csv"
    path.write_bytes("工号,姓名\n".encode("gbk") + path.read_bytes())

    with pytest.raises(
        SiloFileError, match=re.escape("the header is not readable as UTF-8")
    ):
        silos_load(silos)

    assert Customer.objects.count() == 0


def test_one_account_manager_covers_every_group_tree(silos: Path) -> None:
    silos_load(silos)

    assert list(group_manager_mismatches()) == []


def test_every_broadband_record_is_kept_and_known_lines_link_to_their_customer(
    silos: Path,
) -> None:
    silos_load(silos)

    with (silos / "broadband/customers.csv").open(encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    keys = dict(
        CustomerSourceKey.objects.filter(system=SourceSystem.BROADBAND).values_list(
            "source_id", "customer_id"
        )
    )
    assert set(keys) == {record["bb_cust_id"] for record in records}
    crm_lines = dict(Subscription.objects.values_list("service_number", "customer_id"))
    for record in records:
        if record["line_id"] in crm_lines:
            assert keys[record["bb_cust_id"]] == crm_lines[record["line_id"]]


@pytest.mark.slow
def test_a_demo_sized_operator_loads_without_a_single_rejection(
    tmp_path: Path,
) -> None:
    # Generator and model must agree on every invariant, at a size where rare cases
    # (pre-1983 birthplaces, add-ons, lines of leavers, 7-digit area codes) occur.
    generate_operator(GeneratorConfig(out=tmp_path, customers=1500, months=3, seed=5))

    report = silos_load(tmp_path / "silos")

    assert [(r.file, r.line, r.field, r.reason) for r in report.rejections] == []
    assert all(item.loaded == item.read for item in report.files)


def test_a_gbk_operator_loads_like_its_utf8_twin(tmp_path: Path) -> None:
    config = {"customers": 120, "months": 1, "seed": 3}
    generate_operator(GeneratorConfig(out=tmp_path / "gbk", encoding="gbk", **config))

    report = silos_load(tmp_path / "gbk" / "silos")

    crm_customers = Customer.objects.filter(source_keys__system=SourceSystem.CRM)
    names = set(crm_customers.values_list("party__name", flat=True))
    with (tmp_path / "gbk/silos/crm/customers.csv").open(encoding="gbk") as handle:
        assert names == {row["name"] for row in csv.DictReader(handle)}
    assert report.rejections == []
