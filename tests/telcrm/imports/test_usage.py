"""Usage summaries reach the operational database, per line and month, and only
the months whose CDRs changed are reloaded."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from telcrm.imports.services import import_directory, import_files
from telcrm.inventory.models import Subscription
from telcrm.usage.models import LineUsageMonth
from telcrm.usage.services import usage_refresh

pytestmark = pytest.mark.django_db


def expected_usage(files: list[Path], ours: set[str]) -> dict[str, dict[str, object]]:
    """The figures of each of our lines, counted from the raw CSV files in Python."""
    figures: dict[str, Counter[str]] = defaultdict(Counter)
    charges: dict[str, Decimal] = defaultdict(Decimal)
    days: dict[str, set[str]] = defaultdict(set)
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                kind, caller, callee = row["record_type"], row["caller"], row["callee"]
                day = row["start_time"][:10]
                if caller in ours:
                    days[caller].add(day)
                    charges[caller] += Decimal(row["charge"])
                    if kind == "voice":
                        figures[caller]["voice_out_calls"] += 1
                        figures[caller]["voice_out_seconds"] += int(row["duration_s"])
                    elif kind == "sms":
                        figures[caller]["sms_out"] += 1
                    else:
                        figures[caller]["data_bytes"] += int(row["bytes"])
                if callee in ours and kind in ("voice", "sms"):
                    days[callee].add(day)
                    figures[callee][
                        f"{kind}_in" if kind == "sms" else "voice_in_calls"
                    ] += 1
    return {
        number: {
            "voice_out_calls": figures[number]["voice_out_calls"],
            "voice_out_seconds": figures[number]["voice_out_seconds"],
            "voice_in_calls": figures[number]["voice_in_calls"],
            "sms_out": figures[number]["sms_out"],
            "sms_in": figures[number]["sms_in"],
            "data_bytes": figures[number]["data_bytes"],
            "charge": charges[number],
            "active_days": len(days[number]),
        }
        for number in days
    }


def stored_usage() -> dict[str, dict[str, object]]:
    fields = [
        "voice_out_calls", "voice_out_seconds", "voice_in_calls", "sms_out",
        "sms_in", "data_bytes", "charge", "active_days",
    ]  # fmt: skip
    return {
        row["subscription__service_number"]: {name: row[name] for name in fields}
        for row in LineUsageMonth.objects.filter(period=dt.date(2026, 6, 1)).values(
            "subscription__service_number", *fields
        )
    }


def test_each_line_gets_its_months_figures_and_the_customer_its_lines(
    silos: Path,
) -> None:
    import_directory(silos)
    ours = set(
        Subscription.objects.filter(parent__isnull=True).values_list(
            "service_number", flat=True
        )
    )

    expected = expected_usage(sorted(silos.glob("cdr/*/*.csv")), ours)

    assert len(expected) > 100
    assert stored_usage() == expected
    for usage in LineUsageMonth.objects.select_related("subscription")[:50]:
        assert usage.customer_id == usage.subscription.customer_id


def test_only_months_with_new_cdrs_are_reloaded(
    silos: Path, generated_operator: Path
) -> None:
    import_directory(silos)
    assert usage_refresh().months_loaded == ()
    ours = set(
        Subscription.objects.filter(parent__isnull=True).values_list(
            "service_number", flat=True
        )
    )
    fourth = sorted((generated_operator / "silos/cdr").glob("*/*.csv"))[3]

    result = import_files([("cdr", fourth)])

    assert result.usage is not None
    assert result.usage.months_loaded == ("2026-06",)
    files = [*sorted(silos.glob("cdr/*/*.csv")), fourth]
    assert stored_usage() == expected_usage(files, ours)
