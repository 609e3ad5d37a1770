"""Loading consents and the do-not-call list: counts, withdrawals, refusals."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.telcrm.silo_files import rewrite

from telcrm.customers.choices import ConsentStatus
from telcrm.customers.models import Consent, DoNotCallEntry
from telcrm.loading.report import LoadReport
from telcrm.loading.service import silo_files, silo_files_load, silos_load
from telcrm.parties.models import ContactMedium

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The small operator (300 customers, 1 month, seed 11): 721 consents, 42 of them
# withdrawn in the window, and 11 numbers on the do-not-call list.
CONSENTS, WITHDRAWN, DO_NOT_CALL = 721, 42, 11


def accounting(report: LoadReport, kind: str) -> tuple[int, int, int, int]:
    [item] = [f for f in report.files if f.kind == kind]
    return item.read, item.loaded, item.quarantined, item.duplicates


def reasons(report: LoadReport) -> dict[tuple[int, str], str]:
    return {(r.line, r.field): r.reason for r in report.rejections}


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def load_later_file(path: Path) -> LoadReport:
    """`telcrm import --kind consents FILE`, without the ledger."""
    return silo_files_load(silo_files([("consents", path)]))


def test_consents_and_the_do_not_call_list_load_completely(silos: Path) -> None:
    report = silos_load(silos)

    assert accounting(report, "consents") == (CONSENTS, CONSENTS, 0, 0)
    assert accounting(report, "do_not_call") == (DO_NOT_CALL, DO_NOT_CALL, 0, 0)
    assert Consent.objects.count() == CONSENTS
    assert Consent.objects.filter(status=ConsentStatus.WITHDRAWN).count() == WITHDRAWN
    first = Consent.objects.get(
        customer__customer_number="C100000002", purpose="marketing", channel="sms"
    )
    assert (first.status, first.source, first.evidence) == (
        "granted", "app", "APP5829963873",
    )  # fmt: skip
    assert first.granted_at == dt.datetime(2026, 5, 6, 9, 9, tzinfo=SHANGHAI)
    assert first.withdrawn_at is None
    withdrawn = Consent.objects.get(
        customer__customer_number="C100000002", channel="phone_call"
    )
    assert withdrawn.withdrawn_at == dt.datetime(
        2026, 6, 15, 20, 10, 29, tzinfo=SHANGHAI
    )
    company = Consent.objects.get(
        customer__customer_number="C100000286", channel="email"
    )
    assert company.evidence == "FORM1425969926, given by 叶浩国"
    # The list holds customers' numbers as the contact points store them (E.164),
    # which is how the contact policy finds them.
    phones = set(ContactMedium.objects.values_list("phone", flat=True))
    listed = list(DoNotCallEntry.objects.values_list("phone", flat=True))
    assert len(listed) == DO_NOT_CALL and set(listed) <= phones
    entry = DoNotCallEntry.objects.get(phone="+8618294471119")
    assert (entry.source, entry.added_at, entry.expires_at) == (
        "complaint",
        dt.datetime(2025, 9, 1, 8, 22, 2, tzinfo=SHANGHAI),
        dt.datetime(2026, 2, 28, 8, 22, 2, tzinfo=SHANGHAI),
    )


def test_importing_the_same_files_again_adds_nothing(silos: Path) -> None:
    silos_load(silos)
    before = sorted(Consent.objects.values_list("pk", "status", "withdrawn_at"))

    second = silos_load(silos)

    assert accounting(second, "consents") == (CONSENTS, 0, 0, CONSENTS)
    assert accounting(second, "do_not_call") == (DO_NOT_CALL, 0, 0, DO_NOT_CALL)
    assert sorted(Consent.objects.values_list("pk", "status", "withdrawn_at")) == (
        before
    )
    assert DoNotCallEntry.objects.count() == DO_NOT_CALL


def test_a_withdrawal_in_a_later_file_closes_the_current_grant(
    silos: Path, tmp_path: Path
) -> None:
    silos_load(silos)
    grant = Consent.objects.get(
        customer__customer_number="C100000002", purpose="marketing", channel="sms"
    )
    rows = rows_of(silos / "crm/consents.csv")
    assert rows[1]["channel"] == "sms"
    later = [dict(row) for row in rows]
    later[1].update(status="withdrawn", withdrawn_at="2026-07-03 10:00:00")
    # The customer consented again a week later: listed before the withdrawal, it
    # still loads (the file's rows are weighed together).
    renewed = dict(rows[1], granted_at="2026-07-10 16:30:00", source="sms_reply")
    later.insert(0, renewed)

    report = load_later_file(write_rows(tmp_path / "consents-2026-07.csv", later))

    assert accounting(report, "consents") == (CONSENTS + 1, 2, 0, CONSENTS - 1)
    grant.refresh_from_db()
    assert (grant.status, grant.withdrawn_at) == (
        "withdrawn", dt.datetime(2026, 7, 3, 10, tzinfo=SHANGHAI),
    )  # fmt: skip
    current = Consent.objects.get(
        customer=grant.customer, channel="sms", status=ConsentStatus.GRANTED
    )
    assert (current.granted_at, current.source) == (
        dt.datetime(2026, 7, 10, 16, 30, tzinfo=SHANGHAI), "sms_reply",
    )  # fmt: skip

    # The older extract again: it knows nothing newer, and changes nothing.
    older = silos_load(silos)

    assert accounting(older, "consents") == (CONSENTS, 0, 0, CONSENTS)
    grant.refresh_from_db()
    assert grant.status == ConsentStatus.WITHDRAWN
    assert Consent.objects.count() == CONSENTS + 1


def test_bad_consent_rows_are_rejected_naming_row_field_and_reason(
    silos: Path,
) -> None:
    path = silos / "crm/consents.csv"
    rewrite(
        path,
        {
            0: {"withdrawn_at": "2026-05-01 09:00:00"},  # before its grant
            1: {"cust_no": "C999999999"},
            2: {"purpose": "lottery"},
            3: {"channel": "fax"},
            4: {"status": "withdrawn"},  # without a withdrawal time
            5: {"withdrawn_at": "2026-06-20 09:00:00"},  # but still granted
            6: {"granted_at": "yesterday"},
        },
    )
    rows = rows_of(path)
    # A second current grant for C100000005's SMS (line 10), and a row repeating
    # line 11's consent with another source.
    rows.append(dict(rows[8], granted_at="2026-06-20 11:00:00"))
    rows.append(dict(rows[9], source="web"))
    write_rows(path, rows)

    report = silos_load(silos)

    n = CONSENTS + 2
    assert reasons(report) == {
        (2, "withdrawn_at"): (
            "'2026-05-01 09:00:00' is before granted_at '2026-05-06 09:09:00'"
        ),
        (3, "cust_no"): "unknown customer 'C999999999'",
        (4, "purpose"): "'lottery' is not one of marketing, profiling, third_party",
        (5, "channel"): ("'fax' is not one of phone_call, sms, email, app_push, any"),
        (6, "withdrawn_at"): "is required for a withdrawn consent",
        (7, "withdrawn_at"): "must be empty for a granted consent",
        (8, "granted_at"): "'yesterday' is not a time (YYYY-MM-DD HH:MM:SS)",
        (n, "status"): (
            "a second current marketing/sms consent of 'C100000005' "
            "(the first at line 10)"
        ),
        (n + 1, "source"): (
            "the same consent (cust_no, purpose, channel, granted_at) as line 11 "
            "with another source"
        ),
    }
    assert accounting(report, "consents") == (n, n - 9, 9, 0)
    assert Consent.objects.count() == n - 9


def test_a_grant_while_the_store_holds_a_current_one_is_rejected(
    silos: Path, tmp_path: Path
) -> None:
    silos_load(silos)
    [row] = [
        r
        for r in rows_of(silos / "crm/consents.csv")
        if (r["cust_no"], r["channel"]) == ("C100000002", "sms")
    ]
    again = dict(row, granted_at="2026-06-30 12:00:00")
    withdrawn_again = dict(
        rows_of(silos / "crm/consents.csv")[0], withdrawn_at="2026-06-16 08:00:00"
    )

    report = load_later_file(
        write_rows(tmp_path / "later.csv", [again, withdrawn_again])
    )

    assert reasons(report) == {
        (2, "status"): (
            "'C100000002' already has a current marketing/sms consent, granted at "
            "2026-05-06 09:09:00"
        ),
        (3, "withdrawn_at"): (
            "the store holds this consent as withdrawn at 2026-06-15 20:10:29"
        ),
    }
    assert Consent.objects.count() == CONSENTS


def test_bad_do_not_call_rows_are_rejected_naming_row_field_and_reason(
    silos: Path,
) -> None:
    path = silos / "crm/do_not_call.csv"
    rewrite(
        path,
        {
            0: {"phone": "12345"},
            1: {"source": "neighbour"},
            2: {"expires_at": "2026-04-09 11:44:43"},  # = added_at
        },
    )
    rows = rows_of(path)
    rows.append(dict(rows[3]))  # an identical repeat: a duplicate
    rows.append(dict(rows[4], reason="另一个原因"))
    typed = dict(rows[5], phone="157 8768 8876", added_at="2026-07-01 09:00:00")
    rows.append(typed)  # the number as people type it
    write_rows(path, rows)

    report = silos_load(silos)

    assert reasons(report) == {
        (2, "phone"): "not a valid phone number for its region",
        (3, "source"): (
            "'neighbour' is not one of customer_request, complaint, regulator, internal"
        ),
        (4, "expires_at"): "'2026-04-09 11:44:43' is not after added_at "
        "'2026-04-09 11:44:43'",
        (DO_NOT_CALL + 3, "reason"): (
            "the same entry (phone, added_at) as line 6 with another reason"
        ),
    }
    read = DO_NOT_CALL + 3
    assert accounting(report, "do_not_call") == (read, read - 5, 4, 1)
    assert DoNotCallEntry.objects.filter(phone="+8615787688876").count() == 2
