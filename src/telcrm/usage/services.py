"""Keeping the monthly usage rows in step with the CDR store.

A month is reloaded (delete and insert, in one transaction) when the set of daily
summary files behind it changed since it was last loaded; a refresh interrupted at any
point is simply done again by the next one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from telcrm.inventory.models import Subscription
from telcrm.usage.models import LineUsageMonth, UsagePeriodSource
from telcrm_pipeline.cdr_store import line_month_usage, summarise_days
from telcrm_pipeline.cdr_store.reader import store_files

MEASURES = (
    "voice_out_calls", "voice_out_seconds", "voice_in_calls", "voice_in_seconds",
    "sms_out", "sms_in", "data_sessions", "data_bytes", "charge",
    "international_calls", "roaming_events", "distinct_contacts", "active_days",
)  # fmt: skip


@dataclass(frozen=True)
class UsageRefresh:
    days_summarised: int
    months_loaded: tuple[str, ...]
    rows: int
    unknown_numbers: int  # numbers in the CDRs that are not our lines (other networks)


def usage_refresh(store: Path | None = None) -> UsageRefresh:
    """Summarise stale days in the store, then reload the months that changed."""
    store = Path(store or settings.TELCRM_STORE_DIR)
    days = summarise_days(store, None)
    stale = stale_months(store)
    rows = unknown = 0
    for period, fingerprint in sorted(stale.items()):
        loaded, skipped = month_load(store, period, fingerprint)
        rows += loaded
        unknown += skipped
    return UsageRefresh(days, tuple(sorted(stale)), rows, unknown)


def month_fingerprints(store: Path) -> dict[str, str]:
    """Per month (YYYY-MM): a digest of its daily summary files (name, size, mtime)."""
    files: dict[str, list[str]] = defaultdict(list)
    for name in store_files(store, "usage_line_day"):
        path = Path(name)
        stat = path.stat()
        files[path.parent.name[4:11]].append(
            f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
        )
    return {
        period: hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()
        for period, names in files.items()
    }


def stale_months(store: Path) -> dict[str, str]:
    loaded = {
        period.strftime("%Y-%m"): fingerprint
        for period, fingerprint in UsagePeriodSource.objects.values_list(
            "period", "fingerprint"
        )
    }
    return {
        period: fingerprint
        for period, fingerprint in month_fingerprints(store).items()
        if loaded.get(period) != fingerprint
    }


def month_load(store: Path, period: str, fingerprint: str) -> tuple[int, int]:
    """Replace one month's rows; return (rows loaded, numbers that are not ours)."""
    first = dt.date.fromisoformat(f"{period}-01")
    table = line_month_usage(store, [period]).to_pylist()
    lines = lines_of_month(first)
    zone = ZoneInfo(settings.TIME_ZONE)
    rows = [
        usage_row(record, lines[record["service_no"]], first, zone)
        for record in table
        if record["service_no"] in lines
    ]
    with transaction.atomic():
        LineUsageMonth.objects.filter(period=first).delete()
        LineUsageMonth.objects.bulk_create(rows, batch_size=2000)
        UsagePeriodSource.objects.update_or_create(
            period=first, defaults={"fingerprint": fingerprint}
        )
    return len(rows), len(table) - len(rows)


def lines_of_month(first: dt.date) -> dict[str, tuple[int, int]]:
    """Service number -> (line, customer) for access lines live during the month.

    A number reused within the month goes to the line that started last.
    """
    after = (first + dt.timedelta(days=32)).replace(day=1)
    live = (
        Subscription.objects.filter(parent__isnull=True, start_date__lt=after)
        .exclude(end_date__lt=first)
        .order_by("start_date", "id")
        .values_list("service_number", "id", "customer_id")
    )
    return {number: (line, customer) for number, line, customer in live}


def usage_row(
    record: dict[str, Any], line: tuple[int, int], first: dt.date, zone: ZoneInfo
) -> LineUsageMonth:
    # CDR times are the operator's local time without an offset.
    times = {
        name: record[name].replace(tzinfo=zone) if record[name] else None
        for name in ("first_event_at", "last_event_at")
    }
    return LineUsageMonth(
        subscription_id=line[0],
        customer_id=line[1],
        period=first,
        **{name: record[name] or 0 for name in MEASURES},
        **times,
    )
