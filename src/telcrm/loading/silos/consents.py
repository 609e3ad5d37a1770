"""crm/consents.csv and crm/do_not_call.csv -> consents and the do-not-call list.

A consent is known by its customer, purpose, channel and grant time: a row already in
the store is a duplicate, a withdrawal of a stored grant (a later extract) closes it,
and a grant while another one for the same purpose and channel is current is refused
(withdraw the current one first). The file's rows are weighed together, so a file
holding a consent's withdrawal and its renewal loads whatever their order.
A do-not-call entry is known by its number and the time it was added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from telcrm.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
    DoNotCallSource,
)
from telcrm.customers.models import Consent, Customer, DoNotCallEntry
from telcrm.loading.context import LoadContext, insert_parsed
from telcrm.loading.inserting import Pending, validate_fields
from telcrm.loading.parsing import (
    RowError,
    check_readable,
    local_datetime,
    one_of,
    optional,
    optional_datetime,
    required,
)
from telcrm.loading.report import FileReport
from telcrm.loading.silos.customers import customer_keys, normalised_phone
from telcrm_pipeline.silo_contract import SILO_COLUMNS

CONSENTS = "crm/consents.csv"
CONSENT_COLUMNS = SILO_COLUMNS[CONSENTS]
DO_NOT_CALL = "crm/do_not_call.csv"
DO_NOT_CALL_COLUMNS = SILO_COLUMNS[DO_NOT_CALL]
KEY_COLUMNS = ("cust_no", "purpose", "channel", "granted_at")
# The choices' values, once (an enum's .values builds a new list at every call).
PURPOSES, CHANNELS = tuple(ConsentPurpose.values), tuple(ConsentChannel.values)
STATUSES, SOURCES = tuple(ConsentStatus.values), tuple(ConsentSource.values)
DNC_SOURCES = tuple(DoNotCallSource.values)

# customer id, purpose, channel, granted at
ConsentKey = tuple[int, str, str, dt.datetime]
# customer id, purpose, channel
Topic = tuple[int, str, str]
Row = dict[str, str]


@dataclass(frozen=True)
class Stored:
    pk: int
    status: str
    withdrawn_at: dt.datetime | None


@dataclass
class Parsed:
    line: int
    row: Row
    consent: Consent

    @property
    def key(self) -> ConsentKey:
        c = self.consent
        return (c.customer_id, c.purpose, c.channel, c.granted_at)

    @property
    def topic(self) -> Topic:
        c = self.consent
        return (c.customer_id, c.purpose, c.channel)

    @property
    def withdrawn(self) -> bool:
        return self.consent.status == ConsentStatus.WITHDRAWN


def stored_consents() -> dict[ConsentKey, Stored]:
    """The store's consents by key. A customer merged into another (linkage) stands
    for its survivor, which its customer number now leads to: the consents that
    stayed with the duplicate record are found again, not loaded twice."""
    survivor = merged_customers()
    found = Consent.objects.values_list(
        "pk", "customer_id", "purpose", "channel", "granted_at", "status",
        "withdrawn_at",
    )  # fmt: skip
    return {
        (survivor.get(customer, customer), purpose, channel, granted): Stored(
            pk, status, withdrawn
        )
        for pk, customer, purpose, channel, granted, status, withdrawn in found
    }


def merged_customers() -> dict[int, int]:
    """Merged customer -> the customer it now lives on (following later merges)."""
    into = dict(
        Customer.objects.filter(merged_into__isnull=False).values_list(
            "pk", "merged_into_id"
        )
    )
    resolved = {}
    for customer, target in into.items():
        seen = {customer}
        while target in into and target not in seen:
            seen.add(target)
            target = into[target]
        resolved[customer] = target
    return resolved


def first_difference(first: Row, row: Row, columns: tuple[str, ...]) -> str:
    """The first column where two rows of one key differ."""
    return next((c for c in columns if first.get(c) != row.get(c)), columns[0])


def shown(moment: dt.datetime, zone: ZoneInfo) -> str:
    """A time as the silos write it (local, no offset)."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def build_consent(row: Row, customers: dict[str, int], zone: ZoneInfo) -> Consent:
    cust_no = required(row, "cust_no")
    if cust_no not in customers:
        raise RowError("cust_no", f"unknown customer {cust_no!r}")
    purpose = one_of(row, "purpose", PURPOSES)
    channel = one_of(row, "channel", CHANNELS)
    status = one_of(row, "status", STATUSES)
    source = one_of(row, "source", SOURCES)
    granted = local_datetime(row, "granted_at", zone)
    withdrawn = optional_datetime(row, "withdrawn_at", zone)
    if status == ConsentStatus.WITHDRAWN and withdrawn is None:
        raise RowError("withdrawn_at", "is required for a withdrawn consent")
    if status == ConsentStatus.GRANTED and withdrawn is not None:
        raise RowError("withdrawn_at", "must be empty for a granted consent")
    if withdrawn is not None and withdrawn < granted:
        raise RowError(
            "withdrawn_at",
            f"{row['withdrawn_at']!r} is before granted_at {row['granted_at']!r}",
        )
    consent = Consent(
        customer_id=customers[cust_no],
        purpose=purpose,
        channel=channel,
        status=status,
        source=source,
        granted_at=granted,
        withdrawn_at=withdrawn,
        evidence=evidence(row),
    )
    validate_fields(consent)
    return consent


def evidence(row: Row) -> str:
    """The source's evidence reference, and who gave the consent when not the
    customer (an organisation's contact)."""
    reference, given_by = optional(row, "evidence_ref"), optional(row, "given_by")
    return ", ".join(
        part for part in (reference, f"given by {given_by}" if given_by else "") if part
    )


def load_consents(ctx: LoadContext) -> None:
    report = ctx.file_report(CONSENTS)
    customers = customer_keys()
    parsed = list(parse_consents(ctx, report, customers))
    stored = stored_consents()
    closing: list[Parsed] = []
    history: list[Parsed] = []
    grants: list[Parsed] = []
    for item in parsed:
        found = stored.get(item.key)
        if found is None:
            (history if item.withdrawn else grants).append(item)
        elif found.status == item.consent.status and (
            found.withdrawn_at == item.consent.withdrawn_at
        ):
            report.duplicates += 1
        elif found.status == ConsentStatus.GRANTED:
            # A later extract: the grant was withdrawn since.
            closing.append(item)
        elif not item.withdrawn:
            # An older extract: the store already knows of the withdrawal.
            report.duplicates += 1
        else:
            assert found.withdrawn_at is not None
            reason = (
                "the store holds this consent as withdrawn at "
                f"{shown(found.withdrawn_at, ctx.zone)}"
            )
            ctx.reject(report, item.line, item.row, RowError("withdrawn_at", reason))
    report.loaded += close_grants(closing, stored)
    closed = {item.key for item in closing}
    current = {
        key[:3]: key[3]
        for key, found in stored.items()
        if found.status == ConsentStatus.GRANTED and key not in closed
    }
    accepted = history + one_current_grant(ctx, report, grants, current)
    accepted.sort(key=lambda item: item.line)
    pending = [Pending(item.line, item.row, item.consent) for item in accepted]
    insert_parsed(ctx, report, Consent, pending)


def parse_consents(
    ctx: LoadContext, report: FileReport, customers: dict[str, int]
) -> Iterator[Parsed]:
    """Each readable, valid row once (identical repeats count as duplicates)."""
    first: dict[ConsentKey, tuple[int, Row]] = {}
    for line, row in ctx.rows(CONSENTS, CONSENT_COLUMNS, report):
        try:
            check_readable(row)
            item = Parsed(line, row, build_consent(row, customers, ctx.zone))
            if item.key in first:
                first_line, first_row = first[item.key]
                if first_row == row:
                    report.duplicates += 1
                    continue
                differs = first_difference(first_row, row, CONSENT_COLUMNS)
                raise RowError(
                    differs,
                    f"the same consent ({', '.join(KEY_COLUMNS)}) as line "
                    f"{first_line} with another {differs}",
                )
        except RowError as error:
            ctx.reject(report, line, row, error)
            continue
        first[item.key] = (line, row)
        yield item


def close_grants(closing: list[Parsed], stored: dict[ConsentKey, Stored]) -> int:
    """Withdraw the stored grants that a later extract shows withdrawn."""
    now = timezone.now()
    consents = [
        Consent(
            pk=stored[item.key].pk,
            status=ConsentStatus.WITHDRAWN,
            withdrawn_at=item.consent.withdrawn_at,
            updated=now,
        )
        for item in closing
    ]
    Consent.objects.bulk_update(
        consents, ["status", "withdrawn_at", "updated"], batch_size=1000
    )
    return len(consents)


def one_current_grant(
    ctx: LoadContext,
    report: FileReport,
    grants: list[Parsed],
    current: dict[Topic, dt.datetime],
) -> list[Parsed]:
    """The grants that do not meet another current grant of their customer, purpose
    and channel (in the store or earlier in the file); the others are refused."""
    accepted: list[Parsed] = []
    in_file: dict[Topic, int] = {}
    for item in sorted(grants, key=lambda item: item.line):
        purpose, channel = item.consent.purpose, item.consent.channel
        if item.topic in in_file:
            reason = (
                f"a second current {purpose}/{channel} consent of "
                f"{item.row['cust_no']!r} (the first at line {in_file[item.topic]})"
            )
        elif item.topic in current:
            reason = (
                f"{item.row['cust_no']!r} already has a current {purpose}/{channel} "
                f"consent, granted at {shown(current[item.topic], ctx.zone)}"
            )
        else:
            in_file[item.topic] = item.line
            accepted.append(item)
            continue
        ctx.reject(report, item.line, item.row, RowError("status", reason))
    return accepted


# --- the do-not-call list ------------------------------------------------------------


def build_entry(row: Row, zone: ZoneInfo) -> DoNotCallEntry:
    added = local_datetime(row, "added_at", zone)
    expires = optional_datetime(row, "expires_at", zone)
    if expires is not None and expires <= added:
        raise RowError(
            "expires_at",
            f"{row['expires_at']!r} is not after added_at {row['added_at']!r}",
        )
    entry = DoNotCallEntry(
        phone=normalised_phone(required(row, "phone"), "phone"),
        source=one_of(row, "source", DNC_SOURCES),
        added_at=added,
        expires_at=expires,
        reason=optional(row, "reason"),
    )
    validate_fields(entry)
    return entry


def load_do_not_call(ctx: LoadContext) -> None:
    report = ctx.file_report(DO_NOT_CALL)
    present = set(DoNotCallEntry.objects.values_list("phone", "added_at"))
    first: dict[tuple[str, dt.datetime], tuple[int, Row]] = {}
    pending: list[Pending[DoNotCallEntry]] = []
    for line, row in ctx.rows(DO_NOT_CALL, DO_NOT_CALL_COLUMNS, report):
        try:
            check_readable(row)
            entry = build_entry(row, ctx.zone)
            key = (entry.phone, entry.added_at)
            if key in present:
                report.duplicates += 1
                continue
            if key in first:
                first_line, first_row = first[key]
                if first_row == row:
                    report.duplicates += 1
                    continue
                differs = first_difference(first_row, row, DO_NOT_CALL_COLUMNS)
                raise RowError(
                    differs,
                    f"the same entry (phone, added_at) as line {first_line} "
                    f"with another {differs}",
                )
        except RowError as error:
            ctx.reject(report, line, row, error)
            continue
        first[key] = (line, row)
        pending.append(Pending(line, row, entry))
    insert_parsed(ctx, report, DoNotCallEntry, pending)
