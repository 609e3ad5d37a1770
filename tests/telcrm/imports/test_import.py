"""`telcrm import`: accounting, quarantine, idempotency, refusals, the ledger."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from tests.telcrm.silo_files import rewrite

from telcrm.billing.models import Payment
from telcrm.customers.models import Customer
from telcrm.imports.choices import RunState
from telcrm.imports.command import run_import
from telcrm.imports.models import ImportFile, ImportRun, QuarantinedRow
from telcrm.imports.services import import_directory, import_files
from telcrm.loading.reading import SiloFileError
from telcrm.users.models import User
from telcrm_pipeline.cdr_store import open_store

pytestmark = pytest.mark.django_db


def data_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def quarantine(silos: Path) -> set[tuple[str, int, str, str]]:
    return {
        (str(Path(path).relative_to(silos)), line, field, reason)
        for path, line, field, reason in QuarantinedRow.objects.values_list(
            "path", "line", "field", "reason"
        )
    }


def stored_cdrs(store: Path) -> int:
    with open_store(store) as con:
        found = con.execute("SELECT count(*) FROM cdr").fetchone()
    assert found is not None
    return int(found[0])


def test_an_import_accounts_for_every_row_and_records_the_run(
    silos: Path, private_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_import([silos], as_json=True)

    printed = json.loads(capsys.readouterr().out)
    assert printed["files"] == [item.as_json() for item in result.files]
    assert {item["kind"] for item in printed["files"]} == {
        "staff", "offers", "customers", "contacts", "groups", "billing_accounts",
        "subscriptions", "bills", "bill_items", "payments", "broadband_customers",
        "complaints", "consents", "do_not_call", "cdr",
    }  # fmt: skip
    for item in printed["files"]:
        assert item["read"] == data_rows(Path(item["path"])), item["path"]
        assert (item["loaded"], item["quarantined"], item["duplicates"]) == (
            item["read"], 0, 0,
        )  # fmt: skip
    run = ImportRun.objects.get()
    assert (run.state, run.pk) == (RunState.COMPLETED, printed["run"])
    assert run.finished_at is not None
    ledger = {entry.path: entry for entry in run.files.all()}
    assert set(ledger) == {item["path"] for item in printed["files"]}
    for path, entry in ledger.items():
        assert entry.sha256 == hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assert entry.size_bytes == Path(path).stat().st_size
    cdr_rows = sum(item["loaded"] for item in printed["files"] if item["kind"] == "cdr")
    assert stored_cdrs(private_home / "store") == cdr_rows
    assert not QuarantinedRow.objects.exists()


def test_a_second_import_loads_nothing_twice(silos: Path, private_home: Path) -> None:
    first = import_directory(silos)
    customers, payments = Customer.objects.count(), Payment.objects.count()

    second = import_directory(silos)

    assert [f.read for f in second.files] == [f.read for f in first.files]
    for item in second.files:
        assert (item.loaded, item.quarantined, item.duplicates) == (0, 0, item.read)
    assert (Customer.objects.count(), Payment.objects.count()) == (customers, payments)
    assert stored_cdrs(private_home / "store") == sum(
        item.loaded for item in first.files if item.kind == "cdr"
    )
    assert list(ImportRun.objects.values_list("state", flat=True)) == [
        RunState.COMPLETED, RunState.COMPLETED,
    ]  # fmt: skip


def corrupt(silos: Path) -> Path:
    """One row of each kind of defect; returns the corrupted CDR file."""
    rewrite(silos / "crm/customers.csv", {0: {"customer_since": "2024-02-30"}})
    rewrite(silos / "crm/subscriptions.csv", {5: {"cust_no": "C999999999"}})
    payments = silos / "billing/payments.csv"
    lines = payments.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[4] = "1.23"  # the first payment's key with another amount
    lines.insert(2, ",".join(fields))
    lines.insert(4, '"P9","A1"\n')  # a truncated row
    payments.write_text("".join(lines), encoding="utf-8")
    staff = silos / "crm/staff.csv"
    staff.write_bytes(
        staff.read_bytes() + "S99999,张三,agent,浙江省,杭州市,\n".encode("gbk")
    )
    cdr = sorted(silos.glob("cdr/*/*.csv"))[0]
    lines = cdr.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[6] = "-5"  # duration_s
    lines[1] = ",".join(fields)
    fields = lines[2].split(",")
    fields[5] = "yesterday"  # start_time
    lines[2] = ",".join(fields)
    lines.insert(3, "1,2,3\n")  # a malformed line
    cdr.write_text("".join(lines), encoding="utf-8")
    return cdr


def test_each_kind_of_bad_row_is_quarantined_with_file_line_field_and_reason(
    silos: Path,
) -> None:
    cdr = corrupt(silos)
    cdr_name = str(cdr.relative_to(silos))

    result = import_directory(silos)

    held = quarantine(silos)
    first_payment = Payment.objects.order_by("id")[0].payment_number
    expected = {
        ("crm/customers.csv", 2, "customer_since",
         "'2024-02-30' is not a date (YYYY-MM-DD)"),
        ("crm/subscriptions.csv", 7, "cust_no", "unknown customer 'C999999999'"),
        ("billing/payments.csv", 3, "payment_no",
         f"duplicate key {first_payment!r} with different values "
         "(first at line 2)"),
        ("billing/payments.csv", 5, "(row)", "2 fields, expected 6"),
        (cdr_name, 2, "duration_s", "negative"),
        (cdr_name, 3, "start_time", "not a timestamp"),
        (cdr_name, 4, "(line)",
         "wrong column count: Expected Number of Columns: 11 Found: 3"),
    }  # fmt: skip
    assert expected <= held
    # The rest refer to the rejected customer (its lines, account, bills...): they
    # are held too, not loaded without their owner.
    staff = {item for item in held if item[0] == "crm/staff.csv"}
    assert all(item[3].startswith("unknown ") for item in held - expected - staff)
    assert any("C100000001" in item[3] for item in held - expected - staff)
    [(_, line, field, reason)] = staff
    assert (field, reason) == (
        "name",
        "undecodable bytes (not UTF-8): '\\xd5\\xc5\\xc8\\xfd'",
    )
    assert line == data_rows(silos / "crm/staff.csv") + 1
    assert QuarantinedRow.objects.get(line=5, kind="payments").row == {
        "payment_no": "P9", "acct_no": "A1", "__wrong_field_count__":
        "2 fields, expected 6",
    }  # fmt: skip
    for item in result.files:
        assert item.read == item.loaded + item.quarantined + item.duplicates
        assert item.read == data_rows(Path(item.path)), item.path
    counts = {
        entry.path: (entry.read, entry.loaded, entry.quarantined, entry.duplicates)
        for entry in ImportFile.objects.all()
    }
    assert counts == {
        item.path: (item.read, item.loaded, item.quarantined, item.duplicates)
        for item in result.files
    }
    assert ImportFile.objects.get(path=str(cdr)).quarantined == 3


def test_a_rerun_does_not_quarantine_the_same_rows_again(silos: Path) -> None:
    corrupt(silos)
    import_directory(silos)
    held = QuarantinedRow.objects.count()

    second = import_directory(silos)

    assert QuarantinedRow.objects.count() == held
    # Every row held the first time is held again, but one: the payment whose key
    # clashed in the file now finds that key in the store, a duplicate like any other.
    assert sum(item.quarantined for item in second.files) == held - 1
    assert sum(item.loaded for item in second.files) == 0


def test_a_file_of_another_kind_is_refused_before_anything_is_written(
    silos: Path,
) -> None:
    bills = silos / "billing/bills.csv"
    with pytest.raises(
        SiloFileError, match=r"bills.csv: header .* is not the expected"
    ):
        import_files([("staff", silos / "crm/staff.csv"), ("customers", bills)])
    with pytest.raises(SiloFileError, match=r"staff.csv: not a CDR file \(header"):
        import_files([("cdr", silos / "crm/staff.csv")])

    assert not ImportRun.objects.exists()
    assert not Customer.objects.exists()
    assert not User.objects.exists()


def test_the_encoding_is_detected_when_not_declared(silos: Path) -> None:
    utf8 = silos / "crm/staff.csv"
    gbk = silos / "staff-gbk.csv"
    gbk.write_bytes(utf8.read_text(encoding="utf-8").encode("gbk"))

    result = import_files([("staff", gbk)])

    assert [(f.read, f.loaded, f.quarantined) for f in result.files] == [
        (data_rows(utf8), data_rows(utf8), 0)
    ]
    with utf8.open(encoding="utf-8") as handle:
        names = {row["name"] for row in csv.DictReader(handle)}
    assert set(User.objects.values_list("full_name", flat=True)) == names
    assert ImportFile.objects.get().encoding == "gb18030"


def test_import_kind_files_in_the_order_given(silos: Path) -> None:
    staff = silos / "crm/staff.csv"
    half = silos / "staff-2.csv"
    lines = staff.read_text(encoding="utf-8").splitlines(keepends=True)
    half.write_text(lines[0] + "".join(lines[1:6]), encoding="utf-8")

    result = import_files([("staff", staff), ("staff", half)])

    assert [(f.path, f.loaded, f.duplicates) for f in result.files] == [
        (str(staff), len(lines) - 1, 0),
        (str(half), 0, 5),
    ]
